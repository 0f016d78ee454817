"""Each scope's clock: real time plus what its test advanced (`braze.messaging.advance(s)`), so a Canvas delay of a
day or the Content Cards refill passes without waiting."""

from __future__ import annotations

import threading
import time


class ScopeClocks:
    def __init__(self) -> None:
        self._offsets: dict[str, float] = {}
        self._lock = threading.Lock()

    def now(self, scope: str | None) -> float:
        return time.time() + self._offsets.get(scope or "", 0.0)

    def offset(self, scope: str | None) -> float:
        return self._offsets.get(scope or "", 0.0)

    def advance(self, scope: str, seconds: float) -> float:
        """Move `scope`'s clock on; the new offset."""
        with self._lock:
            self._offsets[scope] = self._offsets.get(scope, 0.0) + seconds
            return self._offsets[scope]

    def drop(self, scope: str | None = None) -> None:
        with self._lock:
            if scope is None:
                self._offsets.clear()
            else:
                self._offsets.pop(scope, None)
