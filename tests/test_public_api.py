"""The package's public API (`braze_harness.__all__`): every name resolves, lazily (its import-graph rules are in
test_architecture.py, checked by import-linter)."""

from __future__ import annotations

import subprocess
import sys

import braze_harness
import pytest

from tests.support.paths import REPO

ROOT = REPO


@pytest.mark.parametrize("name", braze_harness.__all__)
def test_every_public_name_resolves(name: str) -> None:
    import importlib

    value = getattr(braze_harness, name)  # AttributeError if it does not
    assert value is getattr(importlib.import_module(braze_harness._EXPORTS[name]), name)
    assert name in dir(braze_harness)


def test_all_lists_every_lazy_export_and_unknown_names_fail() -> None:
    assert sorted(braze_harness.__all__) == sorted(braze_harness._EXPORTS) == braze_harness.__all__
    from braze_harness.expect import Expect, ExpectationFailed

    assert braze_harness.Expect is Expect and braze_harness.ExpectationFailed is ExpectationFailed
    assert issubclass(braze_harness.ScreenTimeout, braze_harness.ExpectationFailed)  # a screen's failed wait is the DSL's failure
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = braze_harness.nope


def test_import_harness_is_cheap() -> None:
    loaded = "sorted(m for m in sys.modules if m.startswith(('braze_harness.', 'httpx', 'pydantic')))"
    code = f"import sys, braze_harness; print({loaded})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
