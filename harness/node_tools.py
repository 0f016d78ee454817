"""Where the Node.js tooling lives: esbuild, the @braze/web-sdk bundles, @braze/service-worker, Appium.

    node_root()        the folder whose node_modules/ holds the packages (and Appium's home: its package.json)
    home()             the user's harness home: the SDK bundle cache (web-sdk/), and node_root() of an installed package
    node_bin("esbuild")   node_root()/node_modules/.bin/esbuild
    service_worker()   @braze/service-worker's script

Resolution order of node_root():
    1. running from a repository checkout (the package is harness/ beside package.json): the checkout (`./qa setup`)
    2. $BRAZE_HARNESS_HOME
    3. platformdirs.user_cache_dir("braze-harness")  (~/.cache/braze-harness on Linux)
home() is 2 then 3, checkout or not. An installed package never writes inside site-packages: `braze-harness setup`
installs into home().
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import platformdirs
from braze_harness.errors import HarnessConfigError

HOME_ENV = "BRAZE_HARNESS_HOME"
APP_NAME = "braze-harness"
_PACKAGE_DIR = Path(__file__).resolve().parent
TOOLING_PACKAGE = "braze-harness-tooling"  # the "name" of the repository's package.json


def checkout_root(package_dir: Path = _PACKAGE_DIR) -> Path | None:
    """The repository checkout the package runs from, or None for an installed package (site-packages)."""
    root = package_dir.parent
    try:
        manifest = json.loads((root / "package.json").read_text())
    except (OSError, ValueError):
        return None
    return root if manifest.get("name") == TOOLING_PACKAGE and (root / "pyproject.toml").is_file() else None


def home(env: Mapping[str, str] | None = None) -> Path:
    """$BRAZE_HARNESS_HOME, else the user cache dir: the SDK bundle cache, and the npm install of an installed package."""
    value = (os.environ if env is None else env).get(HOME_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else Path(platformdirs.user_cache_dir(APP_NAME))


def node_root(env: Mapping[str, str] | None = None, package_dir: Path = _PACKAGE_DIR) -> Path:
    """The folder whose node_modules/ holds the tooling: the checkout when running from one, else home()."""
    return checkout_root(package_dir) or home(env)


def node_modules() -> Path:
    return node_root() / "node_modules"


def node_bin(name: str) -> Path:
    """`node_modules/.bin/<name>` of node_root() (it may not exist: see `require_bin`)."""
    return node_modules() / ".bin" / name


def require_bin(name: str, feature: str) -> Path:
    """`node_bin(name)`, or one line saying how to install it (node missing, or the package not installed)."""
    if shutil.which("node") is None:
        raise HarnessConfigError(f"{feature} needs Node.js, which is not installed: install Node.js 18+ (apt install nodejs npm)")
    binary = node_bin(name)
    if not binary.exists():
        raise HarnessConfigError(f"{feature} needs {name}, not installed in {node_modules()}: {setup_hint()}")
    return binary


def service_worker() -> Path:
    """The Braze service worker script (npm @braze/service-worker) the demo app serves for web push."""
    return node_modules() / "@braze" / "service-worker" / "service-worker.js"


def setup_hint(*flags: str) -> str:
    """How to install the tooling where node_root() points (`flags`: the setup options a feature needs)."""
    return "run ./qa setup" if checkout_root() else f"run `{' '.join(('braze-harness setup', *flags))}`"


def pinned_packages() -> dict[str, str]:
    """The npm packages and exact versions the harness is tested with (package.json's devDependencies)."""
    text = manifest_text("package.json")
    return dict(json.loads(text)["devDependencies"])


def manifest_text(name: str) -> str:
    """`package.json` / `package-lock.json`: the checkout's own, or the copy shipped in the wheel (braze_harness/node/)."""
    root = checkout_root()
    if root is not None:
        return (root / name).read_text()
    return resources.files("braze_harness").joinpath("node", name).read_text()
