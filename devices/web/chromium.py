"""Debian's Chromium for Playwright (`playwright install` cannot download here), kept on loopback."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # nothing but loopback resolves: a page or the browser itself cannot phone home
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


def find_chromium(explicit: str | None = None) -> str | None:
    """`explicit`, else $BRAZE_CHROMIUM, else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    exe = explicit or os.environ.get("BRAZE_CHROMIUM")
    if exe:
        return exe
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")
