"""Waiting assertions on the emulator's profiles: `expect.profile("u1").has(first_name="Ada", sessions=2)`."""

from __future__ import annotations

from typing import Any

import orjson
from braze_harness.expect.patterns import Diff, value_diffs
from braze_harness.expect.report import failure
from braze_harness.expect.source import Source
from braze_harness.expect.waiting import DEFAULT_TIMEOUT, wait_until
from braze_harness.journal import JournalEntry

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


class ProfileExpectation:
    def __init__(
        self,
        source: Source,
        *,
        external_id: str | None = None,
        device_id: str | None = None,
        default_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not external_id and not device_id:
            raise ValueError("profile expectation needs external_id or device_id")
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
        return self.source.profiles(external_id=self.external_id, device_id=self.device_id)

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

        found, entries, waited, _ = wait_until(self.source, timeout, check)
        if found is not None:
            return found
        profiles = last["profiles"]
        misses = []
        if self._count is not None and len(profiles) != self._count:
            misses.append(f"{len(profiles)} profile(s) with {self._who()}, expected {self._count}")
        if not profiles:
            misses.append(f"no profile with {self._who()}")
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
        want = ", ".join(f"{k}={v!r}" for k, v in self.expected.items()) or "to exist"
        count = f" ({self._count} profile(s))" if self._count is not None else ""
        raise failure(
            f"Expected within {timeout:g} s: profile with {self._who()}{count} has {want}.",
            waited=waited,
            entries=entries,
            misses=misses,
            scope=self.source.scope,
        )
