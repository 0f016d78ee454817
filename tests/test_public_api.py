"""The package's public API (`harness.__all__`): every name resolves, lazily (its import-graph rules are in
test_architecture.py, checked by import-linter)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import harness
from tests.support.paths import REPO

ROOT = REPO


@pytest.mark.parametrize("name", harness.__all__)
def test_every_public_name_resolves(name: str) -> None:
    import importlib

    value = getattr(harness, name)  # AttributeError if it does not
    assert value is getattr(importlib.import_module(harness._EXPORTS[name]), name)
    assert name in dir(harness)


def test_all_lists_every_lazy_export_and_unknown_names_fail() -> None:
    assert sorted(harness.__all__) == sorted(harness._EXPORTS) == harness.__all__
    from harness.expect import Expect, ExpectationFailed

    assert harness.Expect is Expect and harness.ExpectationFailed is ExpectationFailed
    assert issubclass(harness.ScreenTimeout, harness.ExpectationFailed)  # a screen's failed wait is the DSL's failure
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = harness.nope


def test_import_harness_is_cheap() -> None:
    code = "import sys, harness; print(sorted(m for m in sys.modules if m.startswith(('harness.', 'httpx', 'pydantic'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
