"""Bundle mParticle's Web SDK with its Braze kit into one browser script, the way a customer's build does.

The npm packages are the project's pinned ones (package.json); esbuild (in the same node_modules) bundles
`import mParticle from "@mparticle/web-sdk"; import brazeKit from "@mparticle/web-braze-kit"` into a classic script
setting `window.mParticle` and `window.mParticleBrazeKit`. The kit carries its own copy of the Braze Web SDK
(4.9.0 in kit 4.1.3): the demo's `@braze/web-sdk` is not used. Cached per kit version under `node_tools.home()`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from braze_harness import node_tools
from braze_harness.errors import HarnessConfigError, HarnessError

CORE_PACKAGE = "@mparticle/web-sdk"
KIT_PACKAGE = "@mparticle/web-braze-kit"
_ENTRY_JS = f"""import mParticle from "{CORE_PACKAGE}";
import brazeKit from "{KIT_PACKAGE}";
window.mParticle = mParticle;
window.mParticleBrazeKit = brazeKit;
"""
_TIMEOUT_S = 300
_KIT_DIST = "dist/BrazeKit.common.js"
# the Braze Web SDK the kit carries names its version in its in-app message CSS ids: ab-…-css-definitions-4-9-0
_EMBEDDED_VERSION = re.compile(r'css-definitions-\$\{"(\d+\.\d+\.\d+)"')


def installed_version(package: str) -> str:
    """The version of `package` in the tooling's node_modules, or HarnessConfigError saying how to install it."""
    manifest = node_tools.node_modules() / package / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        where, hint = node_tools.node_modules(), node_tools.setup_hint()
        raise HarnessConfigError(f"the mParticle integration needs {package}, not installed in {where}: {hint}") from None


def embedded_braze_version() -> str:
    """The `@braze/web-sdk` version the installed kit carries inside it (its own copy, not the project's)."""
    installed_version(KIT_PACKAGE)
    found = _EMBEDDED_VERSION.search((node_tools.node_modules() / KIT_PACKAGE / _KIT_DIST).read_text())
    if found is None:
        raise HarnessError(f"cannot tell which Braze Web SDK {KIT_PACKAGE} carries (its {_KIT_DIST} changed shape)")
    return found[1]


def bundle_path() -> Path:
    core, kit = installed_version(CORE_PACKAGE), installed_version(KIT_PACKAGE)
    return node_tools.home() / "cdp" / f"mparticle-{core}-braze-kit-{kit}.js"


def ensure_bundle() -> Path:
    """The bundled script (built on first use; concurrent builders each write a temp file, then replace)."""
    out = bundle_path()
    if out.is_file():
        return out
    esbuild = node_tools.require_bin("esbuild", "bundling mParticle's Web SDK")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    proc = subprocess.run(
        [str(esbuild), "--bundle", "--format=iife", "--platform=browser", f"--outfile={tmp}", "--log-level=error",
         "--sourcefile=mparticle-entry.js", "--loader=js"],
        input=_ENTRY_JS, cwd=node_tools.node_root(), capture_output=True, text=True, timeout=_TIMEOUT_S, check=False,
    )  # fmt: skip
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise HarnessError(f"esbuild failed to bundle {CORE_PACKAGE} with {KIT_PACKAGE}:\n{proc.stderr.strip()}")
    os.replace(tmp, out)
    return out
