"""The request log of `braze-harness emulator` on the terminal: one line per request, whichever transport answered
it (the fast path, the ASGI app, the control API), instead of uvicorn's access log (which the fast path bypasses and
which knows no scope). `--quiet` turns it off; the journal (`/_emulator/requests`) is the record, this a glance.

    06:41:07.512  POST    /api/v3/data/                 200  checkout-1a2b3c4d   0.4 ms
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from typing import TextIO

_SCOPE_IN_PATH = re.compile(r"^/_emulator/scopes/([^/]+)")


class RequestLog:
    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out

    def __call__(self, method: str, path: str, status: int | str, scope: str | None, started: float) -> None:
        """One line: `started` is the request's `time.perf_counter()`; `scope` None: the path's, if a scope route."""
        ms = (time.perf_counter() - started) * 1000
        if scope is None:
            match = _SCOPE_IN_PATH.match(path)
            scope = match.group(1) if match else "-"
        now = time.time()
        stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
        out = self._out or sys.stdout
        out.write(f"{stamp}  {method:<7} {path[:200]:<29} {status:>4}  {scope:<18} {ms:5.1f} ms\n")
        out.flush()


Log = Callable[[str, str, "int | str", "str | None", float], None]
