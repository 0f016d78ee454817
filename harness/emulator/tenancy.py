"""Tenancy: scopes, which scope owns which api key and device id, and the calls its test made on its apps.

Scopes isolate parallel tests. A scope owns the api keys of the apps it created and the device ids it claimed;
every request is attributed to the scope that owns its device (more specific: tests sharing one api key stay
apart) or else its key, once, when it enters the emulator. The journal only stores the scope it is given.

A scope also keeps its test's calls on the app (`launch()`, `log_event("x")`, as the pytest plugin posts them, the
newest CALLS_CAP) for the dashboard's timeline; they go when the scope is released.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable
from typing import Any

CALLS_CAP = 1000  # a scope's calls kept (the oldest dropped first, counted)


class Tenancy:
    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._by_device: dict[str, str] = {}
        self._calls: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def new_scope(name: str | None = None) -> str:
        """A fresh scope id: the name (cleaned, ≤ 40 characters) and a random suffix."""
        prefix = "".join(c if c.isalnum() or c in "-_" else "-" for c in (name or "scope"))[:40]
        return f"{prefix}-{secrets.token_hex(4)}"

    def claim(self, scope: str, *, api_keys: Iterable[str] = (), device_ids: Iterable[str] = ()) -> None:
        with self._lock:
            for key in api_keys:
                self._by_key[key] = scope
            for dev in device_ids:
                self._by_device[dev] = scope

    def release(self, scope: str) -> None:
        with self._lock:
            self._by_key = {k: s for k, s in self._by_key.items() if s != scope}
            self._by_device = {d: s for d, s in self._by_device.items() if s != scope}
            self._calls.pop(scope, None)

    def add_calls(self, scope: str, calls: list[dict[str, Any]]) -> dict[str, int]:
        """Keep `calls` (plain data) for `scope`, the newest CALLS_CAP of all: how many it keeps, how many this dropped."""
        with self._lock:
            kept = self._calls.setdefault(scope, [])
            kept.extend(calls)
            over = max(len(kept) - CALLS_CAP, 0)
            del kept[:over]
            return {"kept": len(kept), "dropped": over}

    def calls(self, scope: str) -> list[dict[str, Any]]:
        """The calls kept for `scope`, in the order they were added."""
        with self._lock:
            return list(self._calls.get(scope, []))

    def scope_for(self, api_key: str | None, device_id: str | None) -> str | None:
        # a device claim is more specific than a key: tests sharing one key still stay apart
        if device_id and device_id in self._by_device:
            return self._by_device[device_id]
        if api_key:
            return self._by_key.get(api_key)
        return None

    def owned(self, scope: str) -> dict[str, list[str]]:
        with self._lock:
            return {
                "api_keys": sorted(k for k, s in self._by_key.items() if s == scope),
                "device_ids": sorted(d for d, s in self._by_device.items() if s == scope),
            }
