"""Bundle any published version of ``@braze/web-sdk`` into one browser script.

The npm package ships ES modules; the demo web app wants a single classic script that
sets ``window.braze``, the same way a customer's build would expose it. Bundles are
cached per version (``<home>/web-sdk/braze-web-sdk-<version>.js``, home: ``braze_harness.node_tools.home()``) and built at most
once, even with several pytest-xdist workers asking at the same moment.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from braze_harness import node_tools
from braze_harness.errors import HarnessConfigError, HarnessError

PACKAGE = "@braze/web-sdk"
DEFAULT_VERSION = "6.13.0"
# Used only when node_tools.node_root() has no esbuild (keep in step with package.json).
ESBUILD_VERSION = "0.28.2"

_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
_ENTRY_JS = f'import * as braze from "{PACKAGE}";\nwindow.braze = braze;\n'
_NPM_TIMEOUT_S = 600
Log = Callable[[str], None]


def default_cache_dir() -> Path:
    """$BRAZE_HARNESS_HOME, else the user cache dir (``node_tools.home()``)."""
    return node_tools.home()


def bundle_path(version: str, cache_dir: Path | None = None) -> Path:
    """Where the bundle of ``version`` lives (it may not exist yet)."""
    return (cache_dir or default_cache_dir()) / "web-sdk" / f"braze-web-sdk-{version}.js"


def ensure_bundle(
    version: str = DEFAULT_VERSION,
    *,
    cache_dir: Path | None = None,
    log: Log | None = None,
) -> Path:
    """Return the path of a browser bundle of ``@braze/web-sdk@<version>``, building it if needed.

    Raises ``HarnessConfigError`` for a malformed or unpublished version and when node/npm
    are missing; ``HarnessError`` when npm or esbuild fail for another reason.
    """
    say = log or (lambda _msg: None)
    version = version.strip()
    if not _VERSION_RE.match(version):
        raise HarnessConfigError(f"invalid {PACKAGE} version {version!r}: expected an exact version such as {DEFAULT_VERSION!r}")
    out = bundle_path(version, cache_dir)
    if out.is_file():
        return out

    npm = _require_tool("npm")
    _require_tool("node")
    out.parent.mkdir(parents=True, exist_ok=True)
    with _locked(out.parent / f".{version}.lock", say):
        if out.is_file():  # another process built it while we waited for the lock
            return out
        say(f"bundling {PACKAGE} {version} (first use, ~20 s)…")
        workdir = out.parent / version
        esbuild = _install(npm, version, workdir, say)
        _bundle(esbuild, workdir, out)
        say(f"bundled {PACKAGE} {version} -> {out}")
    return out


def available_versions() -> list[str]:
    """Versions of the package published on the npm registry (empty if npm cannot tell)."""
    npm = _require_tool("npm")
    proc = _run([npm, "view", PACKAGE, "versions", "--json"], cwd=None, timeout=120)
    try:
        versions = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return []
    return [versions] if isinstance(versions, str) else list(versions)


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise HarnessConfigError(f"`{name}` was not found on PATH: install Node.js 18+: apt install nodejs npm")
    return path


@contextmanager
def _locked(lock_file: Path, say: Log) -> Iterator[None]:
    with open(lock_file, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another process to finish bundling ({lock_file.name})…")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _install(npm: str, version: str, workdir: Path, say: Log) -> Path:
    """npm-install the SDK (and esbuild if node_tools.node_root() has none) into ``workdir``; return esbuild's path."""
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = workdir / "package.json"
    if not manifest.exists():
        manifest.write_text(json.dumps({"name": "braze-web-sdk-bundle", "private": True}) + "\n")

    shared_esbuild = node_tools.node_bin("esbuild")
    local_esbuild = workdir / "node_modules" / ".bin" / "esbuild"
    esbuild = shared_esbuild if shared_esbuild.exists() else local_esbuild
    if _installed_version(workdir) != version or not esbuild.exists():
        specs = [f"{PACKAGE}@{version}"]
        if esbuild == local_esbuild:
            # one npm call for both: a later `npm install --no-save` would prune the other one
            specs.append(f"esbuild@{ESBUILD_VERSION}")
        say(f"npm install {' '.join(specs)}")
        proc = _run(
            [
                npm,
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
                *specs,
            ],
            cwd=workdir,
            timeout=_NPM_TIMEOUT_S,
        )
        if proc.returncode != 0:
            shutil.rmtree(workdir / "node_modules", ignore_errors=True)  # don't keep a half install
            _raise_npm_failure(version, proc)
    if _installed_version(workdir) != version:
        raise HarnessError(f"npm reported success but {PACKAGE}@{version} is not in {workdir}/node_modules")
    return esbuild


def _installed_version(workdir: Path) -> str | None:
    manifest = workdir / "node_modules" / "@braze" / "web-sdk" / "package.json"
    try:
        return json.loads(manifest.read_text()).get("version")
    except (OSError, json.JSONDecodeError):
        return None


def _raise_npm_failure(version: str, proc: subprocess.CompletedProcess[str]) -> None:
    output = f"{proc.stdout}\n{proc.stderr}"
    if "ETARGET" in output or "No matching version" in output:
        known = available_versions()
        listing = ", ".join(known) if known else "(npm could not list them)"
        raise HarnessConfigError(f"{PACKAGE} has no version {version!r}; available versions: {listing}")
    errors = [line for line in output.splitlines() if "ERR" in line.upper()][-6:]
    detail = "\n".join(errors or output.strip().splitlines()[-6:])
    raise HarnessError(f"npm install of {PACKAGE}@{version} failed (exit {proc.returncode}):\n{detail}")


def _bundle(esbuild: Path, workdir: Path, out: Path) -> None:
    entry = workdir / "entry.js"
    entry.write_text(_ENTRY_JS)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    proc = _run(
        [
            str(esbuild),
            str(entry),
            "--bundle",
            "--format=iife",
            "--platform=browser",
            f"--outfile={tmp}",
            "--log-level=error",
        ],
        cwd=workdir,
        timeout=_NPM_TIMEOUT_S,
    )
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise HarnessError(f"esbuild failed to bundle {PACKAGE} in {workdir}:\n{proc.stderr.strip()}")
    os.replace(tmp, out)  # atomic: readers never see a half-written bundle


def _run(cmd: list[str], *, cwd: Path | None, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "npm_config_update_notifier": "false",
        "npm_config_loglevel": "error",
    }
    try:
        return subprocess.run(
            cmd,
            check=False,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"`{' '.join(cmd[:3])}` took longer than {timeout:.0f} s") from exc
