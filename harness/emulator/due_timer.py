"""A timer that calls back when a scope's next due time comes (a Canvas delay ending), from one daemon thread.

Canvas progress moves on when something happens (an SDK request, the test advancing the scope's clock) and when
a delay ends in real time: this is what notices the latter, so reading profiles or progress never has to.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable


class DueTimer:
    def __init__(self, callback: Callable[[str], None], name: str = "braze-due-timer") -> None:
        self._callback = callback
        self._name = name
        self._heap: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def at(self, when: float, scope: str) -> None:
        """Call back for `scope` at `when` (unix seconds, real time); earlier calls for the scope stay."""
        with self._cond:
            if self._closed:
                return
            if any(s == scope and abs(w - when) < 1e-6 for w, s in self._heap):
                return
            heapq.heappush(self._heap, (when, scope))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._heap.clear()
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._heap or self._heap[0][0] > time.time()):
                    self._cond.wait(None if not self._heap else max(0.0, self._heap[0][0] - time.time()))
                if self._closed:
                    return
                _, scope = heapq.heappop(self._heap)
            self._callback(scope)  # the callback records its own errors (emulator incidents)
