"""Bundle mParticle's Web SDK with its Braze kit into one browser script, the way a customer's build does.

The npm packages are the project's pinned ones (package.json); esbuild (in the same node_modules) bundles
`import mParticle from "@mparticle/web-sdk"; import brazeKit from "@mparticle/web-braze-kit"` into a classic script
setting `window.mParticle` and `window.mParticleBrazeKit`. The kit carries its own copy of the Braze Web SDK
(4.9.0 in kit 4.1.3): the demo's `@braze/web-sdk` is not used. Cached per kit version under `node_tools.home()`
(`devices/cdp/esbuild.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

from braze_harness import node_tools
from braze_harness.devices.cdp import esbuild
from braze_harness.errors import HarnessError

CORE_PACKAGE = "@mparticle/web-sdk"
KIT_PACKAGE = "@mparticle/web-braze-kit"
_ENTRY_JS = f"""import mParticle from "{CORE_PACKAGE}";
import brazeKit from "{KIT_PACKAGE}";
window.mParticle = mParticle;
window.mParticleBrazeKit = brazeKit;
"""
_KIT_DIST = "dist/BrazeKit.common.js"
# the Braze Web SDK the kit carries names its version in its in-app message CSS ids: ab-…-css-definitions-4-9-0
_EMBEDDED_VERSION = re.compile(r'css-definitions-\$\{"(\d+\.\d+\.\d+)"')


def installed_version(package: str) -> str:
    """The version of `package` in the tooling's node_modules, or HarnessConfigError saying how to install it."""
    return esbuild.installed_version(package, "the mParticle integration")


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
    return esbuild.bundle_script(_ENTRY_JS, bundle_path(), what=f"{CORE_PACKAGE} with {KIT_PACKAGE}")
