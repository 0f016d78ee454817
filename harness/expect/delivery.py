"""The nothing-lost verdict: every event the client logged reached the profile exactly once, retries included.

    braze.expect.nothing_lost(user, logged=["outage-1", ("outage-2", {"n": 2})]).within(10)

An SDK resends a batch after an HTTP error, a dropped connection or an `auth_error`
(docs/web-sdk-wire.md, retries and sdk-authentication-answers), so one logged event can be on the wire several
times. Deliveries are grouped by the event's identity (code, name, time, session id, data): one identity = one event
the client logged. The verdict holds
when every logged event has exactly one identity, that identity was **applied** (accepted: 2xx, no `error` /
`auth_error`, not a fault) exactly once, and the profile's event log holds it exactly once. A second applied
delivery, or the same event twice in the profile, fails at once ("applied twice": the backend would
double-count); a missing one is waited for. The report lists each delivery with its `X-Braze-Req-Attempt`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from braze_harness.expect.report import failure
from braze_harness.expect.source import Source
from braze_harness.expect.waiting import DEFAULT_TIMEOUT, wait_until
from braze_harness.expect.workspaces import DEFAULT_WORKSPACE, InWorkspace, in_workspace, profile_keys
from braze_harness.journal import JournalEntry
from braze_harness.protocol.events import CustomEvent, Event

Logged = str | tuple[str, Mapping[str, Any]]


def applied(entry: JournalEntry) -> bool:
    """Whether the server accepted this request (so its data is on the profile)."""
    status = entry.exchange.status
    if not entry.good or status is None or not 200 <= status < 300:
        return False
    response = entry.exchange.response
    return not (isinstance(response, dict) and ("error" in response or "auth_error" in response))


def _identity(event: Event) -> tuple[Any, ...]:
    data = event.model_dump(mode="json", exclude_none=True).get("data")
    return (event.name, event.time, event.session_id, event.user_id, orjson.dumps(data, option=orjson.OPT_SORT_KEYS))


@dataclass(slots=True)
class Delivery:
    seq: int
    attempt: int | None
    status: int | None
    applied: bool
    why: str  # the fault / rejection, when not applied

    def __str__(self) -> str:
        status = self.status if self.status is not None else "no answer"
        tail = "applied" if self.applied else f"not applied{': ' + self.why if self.why else ''}"
        return f"#{self.seq} attempt={self.attempt if self.attempt is not None else '-'} {status} {tail}"


@dataclass(slots=True)
class DeliveredEvent:
    """One event the client logged, and every time it went over the wire."""

    name: str
    props: dict[str, Any]
    time: float
    session_id: str | None
    user_id: str | None
    deliveries: list[Delivery] = field(default_factory=list)
    on_profile: int = 0

    @property
    def applied(self) -> int:
        return sum(1 for d in self.deliveries if d.applied)

    def __str__(self) -> str:
        props = orjson.dumps(self.props).decode()
        head = f"ce {self.name!r} {props} t={self.time} session={self.session_id}"
        return f"{head}: applied {self.applied}×, on profile {self.on_profile}×; " + ", ".join(map(str, self.deliveries))


def _why(entry: JournalEntry) -> str:
    notes = [str(p) for p in entry.problems if p.severity == "error"]
    response = entry.exchange.response
    if isinstance(response, dict) and "auth_error" in response:
        notes.append(f"auth_error {response['auth_error']}")
    return "; ".join(notes)[:160]


class NothingLostExpectation(InWorkspace):
    def __init__(
        self,
        source: Source,
        user: str | None,
        logged: Iterable[Logged],
        default_timeout: float = DEFAULT_TIMEOUT,
        *,
        device: str | None = None,
        workspace: str | None = DEFAULT_WORKSPACE,
        looked: set[str | None] | None = None,
    ) -> None:
        if user is None and device is None:
            raise ValueError("nothing_lost: give the user (external_id), or device= for anonymous events")
        self._start_in(workspace, looked)
        self.source = source
        self.user = user
        self.device = device
        self.logged: list[tuple[str, dict[str, Any] | None]] = [
            (item, None) if isinstance(item, str) else (item[0], dict(item[1])) for item in logged
        ]
        if not self.logged:
            raise ValueError("nothing_lost: give the events the client logged")
        self.default_timeout = default_timeout
        self._after = 0

    def after(self, mark: int) -> NothingLostExpectation:
        self._after = mark
        return self

    def _who(self) -> str:
        return f"user {self.user!r}" if self.user is not None else f"anonymous device {self.device!r}"

    # -- evaluation ----------------------------------------------------------------------------

    def deliveries(self, entries: list[JournalEntry] | None = None) -> list[DeliveredEvent]:
        """Every logged custom event of the user, with its deliveries and profile count (no waiting)."""
        entries = self.source.entries() if entries is None else entries
        names = {name for name, _ in self.logged}
        by_identity: dict[tuple[Any, ...], DeliveredEvent] = {}
        for entry in in_workspace(entries, self.source, self.workspace):
            if entry.seq <= self._after:
                continue
            ok = applied(entry)
            for event in entry.events:
                if not isinstance(event, CustomEvent) or event.data.n not in names or event.user_id != self.user:
                    continue
                if self.device is not None and entry.device_id != self.device:
                    continue
                key = _identity(event)
                found = by_identity.get(key)
                if found is None:
                    props = dict(event.data.p or {})
                    found = by_identity[key] = DeliveredEvent(event.data.n, props, event.time, event.session_id, event.user_id)
                attempt = entry.request.braze.req_attempt
                if not any(d.seq == entry.seq for d in found.deliveries):
                    found.deliveries.append(Delivery(entry.seq, attempt, entry.exchange.status, ok, "" if ok else _why(entry)))
        selector = {"external_id": self.user} if self.user is not None else {"device_id": self.device}
        keys = profile_keys(self.source, self.workspace)
        if keys is None:
            profiles = self.source.profiles(**selector)
        else:  # the profiles of the workspace looked in (one app's key selects its workspace's)
            seen: dict[str, dict[str, Any]] = {}
            for key in keys:
                for p in self.source.profiles(**selector, api_key=key):
                    seen.setdefault(p["braze_id"], p)
            profiles = list(seen.values())
        log = [row for p in profiles for row in p.get("custom_event_log", [])]
        for delivered in by_identity.values():
            delivered.on_profile = sum(
                1
                for row in log
                if row.get("name") == delivered.name
                and row.get("time") == delivered.time
                and row.get("session_id") == delivered.session_id
                and (row.get("properties") or {}) == delivered.props
            )
        return sorted(by_identity.values(), key=lambda d: d.time)

    def _verdict(self, delivered: list[DeliveredEvent]) -> tuple[list[str], list[str]]:
        """(missing, duplicated) descriptions."""
        missing: list[str] = []
        duplicated = [f"applied twice: {d}" for d in delivered if d.applied > 1 or d.on_profile > 1]
        pool = list(delivered)
        for name, props in self.logged:
            match = next((d for d in pool if d.name == name and (props is None or _subset(props, d.props))), None)
            want = f"ce {name!r}" + (f" {orjson.dumps(props).decode()}" if props is not None else "")
            if match is None:
                missing.append(f"never sent: {want}")
                continue
            pool.remove(match)
            if match.applied == 0 or match.on_profile == 0:
                missing.append(f"not on the profile yet: {match}")
        for extra in pool:
            if any(extra.name == name for name, _ in self.logged):
                duplicated.append(f"logged more often than expected: {extra}")
        return missing, duplicated

    def within(self, timeout: float | None = None) -> list[DeliveredEvent]:
        timeout = self.default_timeout if timeout is None else timeout
        last: dict[str, Any] = {}

        def check(entries: list[JournalEntry]) -> list[DeliveredEvent] | None:
            delivered = self.deliveries(entries)
            missing, duplicated = self._verdict(delivered)
            last.update(delivered=delivered, missing=missing, duplicated=duplicated)
            return delivered if not missing and not duplicated else None

        def fail_fast(entries: list[JournalEntry]) -> str | None:
            delivered = self.deliveries(entries)
            _, duplicated = self._verdict(delivered)
            last.update(delivered=delivered, missing=[], duplicated=duplicated)
            return "; ".join(duplicated) if duplicated else None

        what = f"nothing lost for {self._who()}: " + ", ".join(name for name, _ in self.logged)
        found, entries, waited, reason = wait_until(self.source, timeout, check, fail_fast=fail_fast, what=what)
        if found is not None and reason is None:
            return found
        wanted = ", ".join(name if props is None else f"{name} {props}" for name, props in self.logged)
        misses = [*last.get("duplicated", []), *last.get("missing", [])]
        misses += [f"delivery log: {d}" for d in last.get("delivered", [])]
        raise failure(
            f"Expected within {timeout:g} s: every logged event of {self._who()}{self._where()} applied exactly once "
            f"(nothing lost, nothing doubled): {wanted}.",
            waited=waited,
            entries=entries,
            misses=misses,
            scope=self.source.scope,
            misses_title="Verdict:",
            misses_shown=40,
        )


def _subset(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    return all(k in actual and actual[k] == v for k, v in expected.items())
