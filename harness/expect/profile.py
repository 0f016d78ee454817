"""Waiting assertions on the emulator's profiles: `expect.profile("u1").has(first_name="Ada", sessions=2)`."""

from __future__ import annotations

import difflib
from typing import Any

import orjson
from braze_harness.expect.patterns import Diff, show, value_diffs
from braze_harness.expect.report import failure
from braze_harness.expect.source import Source
from braze_harness.expect.waiting import DEFAULT_TIMEOUT, wait_until
from braze_harness.expect.workspaces import DEFAULT_WORKSPACE, InWorkspace, profile_keys
from braze_harness.journal import JournalEntry

NEAREST_SHOWN = 3

# keys of `has()` that compare against a count or a sub-document of the profile view
_COUNTS = {"sessions": ("sessions", "count"), "devices": ("devices", None), "push_tokens": ("push_tokens", None)}


def profile_differences(profile: dict[str, Any], expected: dict[str, Any]) -> list[Diff]:
    attrs = profile.get("attributes") or {}
    diffs: list[Diff] = []
    for key, exp in expected.items():
        if key in _COUNTS and isinstance(exp, int) and not isinstance(exp, bool):
            top, sub = _COUNTS[key]
            value = profile.get(top)
            actual = value.get(sub) if sub and isinstance(value, dict) else len(value or [])
            diffs.extend(value_diffs(actual, exp, key))
        elif key == "custom":
            diffs.extend(value_diffs(attrs.get("custom") or {}, exp, "custom"))
        elif key in ("custom_events", "purchases") and isinstance(exp, dict):
            diffs.extend(value_diffs(profile.get(key) or {}, exp, key))
        elif key in profile:
            diffs.extend(value_diffs(profile[key], exp, key))
        else:  # a standard attribute: first_name, email, ...
            diffs.extend(value_diffs(attrs.get(key, "<absent>") if key not in attrs else attrs[key], exp, key))
    return diffs


class ProfileExpectation(InWorkspace):
    def __init__(
        self,
        source: Source,
        *,
        external_id: str | None = None,
        device_id: str | None = None,
        default_timeout: float = DEFAULT_TIMEOUT,
        workspace: str | None = DEFAULT_WORKSPACE,
        looked: set[str | None] | None = None,
    ) -> None:
        if not external_id and not device_id:
            raise ValueError("profile expectation needs external_id or device_id")
        self._start_in(workspace, looked)
        self.source = source
        self.external_id = external_id
        self.device_id = device_id
        self.default_timeout = default_timeout
        self.expected: dict[str, Any] = {}
        self._count: int | None = None

    def has(self, **expected: Any) -> ProfileExpectation:
        """Fields: standard attributes (first_name=...), custom={...} (subset), sessions=N, devices=N,
        push_tokens=N, custom_events={name: count}, purchases={product: count}, or any key of the
        profile view (external_id, braze_id, revenue, aliases, ...). Values may be predicates."""
        self.expected.update(expected)
        return self

    def count(self, n: int) -> ProfileExpectation:
        """How many profiles must match the selector (e.g. 1: two devices ended in one profile)."""
        self._count = n
        return self

    def _who(self) -> str:
        return f"external_id {self.external_id!r}" if self.external_id else f"device {self.device_id!r}"

    def _fetch(self) -> list[dict[str, Any]]:
        keys = profile_keys(self.source, self.workspace)
        if keys is None:
            return self.source.profiles(external_id=self.external_id, device_id=self.device_id)
        found: dict[str, dict[str, Any]] = {}
        for key in keys:  # profiles belong to workspaces: one app's key selects its workspace's
            for p in self.source.profiles(external_id=self.external_id, device_id=self.device_id, api_key=key):
                found.setdefault(p["braze_id"], p)
        return list(found.values())

    def _nearest(self, entries: list[JournalEntry]) -> list[str]:
        """When no profile matches the selector: the scope's profiles most likely meant, with their key fields —
        the same external id in another workspace, a similar external id, one on a device that sent as this user,
        the most recently seen."""
        try:
            everyone = self.source.profiles()
        except RuntimeError:
            return []
        devices = {e.device_id for e in entries if e.device_id and self.external_id in e.user_ids}
        if self.device_id:
            devices.add(self.device_id)
        scored: list[tuple[float, str]] = []
        for p in everyone:
            on = {d.get("device_id") for d in p.get("devices") or []}
            why: list[str] = []
            score = 0.0
            if self.external_id and p.get("external_id") == self.external_id:
                why.append(f"same external id, in workspace {_short(p)!r}")
                score += 3
            elif self.external_id and p.get("external_id"):
                ratio = difflib.SequenceMatcher(None, self.external_id, p["external_id"]).ratio()
                if ratio >= 0.6:
                    why.append(f"similar external id ({ratio:.0%})")
                    score += 1 + ratio
            if devices & on:
                why.append("same device" if self.device_id else "on a device that sent as this user")
                score += 2
            recent = max((d.get("last_seen") or 0 for d in p.get("devices") or []), default=0)
            scored.append((score + recent * 1e-12, f"{_key_fields(p)}" + (f" — {', '.join(why)}" if why else " — recently seen")))
        scored.sort(key=lambda t: -t[0])
        return [f"nearest: {text}" for _, text in scored[:NEAREST_SHOWN]] or ["the scope has no profile at all"]

    def get(self) -> dict[str, Any] | None:
        found = self._fetch()
        return found[0] if found else None

    def within(self, timeout: float | None = None) -> dict[str, Any]:
        timeout = self.default_timeout if timeout is None else timeout
        last: dict[str, Any] = {"profiles": []}

        def check(_: list[JournalEntry]) -> dict[str, Any] | None:
            profiles = self._fetch()
            last["profiles"] = profiles
            if self._count is not None and len(profiles) != self._count:
                return None
            for p in profiles:
                if not profile_differences(p, self.expected):
                    return p
            return None

        want = ", ".join(f"{k}={show(v)}" for k, v in self.expected.items()) or "to exist"
        what = f"profile with {self._who()}{self._where()} has {want}"
        found, entries, waited, _ = wait_until(self.source, timeout, check, what=what)
        if found is not None:
            return found
        profiles = last["profiles"]
        misses = []
        if self._count is not None and len(profiles) != self._count:
            misses.append(f"{len(profiles)} profile(s) with {self._who()}, expected {self._count}")
        if not profiles:
            misses.append(f"no profile with {self._who()}{self._where()}")
            misses.extend(self._nearest(entries))
        for p in profiles:
            diffs = profile_differences(p, self.expected)
            misses.append(
                f"profile {p.get('braze_id')} (external_id={p.get('external_id')!r}): "
                + ("; ".join(map(str, diffs)) or "matches")
            )
            misses.append(
                "  is: "
                + orjson.dumps(
                    {k: p.get(k) for k in ("attributes", "custom_events", "purchases", "sessions")}, default=str
                ).decode()[:600]
            )
        want = ", ".join(f"{k}={show(v)}" for k, v in self.expected.items()) or "to exist"
        count = f" ({self._count} profile(s))" if self._count is not None else ""
        raise failure(
            f"Expected within {timeout:g} s: profile with {self._who()}{self._where()}{count} has {want}.",
            waited=waited,
            entries=entries,
            misses=misses,
            scope=self.source.scope,
            misses_shown=max(len(misses), 3),
        )


def _short(profile: dict[str, Any]) -> str:
    return str(profile.get("workspace") or "").rsplit("/", 1)[-1]


def _key_fields(p: dict[str, Any]) -> str:
    """One profile in a line: who it is, where, on which devices, and what it holds."""
    attrs = p.get("attributes") or {}
    named = {k: attrs[k] for k in ("first_name", "last_name", "email") if attrs.get(k)}
    devices = [str(d.get("device_id")) for d in p.get("devices") or []]
    fields = {
        "external_id": p.get("external_id"),
        "braze_id": p.get("braze_id"),
        "workspace": _short(p),
        "devices": devices[:3],
        **named,
        "custom_events": p.get("custom_events") or {},
        "sessions": (p.get("sessions") or {}).get("count", 0),
    }
    return "profile " + orjson.dumps(fields, default=str).decode()[:300]
