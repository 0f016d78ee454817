"""The proxy's certificate authority: a per-run confdir, and how clients are told to trust it.

mitmproxy signs a certificate for every intercepted host with the CA in its confdir. The harness
uses a fresh temporary confdir per run (never `~/.mitmproxy`, never the repository): the CA is
generated there with its private key readable by the owner only, and deleted with the run.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from braze_harness.errors import HarnessConfigError
from braze_harness.extras import require

BASENAME = "mitmproxy"
NSS_NICKNAME = "braze-harness-mitmproxy"
_PACKAGE = Path(__file__).resolve().parents[1]
_REPO_ROOT = _PACKAGE.parent if (_PACKAGE.parent / "pyproject.toml").is_file() else _PACKAGE  # a checkout, else the install


def new_confdir(prefix: str = "braze-proxy-") -> Path:
    """A fresh private temporary directory (mode 0700) for one run's CA."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def check_confdir(path: Path) -> Path:
    """Refuse a confdir inside this repository: a CA private key must never be committed."""
    resolved = Path(path).expanduser().resolve()
    if resolved == _REPO_ROOT or _REPO_ROOT in resolved.parents:
        raise HarnessConfigError(f"confdir {path} is inside the repository ({_REPO_ROOT}): pick a directory outside it")
    # the confdir itself is made on first use, its parent never: a typo in the path is reported
    if resolved.exists() and not resolved.is_dir():
        raise HarnessConfigError(f"confdir {path} is not a directory")
    if not resolved.parent.is_dir():
        raise HarnessConfigError(f"confdir {path}: no folder {resolved.parent} (create it, or fix the path)")
    return resolved


def ensure_ca(confdir: Path) -> Path:
    """Generate the CA in `confdir` (as mitmproxy would on start) unless it is there; returns the cert's path.

    Generating it before the proxy starts lets a browser be launched with the CA's SPKI hash first."""
    CertStore = require("mitmproxy.certs", "the proxy's CA").CertStore

    confdir = Path(confdir)
    CertStore.from_store(confdir, BASENAME, 2048)
    key = confdir / f"{BASENAME}-ca.pem"
    for secret in (key, confdir / f"{BASENAME}-ca.p12"):
        if secret.exists() and stat.S_IMODE(secret.stat().st_mode) != 0o600:
            os.chmod(secret, 0o600)
    return ca_cert_path(confdir)


def ca_cert_path(confdir: Path) -> Path:
    """The CA certificate (public part, PEM) clients must trust."""
    return Path(confdir) / f"{BASENAME}-ca-cert.pem"


def spki_hash(cert_pem: Path | bytes) -> str:
    """base64(sha256(SubjectPublicKeyInfo)) of a certificate: Chromium's `--ignore-certificate-errors-spki-list`.

    Chromium then accepts any chain through that key, i.e. every certificate the proxy signs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = cert_pem if isinstance(cert_pem, bytes) else Path(cert_pem).read_bytes()
    cert = x509.load_pem_x509_certificate(data)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def chromium_trust_args(cert_pem: Path | bytes) -> list[str]:
    return [f"--ignore-certificate-errors-spki-list={spki_hash(cert_pem)}"]


def certutil_command(cert: Path, nssdb: str = "sql:$HOME/.pki/nssdb") -> str:
    """The shell line that trusts the CA in an NSS database (Chromium and Firefox on Linux)."""
    return f'certutil -d {nssdb} -A -t "C,," -n {NSS_NICKNAME} -i {cert}'


def build_nss_db(cert: Path, home: Path) -> Path:
    """An NSS database under `home/.pki/nssdb` trusting the CA; launch Chromium with `HOME=home`.

    Needs `certutil` (Debian: libnss3-tools, installed by ./qa)."""
    certutil = shutil.which("certutil")
    if certutil is None:
        raise HarnessConfigError("certutil not found: install libnss3-tools (./qa setup does), or use the SPKI flag")
    db = Path(home) / ".pki" / "nssdb"
    db.mkdir(parents=True, exist_ok=True)
    spec = f"sql:{db}"
    steps = []
    if not (db / "cert9.db").exists():
        steps.append([certutil, "-d", spec, "-N", "--empty-password"])
    steps.append([certutil, "-d", spec, "-A", "-t", "C,,", "-n", NSS_NICKNAME, "-i", str(cert)])
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise HarnessConfigError(f"{' '.join(cmd[1:3])}… failed: {(done.stderr or done.stdout).strip()}")
    return db


def remove_confdir(confdir: Path) -> None:
    shutil.rmtree(confdir, ignore_errors=True)
