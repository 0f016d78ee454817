"""The data dictionary: every custom event, property, attribute and purchase the app actually sent, next to the plan.

Braze's onboarding asks teams to keep a record of their integration's custom data for whoever comes next
(docs/data-plan.md#the-data-dictionary). `braze-harness dictionary run.db` writes it from a journal, again on
every run. For each name it gives the types seen, a few example values, when it was first and last seen, which
tests (scopes) sent it, and the data points it cost. With a plan, each name is also marked planned and seen,
seen but unplanned, or planned but never seen.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from braze_harness.dataplan.check import value_type
from braze_harness.dataplan.models import DataPlan
from braze_harness.journal import JournalEntry
from braze_harness.protocol.events import ArrayAdd, ArrayRemove, ArraySet, CustomEvent, Increment, NestedMerge, Purchase
from braze_harness.protocol.requests import DataRequest

Kind = Literal["event", "event property", "attribute", "purchase", "purchase property"]
Status = Literal["planned", "unplanned", "never seen"]
_EXAMPLES = 3


@dataclass
class Item:
    kind: Kind
    name: str  # `cart_add`, `cart_add.price`, `plan`, `gold_pack`, `purchase.gift`
    count: int = 0
    data_points: int = 0
    types: Counter[str] = field(default_factory=Counter)
    examples: list[Any] = field(default_factory=list)
    first_seen: float | None = None
    last_seen: float | None = None
    tests: set[str] = field(default_factory=set)
    status: Status | None = None  # None: no plan given

    def saw(self, value: Any, at: float, scope: str | None, *, points: int = 0, typed: bool = True) -> None:
        self.count += 1
        self.data_points += points
        if typed:
            self.types[value_type(value)] += 1
            if len(self.examples) < _EXAMPLES and value not in self.examples:
                self.examples.append(value)
        self.first_seen = at if self.first_seen is None else min(self.first_seen, at)
        self.last_seen = at if self.last_seen is None else max(self.last_seen, at)
        if scope:
            self.tests.add(scope)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "count": self.count,
            "data_points": self.data_points,
            "types": dict(self.types),
            "examples": self.examples,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "tests": sorted(self.tests),
            "status": self.status,
        }


class DataDictionary:
    def __init__(self) -> None:
        self.items: dict[tuple[Kind, str], Item] = {}

    def item(self, kind: Kind, name: str) -> Item:
        found = self.items.get((kind, name))
        if found is None:
            found = self.items[(kind, name)] = Item(kind, name)
        return found

    def of(self, kind: Kind) -> list[Item]:
        return sorted((i for i in self.items.values() if i.kind == kind), key=lambda i: i.name)

    def as_json(self) -> dict[str, Any]:
        return {"items": [i.as_json() for i in sorted(self.items.values(), key=lambda i: (i.kind, i.name))]}


def build_dictionary(entries: Iterable[JournalEntry], plan: DataPlan | None = None) -> DataDictionary:
    book = DataDictionary()
    for entry in entries:
        body = entry.request.body
        if not isinstance(body, DataRequest):
            continue
        scope = entry.scope
        sent_at = body.time if body.time is not None else entry.received_at  # the client's clock, as event times are
        for attrs in body.attributes:
            for key, value in attrs.custom_updates().items():
                book.item("attribute", key).saw(value, sent_at, scope, points=1)
        for event in body.events:
            at = event.time
            if isinstance(event, CustomEvent):
                book.item("event", event.data.n).saw(None, at, scope, points=1, typed=False)
                for name, value in event.data.p.items():
                    book.item("event property", f"{event.data.n}.{name}").saw(value, at, scope)
            elif isinstance(event, Purchase):
                book.item("purchase", event.data.pid).saw(None, at, scope, points=1, typed=False)
                for name, value in event.data.pr.items():
                    book.item("purchase property", f"purchase.{name}").saw(value, at, scope)
            elif isinstance(event, ArraySet | ArrayAdd | ArrayRemove | Increment | NestedMerge):
                # an operation: the attribute's type is what the operation implies, not the operand's
                kind = "object" if isinstance(event, NestedMerge) else "number" if isinstance(event, Increment) else "array"
                item = book.item("attribute", event.data.key)
                item.saw(None, at, scope, points=1, typed=False)
                item.types[kind] += 1
    if plan is not None:
        _mark(book, plan)
    return book


def _mark(book: DataDictionary, plan: DataPlan) -> None:
    planned: set[tuple[Kind, str]] = set()
    for name, spec in plan.events.items():
        planned.add(("event", name))
        planned.update(("event property", f"{name}.{p}") for p in spec.properties)
    planned.update(("attribute", name) for name in plan.attributes)
    if plan.purchases is not None:
        planned.update(("purchase property", f"purchase.{p}") for p in plan.purchases.properties)
    for key, item in book.items.items():
        if item.kind == "purchase":
            item.status = "planned" if plan.purchases is not None else "unplanned"
        elif item.kind == "event property" and key not in planned:
            owner = plan.events.get(item.name.split(".", 1)[0])
            item.status = "planned" if owner is not None and owner.additional_properties else "unplanned"
        else:
            item.status = "planned" if key in planned else "unplanned"
    for kind, name in planned - set(book.items):
        book.item(kind, name).status = "never seen"


# -- rendering -----------------------------------------------------------------------------------

_TITLES: dict[Kind, str] = {
    "event": "Custom events",
    "event property": "Event properties",
    "attribute": "Custom attributes",
    "purchase": "Purchases (product ids)",
    "purchase property": "Purchase properties",
}


def to_markdown(book: DataDictionary, *, source: str) -> str:
    with_plan = any(i.status is not None for i in book.items.values())
    out = [
        "# Data dictionary",
        "",
        f"What the app sent to Braze, from `{source}` (written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
        "",
    ]
    if with_plan:
        counts = Counter(i.status for i in book.items.values())
        out += [
            f"Against the plan: {counts['planned']} planned and seen, {counts['unplanned']} seen but unplanned, "
            f"{counts['never seen']} planned but never seen.",
            "",
        ]
    for kind, title in _TITLES.items():
        items = book.of(kind)
        if not items:
            continue
        out += [f"## {title}", ""]
        header = "| name | types | examples | seen | data points | first seen | last seen | tests |"
        rule = "|---|---|---|---|---|---|---|---|"
        if with_plan:
            header, rule = header + " plan |", rule + "---|"
        out += [header, rule]
        for i in items:
            row = (
                f"| `{i.name}` | {', '.join(sorted(i.types)) or '-'} | {_examples(i.examples)} | {i.count} | "
                f"{i.data_points or '-'} | {_when(i.first_seen)} | {_when(i.last_seen)} | {_tests(i.tests)} |"
            )
            out.append(row + (f" {i.status} |" if with_plan else ""))
        out.append("")
    return "\n".join(out)


def _examples(values: list[Any]) -> str:
    shown = [orjson.dumps(v).decode() for v in values]
    text = ", ".join(f"`{s if len(s) <= 40 else s[:37] + '...'}`" for s in shown)
    return text.replace("|", "\\|") or "-"


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at)) if at is not None else "-"


def _tests(tests: set[str]) -> str:
    names = sorted(tests)
    return ", ".join(names[:3]) + (f" (+{len(names) - 3})" if len(names) > 3 else "") if names else "-"
