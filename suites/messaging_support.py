"""Shared by the messaging suites: they need an adapter that exposes a `MessagingScreen` as `.screen`
(the demo web app does; an adapter without one skips these suites instead of failing them)."""

import pytest
from braze_harness.screens import MessagingScreen


def require_screen(request: pytest.FixtureRequest) -> None:
    app = request.getfixturevalue("braze_app")
    if not isinstance(getattr(app, "screen", None), MessagingScreen):
        pytest.skip(f"{type(app).__name__} has no MessagingScreen (`.screen`): messaging suites need one")


def flag_gate_text(app) -> str:
    """The text of the app's flag-gated element: the web demo's `new-checkout` element, or the screen's own
    (`VirtualScreen.flag_gate_text()`) for apps without a page."""
    page = getattr(app, "page", None)
    if page is not None:
        return page.get_by_test_id("new-checkout").inner_text()
    return app.screen.flag_gate_text()
