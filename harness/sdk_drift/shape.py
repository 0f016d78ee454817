"""The shape of an SDK's traffic, and what differs between two shapes.

A shape is what a QA team re-checks after an SDK upgrade. It covers the endpoints called, the `X-Braze-*` headers
sent to each one, the envelope fields, the event codes, and the field paths inside each code's data and inside the
attributes objects. Values are left out because they differ from run to run anyway (ids, times).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from braze_harness.journal import JournalEntry
from braze_harness.protocol.requests import DataRequest


@dataclass
class SdkShape:
    endpoints: set[str] = field(default_factory=set)
    headers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # endpoint -> x-braze-* names
    envelope: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # endpoint -> top-level fields
    events: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # event code -> field paths
    attributes: set[str] = field(default_factory=set)  # field paths of attributes objects
    drift: set[str] = field(default_factory=set)  # what the decoder did not know ("where: message")


def shape_of(entries: Iterable[JournalEntry]) -> SdkShape:
    shape = SdkShape()
    for entry in entries:
        decoded = entry.request
        endpoint = decoded.endpoint.value if decoded.endpoint is not None else None
        if endpoint is None or endpoint == "rest":
            continue
        shape.endpoints.add(endpoint)
        shape.headers[endpoint].update(h for h in entry.exchange.headers if h.startswith("x-braze-"))
        shape.drift.update(f"{endpoint} {p.where.split('[')[0]}: {p.message}" for p in entry.problems if p.severity == "drift")
        body = decoded.body
        if body is None:
            continue
        raw = body.model_dump(exclude_unset=True, mode="json")
        shape.envelope[endpoint].update(raw)
        if isinstance(body, DataRequest):
            for event in raw.get("events", []):
                shape.events[event.get("name", "?")].update(_paths(event, skip=("name",)))
            for attrs in raw.get("attributes", []):
                shape.attributes.update(_paths(attrs))
    return shape


def _paths(value: Any, prefix: str = "", skip: tuple[str, ...] = ()) -> set[str]:
    """`data.p`, `data.n`, `time`: the keys of nested objects; custom property names are the app's, not the SDK's."""
    out: set[str] = set()
    if not isinstance(value, dict):
        return out
    for key, child in value.items():
        if key in skip:
            continue
        path = f"{prefix}{key}"
        out.add(path)
        if path in ("data.p", "data.pr", "custom") or not isinstance(child, dict):
            continue
        out |= _paths(child, prefix=f"{path}.")
    return out


def diff(a: SdkShape, b: SdkShape, label_a: str, label_b: str) -> list[str]:
    """Lines of what `b` does that `a` does not (+) and the reverse (-); empty when the shapes agree."""
    lines: list[str] = []

    def sets(what: str, left: set[str], right: set[str]) -> None:
        for item in sorted(right - left):
            lines.append(f"+ {what}: {item}  (only {label_b})")
        for item in sorted(left - right):
            lines.append(f"- {what}: {item}  (only {label_a})")

    sets("endpoint", a.endpoints, b.endpoints)
    for endpoint in sorted(a.endpoints & b.endpoints):
        sets(f"header on {endpoint}", a.headers[endpoint], b.headers[endpoint])
        sets(f"field of {endpoint}", a.envelope[endpoint], b.envelope[endpoint])
    sets("event code", set(a.events), set(b.events))
    for code in sorted(set(a.events) & set(b.events)):
        sets(f"field of event {code!r}", a.events[code], b.events[code])
    sets("field of attributes", a.attributes, b.attributes)
    sets("unknown to the decoder", a.drift, b.drift)
    return lines
