"""Waiting assertions on the wire: `expect.custom_event("x").within(5)`, counts, `never`, order.

Every wait re-evaluates only when the journal changes (Source.wait blocks on a condition or a
long-poll), so a satisfied expectation returns as soon as the request is journaled. `wait_until` is the one
wait of the harness (what is outside the journal, like a phone's screen, is looked at on an interval through
it too), and `wait_for` the one way a wait on a value fails: `ExpectationFailed` with the journal diagnosis.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

from braze_harness.expect import verdicts
from braze_harness.expect.patterns import AttributesPattern, Diff, EventPattern
from braze_harness.expect.report import ExpectationFailed, failure
from braze_harness.expect.source import Source
from braze_harness.expect.workspaces import DEFAULT_WORKSPACE, InWorkspace, elsewhere, in_workspace, label, workspace_keys
from braze_harness.journal import JournalEntry
from braze_harness.journal.entry import describe_event
from braze_harness.protocol.attributes import Attributes
from braze_harness.protocol.events import Event

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class EventMatch:
    entry: JournalEntry
    event: Event

    @property
    def user_id(self) -> str | None:
        return self.event.user_id


@dataclass(frozen=True, slots=True)
class AttributesMatch:
    entry: JournalEntry
    attributes: Attributes


def wait_until[T](
    source: Source | None,
    timeout: float,
    check: Callable[[list[JournalEntry]], T | None],
    *,
    fail_fast: Callable[[list[JournalEntry]], str | None] | None = None,
    every: float | None = None,
    nudge: Callable[[], None] | None = None,
    what: str | None = None,
    continues: bool = False,
) -> tuple[T | None, list[JournalEntry], float, str | None]:
    """The one wait: run `check` on the scope's entries now and after every journal change until it returns
    non-None, `fail_fast` gives a reason, or `timeout` passes -> (result, entries, waited, reason).

    `every`: also re-check at least that often, for state outside the journal (a phone's screen); without a
    `source` it is the only wake-up (a poll). `nudge`: called before the first check and then every `every` s
    while waiting (e.g. ask the app to flush what its SDK queued). `what`: the expectation, for the source's verdict
    log when it keeps one (expect/verdicts.py); `continues`: this wait goes on with the previous one's verdict."""
    if every is not None and every <= 0:
        raise ValueError("every: must be a number of seconds > 0")
    if source is None and every is None:
        raise ValueError("a wait without a journal source needs `every` (how often to look)")
    verdict = verdicts.begin(source, what, continues=continues)
    try:
        found = _wait_until(source, timeout, check, fail_fast, every, nudge)
        verdicts.matched(verdict, found[0])
        return found
    finally:
        verdicts.end(verdict)


def _wait_until[T](
    source: Source | None,
    timeout: float,
    check: Callable[[list[JournalEntry]], T | None],
    fail_fast: Callable[[list[JournalEntry]], str | None] | None,
    every: float | None,
    nudge: Callable[[], None] | None,
) -> tuple[T | None, list[JournalEntry], float, str | None]:
    start = time.monotonic()
    deadline = start + timeout
    next_nudge = start
    while True:
        if nudge is not None and time.monotonic() >= next_nudge:
            nudge()
            next_nudge = time.monotonic() + every if every is not None else math.inf
        seq = source.latest_seq() if source is not None else 0
        entries = source.entries() if source is not None else []
        if fail_fast is not None:
            reason = fail_fast(entries)
            if reason:
                return None, entries, time.monotonic() - start, reason
        result = check(entries)
        if result is not None:
            return result, entries, time.monotonic() - start, None
        now = time.monotonic()
        remaining = deadline - now
        if remaining <= 0:
            return None, entries, now - start, None
        pause = remaining if every is None else min(remaining, every)
        if nudge is not None:
            pause = min(pause, max(next_nudge - now, 0.0))
        if source is not None:
            source.wait(seq, pause)
        else:
            time.sleep(pause)  # nothing to block on: a screen is not in the journal


def _present(value: object) -> bool:
    return value is not None


def wait_for[V](
    source: Source | None,
    timeout: float,
    read: Callable[[list[JournalEntry]], V],
    *,
    expected: str,
    until: Callable[[V], bool] = _present,
    show: Callable[[V], str] = repr,
    fail_fast: Callable[[V], str | None] | None = None,
    every: float | None = None,
    nudge: Callable[[], None] | None = None,
    error: type[ExpectationFailed] = ExpectationFailed,
) -> V:
    """`wait_until` on a value: re-`read` it (from the entries, the control API, a screen) on every wake-up until
    `until(value)` holds and return it. Otherwise raise the one failure: `expected`, how long it waited, the
    last value (`show`, one line each) and the scope's recent traffic. `fail_fast(value)` -> a reason stops at once."""
    last: list[V] = []

    def check(entries: list[JournalEntry]) -> tuple[V, str | None] | None:
        value = read(entries)
        last[:] = [value]
        reason = fail_fast(value) if fail_fast is not None else None
        return (value, reason) if reason or until(value) else None

    found, entries, waited, _ = wait_until(source, timeout, check, every=every, nudge=nudge, what=expected)
    if found is not None and found[1] is None:
        return found[0]
    reason = found[1] if found is not None else None
    misses = show(last[0]).splitlines() if last else []
    raise failure(
        f"Expected within {timeout:g} s: {expected}" + (f" — {reason}." if reason else "."),
        waited=waited,
        entries=entries if source is not None else None,
        misses=misses,
        scope=source.scope if source is not None else None,
        misses_title="Last seen:",
        misses_shown=max(len(misses), 1),
        error=error,
    )


class _Counted(InWorkspace):
    """Count constraints shared by event and attribute expectations."""

    def __init__(self, workspace: str | None = DEFAULT_WORKSPACE, looked: set[str | None] | None = None) -> None:
        self._start_in(workspace, looked)
        self._min = 1
        self._max: int | None = None
        self._after = 0
        self._nudge: Callable[[], None] | None = None
        self._every: float | None = None

    def exactly(self, n: int) -> Self:
        self._min, self._max = n, n
        return self

    def at_least(self, n: int) -> Self:
        self._min = n
        return self

    def at_most(self, n: int) -> Self:
        self._min, self._max = 0, n
        return self

    def after(self, mark: int) -> Self:
        """Only consider traffic journaled after `mark` (from `expect.mark()`)."""
        self._after = mark
        return self

    def nudge(self, action: Callable[[], None], *, every: float) -> Self:
        """While waiting, call `action` at once and then every `every` s (e.g. the app's flush: an SDK queues
        an impression a moment after showing it, and a flush before that sends nothing)."""
        self._nudge, self._every = action, every
        return self

    def _wait[T](
        self,
        source: Source,
        timeout: float,
        check: Callable[[list[JournalEntry]], T | None],
        fail_fast: Callable[[list[JournalEntry]], str | None] | None = None,
        *,
        what: str | None = None,
        continues: bool = False,
    ) -> tuple[T | None, list[JournalEntry], float, str | None]:
        what = what or (self._describe() + self._count_text())
        return wait_until(
            source, timeout, check, fail_fast=fail_fast, every=self._every, nudge=self._nudge, what=what, continues=continues
        )

    def _describe(self) -> str:
        pattern = getattr(self, "pattern", None)
        where = getattr(self, "_where", None)
        return (pattern.describe() if pattern is not None else "an expectation") + (where() if where is not None else "")

    def _count_text(self) -> str:
        if self._max is None:
            return "" if self._min == 1 else f" at least {self._min}×"
        if self._min == self._max:
            return f" exactly {self._min}×"
        return f" at most {self._max}×"


class EventExpectation(_Counted):
    def __init__(
        self,
        source: Source,
        pattern: EventPattern,
        default_timeout: float = DEFAULT_TIMEOUT,
        *,
        workspace: str | None = DEFAULT_WORKSPACE,
        looked: set[str | None] | None = None,
    ) -> None:
        super().__init__(workspace, looked)
        self.source = source
        self.pattern = pattern
        self.default_timeout = default_timeout

    def matches(self, entries: list[JournalEntry] | None = None) -> list[EventMatch]:
        """Matches now, without waiting."""
        entries = self.source.entries() if entries is None else entries
        found = []
        for entry in in_workspace(entries, self.source, self.workspace):
            if entry.seq <= self._after:
                continue
            for event in entry.events:
                if not self.pattern.differences(event, device_id=entry.device_id, api_key=entry.api_key):
                    found.append(EventMatch(entry, event))
        return found

    def within(self, timeout: float | None = None, *, settle: float = 0.0) -> list[EventMatch]:
        """Wait until the count is met. With an upper bound, `settle` keeps watching that long for extras."""
        timeout = self.default_timeout if timeout is None else timeout
        if self._min == 0:  # "at most n": only a full window can prove it
            return self._hold(timeout)

        def enough(entries: list[JournalEntry]) -> list[EventMatch] | None:
            found = self.matches(entries)
            return found if len(found) >= self._min else None

        found, entries, waited, reason = self._wait(self.source, timeout, enough, self._too_many)
        if found is not None and self._max is not None and settle > 0:
            _, entries, extra, reason = self._wait(self.source, settle, lambda _: None, self._too_many, continues=True)
            waited += extra
        if found is None or reason:
            raise self._failure(f"within {timeout:g} s", entries, waited, reason)
        return found

    def never(self, within: float | None = None) -> None:
        """Assert that nothing matches during the whole window (fails as soon as something does)."""
        self._min, self._max = 0, 0
        self._hold(self.default_timeout if within is None else within, headline="never")

    def _too_many(self, entries: list[JournalEntry]) -> str | None:
        if self._max is None:
            return None
        n = len(self.matches(entries))
        return f"got {n}" if n > self._max else None

    def _hold(self, window: float, headline: str | None = None) -> list[EventMatch]:
        what = f"never: {self._describe()}" if headline == "never" else None
        _, entries, waited, reason = self._wait(self.source, window, lambda _: None, self._too_many, what=what)
        found = self.matches(entries)
        verdicts.matched(verdicts.latest(), found)  # what the window saw: the offending ones when it did not hold
        if reason:
            raise self._failure(headline or f"within {window:g} s", entries, waited, reason, show_matches=True)
        return found

    def _failure(
        self, when: str, entries: list[JournalEntry], waited: float, reason: str | None, *, show_matches: bool = False
    ) -> ExpectationFailed:
        desc = self.pattern.describe() + self._where()
        if when == "never":
            headline = f"Expected never: {desc} — but one arrived."
        else:
            headline = f"Expected{self._count_text()} {when}: {desc}" + (f" — {reason}." if reason else ".")
        if show_matches or reason:
            lines = [f"#{m.entry.seq} {describe_event(m.event)}" for m in self.matches(entries)]
        else:
            lines = self._elsewhere(entries) + self._near_misses(entries)
        title = "Offending matches:" if (show_matches or reason) else "Nearest misses:"
        return failure(headline, waited=waited, entries=entries, misses=lines, scope=self.source.scope, misses_title=title)

    def _elsewhere(self, entries: list[JournalEntry]) -> list[str]:
        """Matches in workspaces this expectation did not look in: the likeliest cause (a build on another key)."""
        outside = elsewhere(entries, self.source, self.workspace)
        if not outside:
            return []
        mine = {e.seq for e in in_workspace(entries, self.source, self.workspace)}
        others = [e for e in entries if e.seq not in mine]
        found: dict[str, int] = {}
        keys = workspace_keys(self.source) or {}
        for entry in others:
            n = sum(
                1 for ev in entry.events if not self.pattern.differences(ev, device_id=entry.device_id, api_key=entry.api_key)
            )
            if n:
                where = label(entry.api_key, keys)
                found[where] = found.get(where, 0) + n
        return [
            f"{n} matching event(s) in workspace {where!r}, not looked in (expectations read {self.workspace!r} unless told: "
            f".in_workspace({where!r}) or .in_all_workspaces())"
            for where, n in found.items()
        ]

    def _near_misses(self, entries: list[JournalEntry]) -> list[str]:
        scored: list[tuple[int, int, str]] = []
        for entry in in_workspace(entries, self.source, self.workspace):
            for event in entry.events:
                diffs = self.pattern.differences(event, device_id=entry.device_id, api_key=entry.api_key)
                if not diffs or (self.pattern.code and event.name != self.pattern.code):
                    continue
                scored.append((len(diffs), -entry.seq, f"#{entry.seq} {describe_event(event)}: {'; '.join(map(str, diffs))}"))
        if not scored and self.pattern.code:
            return [f"no `{self.pattern.code}` event at all"]
        return [text for *_, text in sorted(scored)]


class AttributesExpectation(_Counted):
    def __init__(
        self,
        source: Source,
        pattern: AttributesPattern,
        default_timeout: float = DEFAULT_TIMEOUT,
        *,
        workspace: str | None = DEFAULT_WORKSPACE,
        looked: set[str | None] | None = None,
    ) -> None:
        super().__init__(workspace, looked)
        self.source = source
        self.pattern = pattern
        self.default_timeout = default_timeout

    def matches(self, entries: list[JournalEntry] | None = None) -> list[AttributesMatch]:
        entries = self.source.entries() if entries is None else entries
        return [
            AttributesMatch(e, a)
            for e in in_workspace(entries, self.source, self.workspace)
            if e.seq > self._after
            for a in e.request.attributes
            if not self.pattern.differences(a)
        ]

    def within(self, timeout: float | None = None) -> list[AttributesMatch]:
        timeout = self.default_timeout if timeout is None else timeout

        def enough(entries: list[JournalEntry]) -> list[AttributesMatch] | None:
            found = self.matches(entries)
            return found if len(found) >= max(self._min, 1) else None

        found, entries, waited, _ = self._wait(self.source, timeout, enough)
        if found is None:
            misses = []
            for e in in_workspace(entries, self.source, self.workspace):
                for a in e.request.attributes:
                    diffs = self.pattern.differences(a)
                    misses.append(
                        (
                            len(diffs),
                            -e.seq,
                            f"#{e.seq} attributes(user={a.user_id or 'anonymous'}): {'; '.join(map(str, diffs))}",
                        )
                    )
            raise failure(
                f"Expected within {timeout:g} s: {self.pattern.describe()}{self._where()}.",
                waited=waited,
                entries=entries,
                misses=[m for *_, m in sorted(misses)] or ["no attributes were sent at all"],
                scope=self.source.scope,
            )
        return found


class OrderExpectation(InWorkspace):
    """Events matching the patterns, in this order of event time (the wire order is not guaranteed)."""

    def __init__(
        self,
        source: Source,
        patterns: list[EventPattern],
        default_timeout: float = DEFAULT_TIMEOUT,
        *,
        workspace: str | None = DEFAULT_WORKSPACE,
        looked: set[str | None] | None = None,
    ) -> None:
        self._start_in(workspace, looked)
        self.source = source
        self.patterns = patterns
        self.default_timeout = default_timeout

    def _find(self, entries: list[JournalEntry]) -> tuple[list[EventMatch], int]:
        timeline = sorted(
            (
                (ev.time, entry.seq, i, entry, ev)
                for entry in in_workspace(entries, self.source, self.workspace)
                for i, ev in enumerate(entry.events)
            ),
            key=lambda t: (t[0], t[1], t[2]),
        )
        chain: list[EventMatch] = []
        for _, _, _, entry, event in timeline:
            if len(chain) == len(self.patterns):
                break
            if not self.patterns[len(chain)].differences(event, device_id=entry.device_id, api_key=entry.api_key):
                chain.append(EventMatch(entry, event))
        return chain, len(chain)

    def within(self, timeout: float | None = None) -> list[EventMatch]:
        timeout = self.default_timeout if timeout is None else timeout

        def done(entries: list[JournalEntry]) -> list[EventMatch] | None:
            chain, n = self._find(entries)
            return chain if n == len(self.patterns) else None

        what = "in this order: " + ", ".join(p.describe() for p in self.patterns)
        found, entries, waited, _ = wait_until(self.source, timeout, done, what=what)
        if found is None:
            chain, n = self._find(entries)
            steps = [f"{'✓' if i < n else '✗'} {i + 1}. {p.describe()}" for i, p in enumerate(self.patterns)]
            got = [f"matched step {i + 1} with #{m.entry.seq} {describe_event(m.event)}" for i, m in enumerate(chain)]
            raise failure(
                f"Expected within {timeout:g} s, in this order (by event time):\n  " + "\n  ".join(steps),
                waited=waited,
                entries=entries,
                misses=got or ["not even the first step matched"],
                scope=self.source.scope,
            )
        return found


__all__ = [
    "AttributesExpectation",
    "AttributesMatch",
    "Diff",
    "EventExpectation",
    "EventMatch",
    "OrderExpectation",
    "wait_for",
    "wait_until",
]
