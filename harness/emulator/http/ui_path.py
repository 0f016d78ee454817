"""Where the dashboard is (docs/dashboard.md): its path on every emulator, and its address on one. Kept apart from
`dashboard.py` so the run header and the CLI can print the address without importing the server."""

from __future__ import annotations

UI_PREFIX = "/_emulator/ui"


def ui_url(base_url: str) -> str:
    """The dashboard's address on an emulator at `base_url`."""
    return base_url.rstrip("/") + UI_PREFIX + "/"
