"""The structure cannot silently decay: import-linter's contracts (pyproject.toml, `[tool.importlinter]`) hold —
no import cycle between files or packages, no upward import — and no object reaches into another's privates."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO

REPO = REPO
PRIVATE_REACH = re.compile(r"emu\._lock|\._call\(|braze\._source|device\._(envelope|headers|lock)")


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_no_object_reaches_into_anothers_privates() -> None:
    found = []
    for package in ("harness", "devices"):
        for path in sorted((REPO / package).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if PRIVATE_REACH.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == []
