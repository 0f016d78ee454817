"""The plugin's tests run pytest inside pytest: nothing of the outer run (xdist, PYTEST_ADDOPTS, a Chromium chosen
by $BRAZE_CHROMIUM) leaks into the inner runs."""

from __future__ import annotations

import pytest

from tests.support.inner_pytest import forget_outer_run


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    forget_outer_run(monkeypatch, "BRAZE_CHROMIUM")
