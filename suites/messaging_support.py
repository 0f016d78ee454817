"""Shared by the messaging suites: they need an adapter that exposes a `MessagingScreen` as `.screen`
(the demo web app does; an adapter without one skips these suites instead of failing them)."""

import pytest

from harness.screens import MessagingScreen


def require_screen(request: pytest.FixtureRequest) -> None:
    app = request.getfixturevalue("braze_app")
    if not isinstance(getattr(app, "screen", None), MessagingScreen):
        pytest.skip(f"{type(app).__name__} has no MessagingScreen (`.screen`): messaging suites need one")
