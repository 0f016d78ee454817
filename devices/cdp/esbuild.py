"""Bundle npm packages of the tooling's node_modules into one classic browser script, the way a customer's build does.

Shared by the CDP shops (mParticle, Segment): `installed_version` reads a pinned package's version (or says how to
install it); `bundle_script` runs esbuild on an entry module given as text and writes the result atomically (concurrent
builders each write a temp file, then replace).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from braze_harness import node_tools
from braze_harness.errors import HarnessConfigError, HarnessError

_TIMEOUT_S = 300


def package_dir(package: str, within: str | None = None) -> Path:
    """Where `package` resolves from `within` (another package: its own nested copy first), as Node resolves it."""
    if within is not None:
        nested = node_tools.node_modules() / within / "node_modules" / package
        if (nested / "package.json").is_file():
            return nested
    return node_tools.node_modules() / package


def installed_version(package: str, feature: str, within: str | None = None) -> str:
    """The version of `package` in the tooling's node_modules, or HarnessConfigError saying how to install it."""
    try:
        return str(json.loads((package_dir(package, within) / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        where, hint = node_tools.node_modules(), node_tools.setup_hint()
        raise HarnessConfigError(f"{feature} needs {package}, not installed in {where}: {hint}") from None


def bundle_script(entry_js: str, out: Path, *, what: str, resolve_dir: Path | None = None) -> Path:
    """`out` (built on first use): esbuild's IIFE bundle of `entry_js`, its imports resolved from `resolve_dir`."""
    if out.is_file():
        return out
    esbuild = node_tools.require_bin("esbuild", f"bundling {what}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    proc = subprocess.run(
        [str(esbuild), "--bundle", "--format=iife", "--platform=browser", f"--outfile={tmp}", "--log-level=error",
         f"--sourcefile={out.stem}-entry.js", "--loader=js"],
        input=entry_js, cwd=resolve_dir or node_tools.node_root(), capture_output=True, text=True, timeout=_TIMEOUT_S,
        check=False,
    )  # fmt: skip
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise HarnessError(f"esbuild failed to bundle {what}:\n{proc.stderr.strip()}")
    os.replace(tmp, out)
    return out
