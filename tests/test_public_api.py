"""The package's public API (`harness.__all__`) and the shape of its insides: lazy, acyclic, no private reach."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import harness

ROOT = Path(__file__).resolve().parents[1]


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


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_plugins_handles_import_one_way() -> None:
    """handle -> sub-handles (messaging, push) -> context: a sub-handle never imports the handle; the entry point
    (`harness/plugin/__init__.py`) -> fixtures -> handle, embedded: nothing imports the entry point back."""
    plugin = ROOT / "harness" / "plugin"
    assert {"harness.plugin.messaging", "harness.plugin.push", "harness.plugin.context"} <= _imports(plugin / "handle.py")
    for sub in ("messaging.py", "push.py", "context.py"):
        assert "harness.plugin.handle" not in _imports(plugin / sub), sub
    assert not {m for m in _imports(plugin / "context.py") if m.startswith("harness.plugin")}
    for module in plugin.glob("*.py"):  # and nothing reaches back into the plugin's entry point
        if module.name != "__init__.py":
            assert "harness.plugin" not in _imports(module), module.name
    assert not {m for m in _imports(ROOT / "harness" / "screens" / "linkage.py") if m.startswith("harness.plugin")}


def test_no_private_calls_across_objects() -> None:
    """The control API is called through EmulatorClient's public methods only."""
    pattern = re.compile(r"\._call\(|braze\._source|client\._http\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("harness", "devices", "benchmarks")
        for path in (ROOT / folder).rglob("*.py")
        if path.relative_to(ROOT).as_posix() != "harness/client.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
