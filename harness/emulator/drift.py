"""Problems aggregated by location: protocol drift (what the SDK sent that we do not model) and errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

from braze_harness.journal import JournalEntry

_INDEX = re.compile(r"\[\d+\]")


class ProblemTally:
    """Counts problems by (severity, location with list indexes folded, message).

    Used as a journal listener for the whole run, since scopes drop their entries at teardown.
    """

    def __init__(self, entries: Iterable[JournalEntry] = ()) -> None:
        self._counts: dict[tuple[str, str, str], int] = {}
        self.requests = 0
        self.bad = 0
        self._lock = threading.Lock()
        for entry in entries:
            self.add(entry)

    def add(self, entry: JournalEntry) -> None:
        with self._lock:
            self.requests += 1
            self.bad += not entry.good
            for p in entry.problems:
                key = (p.severity, _INDEX.sub("[]", p.where), p.message)
                self._counts[key] = self._counts.get(key, 0) + 1

    def summary(self) -> dict[str, Any]:
        with self._lock:
            rows = [{"severity": s, "where": w, "message": m, "count": n} for (s, w, m), n in self._counts.items()]
            rows.sort(key=lambda r: (r["severity"] != "drift", -r["count"]))
            return {"requests": self.requests, "bad": self.bad, "problems": rows}
