"""`expect.cdp_mapping()`: each call the app made to a CDP (mParticle, Segment) reached Braze as the CDP's Braze
integration (mParticle's kit, Segment's destination) maps it.

    braze.expect.cdp_mapping().within(10)   # every CDP call of this test, checked against Braze's side

The CDP's traffic is in the same journal (source `mparticle` or `segment`); `braze_harness.protocol.cdp` reads its
calls and says what the integration makes of each (identify -> changeUser, standard attributes -> Braze's standard
ones, custom events -> custom events with their properties, a purchase -> one Braze purchase per product). A failure
names each call that did not arrive as mapped, and the nearest thing Braze received instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from braze_harness.expect import verdicts
from braze_harness.expect.matchers import numeric
from braze_harness.expect.patterns import ANY, AttributesPattern, Diff, EventPattern
from braze_harness.expect.report import failure
from braze_harness.expect.source import Source
from braze_harness.expect.waiting import wait_until
from braze_harness.journal import JournalEntry
from braze_harness.journal.entry import describe_event
from braze_harness.protocol.cdp import (
    MPARTICLE_SOURCE,
    SEGMENT_SOURCE,
    BrazeEffect,
    BrazeKitMapping,
    CdpCall,
    braze_effect,
    mparticle_calls,
    segment_calls,
)

_READERS: dict[str, Callable[[str, str, str | None, int], list[CdpCall]]] = {
    MPARTICLE_SOURCE: mparticle_calls,
    SEGMENT_SOURCE: segment_calls,
}
_INTEGRATION = {MPARTICLE_SOURCE: "its Braze kit", SEGMENT_SOURCE: "its Braze destination"}


@dataclass(frozen=True, slots=True)
class MappedCall:
    """One CDP call, what Braze should have received for it, and (when it did not) the nearest thing it did."""

    call: CdpCall
    effect: BrazeEffect
    miss: str | None = None  # None: Braze received it as mapped


class CdpMappingExpectation:
    def __init__(self, source: Source, default_timeout: float, *, cdp: str | None = None, kit: BrazeKitMapping) -> None:
        if cdp is not None and cdp not in _READERS:
            raise ValueError(f"unknown CDP {cdp!r}; known: {', '.join(_READERS)}")
        self.source = source
        self.default_timeout = default_timeout
        self.cdp = cdp  # None: the one CDP whose traffic the journal holds
        self.kit = kit

    def _cdp(self, entries: list[JournalEntry]) -> str | None:
        if self.cdp is not None:
            return self.cdp
        seen = sorted({e.source for e in entries if e.source in _READERS})
        if len(seen) > 1:
            raise ValueError(f"this test's traffic went through {' and '.join(seen)}: name one, cdp_mapping({seen[0]!r})")
        return seen[0] if seen else None

    def calls(self, entries: list[JournalEntry] | None = None) -> list[CdpCall]:
        """The CDP calls the journal holds for this scope (in order)."""
        entries = self.source.entries() if entries is None else entries
        cdp = self._cdp(entries)
        if cdp is None:
            return []
        read = _READERS[cdp]
        return [c for e in entries if e.source == cdp for c in read(e.exchange.method, e.exchange.url, e.exchange.body, e.seq)]

    def check(self, entries: list[JournalEntry] | None = None) -> list[MappedCall]:
        """Each call with its verdict now, without waiting."""
        entries = self.source.entries() if entries is None else entries
        braze = [e for e in entries if e.source not in _READERS]
        return [self._verdict(call, braze_effect(call, self.kit), braze) for call in self.calls(entries)]

    def within(self, timeout: float | None = None) -> list[MappedCall]:
        """Wait until every CDP call so far reached Braze as mapped (at least one call must exist)."""
        timeout = self.default_timeout if timeout is None else timeout
        last: list[list[MappedCall]] = [[]]

        def done(entries: list[JournalEntry]) -> list[MappedCall] | None:
            last[0] = self.check(entries)
            return last[0] if last[0] and all(m.miss is None for m in last[0]) else None

        what = f"each {self.cdp or 'CDP'} call reached Braze as its Braze integration maps it"
        found, entries, waited, _ = wait_until(self.source, timeout, done, what=what)
        verdicts.attach_table(MAPPING_COLUMNS, [mapping_row(m) for m in last[0]])  # the run report's mapping table
        if found is not None:
            return found
        cdp = self._cdp(entries)
        name = cdp or self.cdp or " or ".join(_READERS)
        misses = [f"{m.call.describe()} (#{m.call.seq}): {m.miss}" for m in last[0] if m.miss] or [
            f"no {name} call in this test's traffic: nothing to check"
        ]
        bad = sum(1 for m in last[0] if m.miss)
        integration = _INTEGRATION.get(cdp or "", "its Braze integration")
        headline = f"Expected within {timeout:g} s: each {name} call reached Braze as {integration} maps it"
        raise failure(
            f"{headline} ({bad} of {len(last[0])} did not).",
            waited=waited,
            entries=entries,
            misses=misses,
            scope=self.source.scope,
            misses_title="Not mapped (the call, then what Braze received):",
            misses_shown=len(misses),
        )

    # -- one call ---------------------------------------------------------------------------------------

    def _verdict(self, call: CdpCall, effect: BrazeEffect, braze: list[JournalEntry]) -> MappedCall:
        if effect.kind == "none":  # the integration drops the call (effect.name says why): nothing Braze must receive
            return MappedCall(call, effect)
        if effect.kind == "user":
            seen = sorted({str(ev.user_id) for e in braze for ev in e.events if ev.user_id})
            if any(ev.user_id == effect.user for e in braze for ev in e.events):
                return MappedCall(call, effect)
            return MappedCall(call, effect, f"expected changeUser({effect.user!r}); Braze saw users {seen or 'none (anonymous)'}")
        user = effect.user if effect.user is not None else ANY
        if effect.kind == "attributes":
            wanted = AttributesPattern(fields=effect.fields or {}, user=user)
            sent = [a for e in braze for a in e.request.attributes]
            return self._nearest(call, effect, wanted.describe(), [(wanted.differences(a), _attrs_text(a)) for a in sent])
        data = dict(effect.data or {})
        if "p" in data:  # a numeric string equals the number: the Web SDK sends the price as a 2-decimal string
            data["p"] = numeric(float(data["p"]))
        pattern = EventPattern(code=effect.kind, name=effect.name, props=effect.props, data=data or None, user=user)
        events = [(e, ev) for e in braze for ev in e.events if ev.name == effect.kind]
        candidates = [(pattern.differences(ev, device_id=e.device_id, api_key=e.api_key), describe_event(ev)) for e, ev in events]
        return self._nearest(call, effect, pattern.describe(), candidates)

    @staticmethod
    def _nearest(call: CdpCall, effect: BrazeEffect, wanted: str, candidates: list[tuple[list[Diff], str]]) -> MappedCall:
        if any(not diffs for diffs, _ in candidates):
            return MappedCall(call, effect)
        if not candidates:
            return MappedCall(call, effect, f"expected {wanted}; Braze received none")
        diffs, text = min(candidates, key=lambda c: len(c[0]))
        return MappedCall(call, effect, f"expected {wanted}; nearest Braze received: {text} ({'; '.join(map(str, diffs))})")


MAPPING_COLUMNS = ["", "CDP call", "Braze should receive", "Braze received"]


def mapping_row(mapped: MappedCall) -> list[str]:
    """One row of the mapping table: the call, its mapped effect, and "as mapped" or the near miss."""
    mark, received = ("✗", mapped.miss) if mapped.miss else ("✓", "as mapped")
    return [mark, f"{mapped.call.describe()} (#{mapped.call.seq})", describe_effect(mapped.effect), received]


def describe_effect(effect: BrazeEffect) -> str:
    """What Braze should receive, in one line (the mapping table's middle column)."""
    user = "" if effect.user is None else f" for user {effect.user!r}"
    if effect.kind == "none":
        return f"nothing: {effect.name}"
    if effect.kind == "user":
        return f"changeUser({effect.user!r})"
    if effect.kind == "attributes":
        return f"attributes ⊇ {effect.fields or {}}{user}"
    extra = "".join(f" {part}" for part in (effect.data, effect.props) if part)
    return f"{'custom event' if effect.kind == 'ce' else 'purchase'} {effect.name!r}{extra}{user}"


def _attrs_text(attrs: Any) -> str:
    return f"attributes {attrs.model_dump(exclude_unset=True, exclude_none=True)}"
