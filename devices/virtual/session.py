"""Mobile sessions (docs/server-behaviour.md, mobile-sessions): `open()` starts one (or resumes it), `close()`
only marks the end (app in the background), and the session ends when `timeout` seconds pass with
no `open()` in between. The end is noticed late: the next `open()` (or a user change) returns the
ended session, so its `se` goes out with the next `ss` — what both mobile SDKs do on the wire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from braze_harness.devices.virtual.clock import DeviceClock


@dataclass(slots=True)
class Session:
    id: str
    user_id: str | None
    start: float
    closed_at: float | None = None  # None: the app is in the foreground

    def duration(self, now: float) -> float:
        end = self.closed_at if self.closed_at is not None else now
        return max(0.0, end - self.start)


@dataclass(slots=True)
class Transition:
    ended: Session | None = None  # a session that is over and whose `se` is due
    started: Session | None = None  # a new session whose `ss` is due


class SessionManager:
    def __init__(self, clock: DeviceClock, new_id: Callable[[], str], timeout: float = 10.0) -> None:
        if timeout < 1:
            raise ValueError("session_timeout must be at least 1 s (Braze's minimum)")
        self.clock = clock
        self.new_id = new_id
        self.timeout = float(timeout)
        self.current: Session | None = None

    @property
    def in_foreground(self) -> bool:
        return self.current is not None and self.current.closed_at is None

    def alive(self, now: float | None = None) -> bool:
        """Open, or closed less than `timeout` ago (an event logged now still belongs to it)."""
        s = self.current
        if s is None:
            return False
        if s.closed_at is None:
            return True
        now = self.clock.now() if now is None else now
        return now - s.closed_at < self.timeout

    @property
    def session_id(self) -> str | None:
        return self.current.id if self.current is not None and self.alive() else None

    def open(self, user_id: str | None) -> Transition:
        now = self.clock.now()
        s = self.current
        if s is not None and s.closed_at is None:
            return Transition()  # already open
        if s is not None and self.alive(now):
            s.closed_at = None  # back within the timeout: the same session continues
            return Transition()
        self.current = Session(self.new_id(), user_id, now)
        return Transition(ended=s, started=self.current)

    def close(self) -> bool:
        s = self.current
        if s is None or s.closed_at is not None:
            return False
        s.closed_at = self.clock.now()
        return True

    def end_now(self) -> Session | None:
        """End the current session at once (changeUser) and return it: open, closed or already timed
        out, its `se` has not been sent yet."""
        s, self.current = self.current, None
        if s is not None and s.closed_at is None:
            s.closed_at = self.clock.now()
        return s

    def forget(self) -> None:
        self.current = None
