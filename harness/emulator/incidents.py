"""Errors raised inside the emulator (a handler, the Canvas timer), kept per scope so the test that caused one sees
it: the pytest plugin reads them at each test's teardown and fails the test with the traceback, as
pytest-httpserver re-raises its server thread's errors. Nothing raised in the emulator is lost in a log."""

from __future__ import annotations

import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Any

MAX_KEPT = 200


@dataclass(frozen=True, slots=True)
class Incident:
    seq: int
    at: float
    scope: str | None
    where: str
    error: str
    traceback: str

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "scope": self.scope,
            "where": self.where,
            "error": self.error,
            "traceback": self.traceback,
        }


class Incidents:
    def __init__(self) -> None:
        self._kept: deque[Incident] = deque(maxlen=MAX_KEPT)
        self._seq = 0
        self._lock = threading.Lock()

    def record(self, scope: str | None, where: str, exc: BaseException) -> Incident:
        with self._lock:
            self._seq += 1
            text = "".join(traceback.format_exception(exc))
            incident = Incident(self._seq, time.time(), scope, where, f"{type(exc).__name__}: {exc}", text)
            self._kept.append(incident)
            return incident

    def list(self, scope: str | None = None, after: int = 0) -> list[Incident]:
        with self._lock:
            return [i for i in self._kept if i.seq > after and (scope is None or i.scope == scope)]
