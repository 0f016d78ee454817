"""The structure cannot silently decay: import-linter's contracts (pyproject.toml, `[tool.importlinter]`) hold —
no import cycle between files or packages, no upward import — and no object reaches into another's privates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO

REPO = REPO
PRIVATE_REACH = re.compile(r"emu\._lock|\._call\(|braze\._source|device\._(envelope|headers|lock)")


def _package_tree(into: Path) -> Path:
    """The `braze_harness` package laid out as a wheel installs it (import-linter walks one folder per root
    package; the checkout spreads the package over harness/, devices/ and proxy_addons/)."""
    root = into / "braze_harness"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "harness", root, ignore=ignore)
    shutil.copytree(REPO / "devices", root / "devices", ignore=ignore)
    shutil.copytree(REPO / "proxy_addons", root / "proxy_addons", ignore=ignore)
    return into


def test_import_contracts_are_kept(tmp_path) -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(_package_tree(tmp_path / "tree")), "PYTHONSAFEPATH": "1"}
    config = [str(REPO / "pyproject.toml")]
    result = subprocess.run(
        [str(lint), "--no-cache", *config], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_no_object_reaches_into_anothers_privates() -> None:
    found = []
    for package in ("harness", "devices", "proxy_addons"):
        for path in sorted((REPO / package).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if PRIVATE_REACH.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []
