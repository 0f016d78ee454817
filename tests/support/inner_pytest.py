"""Running pytest inside a test (pytester): what of the outer run must not leak in, and the flags every inner run
takes. Used by the plugin's tests and the docs' pytest examples."""

from __future__ import annotations

import os

import pytest

OUTER_RUN = ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")


def forget_outer_run(monkeypatch: pytest.MonkeyPatch, *also: str) -> None:
    """Drop an outer xdist run's variables, PYTEST_ADDOPTS and `also` (names, or prefixes ending in `_`)."""
    for name in list(os.environ):
        extra = any(name == a or (a.endswith("_") and name.startswith(a)) for a in also)
        if name.startswith("PYTEST_XDIST") or name in OUTER_RUN or extra:
            monkeypatch.delenv(name, raising=False)


def run_inner(pytester: pytest.Pytester, *args: str, timeout: float = 120) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args, timeout=timeout)
