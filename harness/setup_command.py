"""`braze-harness setup [--web-sdk VERSION] [--appium]`: install the Node.js tooling an installed package needs.

Into `node_tools.node_root()` (the harness home, $BRAZE_HARNESS_HOME or the user cache dir; a repository checkout
when run from one) it npm-installs the versions pinned in package.json (shipped in the wheel as braze_harness/node/,
with package-lock.json for the transitive pins): esbuild and @braze/service-worker, plus Appium 3 and its fake driver
with --appium; then it bundles the @braze/web-sdk version (default 6.13.0) into the bundle cache. Idempotent: what is
already installed at its pinned version is not installed again. Every step prints one progress line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from braze_harness import node_tools
from braze_harness.errors import HarnessConfigError, HarnessError

BASE_PACKAGES = ("esbuild", "@braze/service-worker")
APPIUM_PACKAGES = ("appium", "@appium/fake-driver")
MIN_NODE = 18
NODE_HINT = f"install Node.js {MIN_NODE}+: apt install nodejs npm"
_NPM_TIMEOUT_S = 900


def add_parser(sub: Any) -> None:
    cmd = sub.add_parser("setup", help="install the npm tooling (esbuild, service worker, Appium) and bundle the Web SDK")
    cmd.add_argument("--web-sdk", default=None, metavar="VERSION", help="the @braze/web-sdk version to bundle (default 6.13.0)")
    cmd.add_argument("--appium", action="store_true", help="also install Appium 3 and its fake driver (the Appium targets)")
    cmd.set_defaults(func=run)


def say(message: str) -> None:
    print(f"setup: {message}", flush=True)


def run(args: argparse.Namespace) -> int:
    from braze_harness.devices.web.sdk_bundle import DEFAULT_VERSION, ensure_bundle

    npm = check_node()
    root = node_tools.node_root()
    if node_tools.checkout_root() is not None:
        stale = sorted(name for name, pin in node_tools.pinned_packages().items() if installed_version(root, name) != pin)
        if stale:
            say(f"repository checkout: npm ci in {root} (package-lock.json; not at their pins: {', '.join(stale)})")
            _npm(npm, ["ci", "--no-audit", "--no-fund"], root)
        else:
            say(f"repository checkout: npm packages up to date in {root / 'node_modules'}")
    else:
        install_pinned(npm, root, appium=args.appium)
    if args.appium:
        from braze_harness.devices.appium.server import installed_drivers

        drivers = ", ".join(f"{d.name}@{d.version}" for d in installed_drivers(root)) or "none"
        say(f"appium drivers: {drivers}")
    version = args.web_sdk or DEFAULT_VERSION
    say(f"@braze/web-sdk {version}: bundling")
    bundle = ensure_bundle(version, log=say)
    say(f"@braze/web-sdk {version}: {bundle}")
    say(f"done: node tooling in {root / 'node_modules'}, bundles in {node_tools.home() / 'web-sdk'}")
    return 0


def check_node() -> str:
    """npm's path, after checking node and npm are there and node is new enough (one line otherwise)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise HarnessConfigError(f"`{'node' if node is None else 'npm'}` was not found on PATH: {NODE_HINT}")
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False, timeout=60).stdout.strip()
    match = re.match(r"v(\d+)\.", out)
    if match is None or int(match.group(1)) < MIN_NODE:
        raise HarnessConfigError(f"Node.js {out or '(unknown version)'} is too old: {NODE_HINT}")
    say(f"node {out}, npm at {npm}")
    return npm


def install_pinned(npm: str, root: Path, *, appium: bool) -> None:
    """npm-install the pinned packages into `root` (never site-packages): the ones asked for and the ones already there."""
    pins = node_tools.pinned_packages()
    manifest = root / "package.json"
    wanted = set(BASE_PACKAGES) | (set(APPIUM_PACKAGES) if appium else set()) | set(_declared(manifest))
    wanted &= set(pins)
    missing = sorted(name for name in wanted if installed_version(root, name) != pins[name])
    if not missing:
        say(f"npm packages up to date in {root / 'node_modules'}: {', '.join(sorted(wanted))}")
        return
    root.mkdir(parents=True, exist_ok=True)
    # same name as the repository's package.json, so package-lock.json's pins apply to what is kept of it
    dependencies = {name: pins[name] for name in sorted(wanted)}
    package = {"name": node_tools.TOOLING_PACKAGE, "private": True, "devDependencies": dependencies}
    manifest.write_text(json.dumps(package, indent=2) + "\n")
    lock = root / "package-lock.json"
    if not lock.exists():
        lock.write_text(node_tools.manifest_text("package-lock.json"))
    say(f"npm install {' '.join(f'{name}@{pins[name]}' for name in missing)} into {root}")
    _npm(npm, ["install", "--no-audit", "--no-fund"], root)
    wrong = [name for name in wanted if installed_version(root, name) != pins[name]]
    if wrong:
        raise HarnessError(f"npm reported success but {', '.join(wrong)} is not at its pinned version in {root}/node_modules")


def installed_version(root: Path, package: str) -> str | None:
    try:
        return json.loads((root / "node_modules" / package / "package.json").read_text()).get("version")
    except (OSError, ValueError):
        return None


def _declared(manifest: Path) -> list[str]:
    try:
        return list(json.loads(manifest.read_text()).get("devDependencies", {}))
    except (OSError, ValueError):
        return []


def _npm(npm: str, args: list[str], cwd: Path) -> None:
    env_note = {"npm_config_update_notifier": "false", "npm_config_loglevel": "error"}
    try:
        env = {**os.environ, **env_note}
        proc = subprocess.run([npm, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=_NPM_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"`npm {args[0]}` in {cwd} took longer than {_NPM_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        tail = [line for line in f"{proc.stdout}\n{proc.stderr}".splitlines() if line.strip()][-1:] or ["(no output)"]
        raise HarnessError(f"`npm {args[0]}` in {cwd} failed (exit {proc.returncode}): {tail[0]}")
