"""The device clock: every time a virtual device sends (event `time`, envelope `time`, session
durations, `X-Braze-Last-Req-Ms-Ago`) is read from it, and `advance()` moves it forward at once,
so a 10 s session timeout or a 30 s retry backoff passes without waiting.

By default it runs like a phone's clock (wall time at creation + real elapsed time) plus everything
`advance()` added; `realtime=False` freezes it between advances (fully deterministic times).
`sleep()` is what the device does while it waits (retry backoff, `Retry-After`): on a running clock it
really waits, as a phone does (a server sees the retry arrive that much later); on a frozen clock it
advances the clock at once. `real_sleep` overrides that choice.
"""

from __future__ import annotations

import threading
import time


class DeviceClock:
    def __init__(self, start: float | None = None, *, realtime: bool = True, real_sleep: bool | None = None) -> None:
        self._base = time.time() if start is None else float(start)
        self._mono0 = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()
        self.realtime = realtime
        self.real_sleep = realtime if real_sleep is None else real_sleep

    def now(self) -> float:
        """Epoch seconds on the device."""
        elapsed = time.monotonic() - self._mono0 if self.realtime else 0.0
        with self._lock:
            return self._base + elapsed + self._offset

    @property
    def skipped(self) -> float:
        """Seconds added by `advance()` / virtual sleeps so far."""
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds` at once; returns the new `now()`."""
        if seconds < 0:
            raise ValueError(f"the device clock only moves forward (got {seconds})")
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    def sleep(self, seconds: float) -> None:
        """The device waiting `seconds` (retry backoff): a real wait, or with `real_sleep=False` a jump."""
        if seconds <= 0:
            return
        if self.real_sleep:
            time.sleep(seconds)
        else:
            self.advance(seconds)
