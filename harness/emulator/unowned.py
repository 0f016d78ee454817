"""Traffic that arrived but belongs to no test: SDK requests whose api key and device no scope owns.

The emulator answers them like any other (a customer's site with a hard-wired key still gets its server config),
but no test's expectations see them. Keeping the recent ones lets a failing "nothing seen" expectation name them
and the likely fix (`--braze-api-key KEY`, or claim the browser context's device): a test that watched an empty
scope while its app's traffic went elsewhere is told where it went.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from braze_harness.journal import JournalEntry

KEPT = 500  # the most recent unowned requests kept (a bounded ring: the journal itself holds the bodies)


@dataclass(frozen=True, slots=True)
class Unowned:
    seq: int
    at: float  # unix seconds (server clock)
    path: str
    api_key: str | None
    device_id: str | None
    source: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=256)
def _path(url: str) -> str:
    # asked per journaled request (this is a journal listener) of the handful of URLs an SDK posts to
    return urlsplit(url).path or "/"


class UnownedTraffic:
    """A journal listener keeping the last `KEPT` SDK requests journaled without a scope."""

    def __init__(self, kept: int = KEPT) -> None:
        self._recent: deque[Unowned] = deque(maxlen=kept)
        self._total = 0
        self._lock = threading.Lock()

    def add(self, entry: JournalEntry) -> None:
        if entry.scope is not None or entry.endpoint in (None, "rest"):  # owned, or not an SDK device's request
            return
        path = _path(entry.exchange.url)
        item = Unowned(entry.seq, entry.received_at, path, entry.api_key, entry.device_id, entry.source)
        with self._lock:
            self._recent.append(item)
            self._total += 1

    def recent(self, *, since: float | None = None, api_key: str | None = None, limit: int = 100) -> dict[str, Any]:
        """The newest unowned requests (newest last), filtered, with counts per api key and the total ever seen."""
        with self._lock:
            items = [u for u in self._recent if (since is None or u.at >= since) and (api_key is None or u.api_key == api_key)]
            total = self._total
        by_key: dict[str, int] = {}
        for u in items:
            by_key[u.api_key or ""] = by_key.get(u.api_key or "", 0) + 1
        return {
            "requests": [u.to_json() for u in items[-limit:]],
            "matched": len(items),
            "by_api_key": by_key,
            "total": total,
        }

    def clear(self) -> None:
        with self._lock:
            self._recent.clear()
