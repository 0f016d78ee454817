"""REST rate limits as Braze applies them: per workspace and per group of endpoints, a window of `limit` requests
(`braze_harness.protocol.rest_limits`). On by default with Braze's numbers; a test may lower them for its scope
to see its backend handle 429s, or turn them off (`PUT /_emulator/scopes/{scope}/rest_rate_limits`)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from braze_harness.protocol.rest_limits import RATE_GROUPS, RateLimit, rate_group


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass(frozen=True)
class RateVerdict:
    allowed: bool
    headers: dict[str, str]
    group: str
    limit: RateLimit


class RestRateLimits:
    def __init__(self) -> None:
        self._windows: dict[tuple[str | None, str, str], _Window] = {}
        self._overrides: dict[str, dict[str, RateLimit]] = {}
        self._off: set[str] = set()
        self._lock = threading.Lock()

    def configure(self, scope: str, *, enabled: bool, limits: dict[str, RateLimit]) -> None:
        unknown = sorted(set(limits) - set(RATE_GROUPS))
        if unknown:
            raise ValueError(f"limits: unknown group {unknown[0]!r}; groups: {', '.join(RATE_GROUPS)}")
        with self._lock:
            (self._off.discard if enabled else self._off.add)(scope)
            self._overrides[scope] = dict(limits)
            for key in [k for k in self._windows if k[0] == scope]:
                del self._windows[key]  # a new setting starts new windows

    def effective(self, scope: str) -> dict[str, object]:
        with self._lock:
            limits = {g: self._overrides.get(scope, {}).get(g, default) for g, (default, _) in RATE_GROUPS.items()}
            return {
                "enabled": scope not in self._off,
                "limits": {g: {"limit": r.limit, "window_s": r.window_s} for g, r in limits.items()},
            }

    def drop(self, scope: str) -> None:
        with self._lock:
            self._overrides.pop(scope, None)
            self._off.discard(scope)
            for key in [k for k in self._windows if k[0] == scope]:
                del self._windows[key]

    def check(self, scope: str | None, workspace: str, path: str, now: float | None = None) -> RateVerdict | None:
        """Count one request; None when the path has no limit or the scope turned limits off."""
        group = rate_group(path)
        if group is None or (scope is not None and scope in self._off):
            return None
        now = time.time() if now is None else now
        with self._lock:
            limit = self._overrides.get(scope or "", {}).get(group, RATE_GROUPS[group][0])
            key = (scope, workspace, group)
            window = self._windows.get(key)
            if window is None or now >= window.started + limit.window_s:
                window = self._windows[key] = _Window(now)
            allowed = window.used < limit.limit
            if allowed:
                window.used += 1
            headers = {
                "x-ratelimit-limit": str(limit.limit),
                "x-ratelimit-remaining": str(max(0, limit.limit - window.used)),
                "x-ratelimit-reset": str(math.ceil(window.started + limit.window_s)),
            }
        return RateVerdict(allowed, headers, group, limit)
