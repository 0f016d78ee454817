"""A first data plan drafted from observed traffic (`braze-harness plan init --from-journal run.db`).

Every custom event, property, custom attribute and purchase the journal holds goes in with the type seen; a
name seen with several types gets `any` and a comment-like description saying which, for the team to decide.
Properties seen on every occurrence of their event are marked required. The draft is a start, not a verdict.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from braze_harness.dataplan.check import value_type
from braze_harness.dataplan.models import DataPlan, EventSpec, PropertySpec, PurchaseSpec, ValueSpec
from braze_harness.journal import JournalEntry
from braze_harness.protocol.events import ArrayAdd, ArrayRemove, ArraySet, CustomEvent, Increment, NestedMerge, Purchase
from braze_harness.protocol.requests import DataRequest


class _Seen:
    def __init__(self) -> None:
        self.count = 0
        self.properties: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, properties: dict[str, Any]) -> None:
        self.count += 1
        for name, value in properties.items():
            self.properties[name][value_type(value)] += 1

    def property_specs(self) -> dict[str, PropertySpec]:
        return {
            name: PropertySpec(**_typed(types), required=sum(types.values()) == self.count)
            for name, types in sorted(self.properties.items())
        }


def _typed(types: Counter[str]) -> dict[str, Any]:
    kinds = set(types) - {"null"}
    if kinds == {"integer", "number"}:
        return {"type": "number"}
    if kinds == {"time", "string"}:
        return {"type": "string"}
    if len(kinds) == 1:
        return {"type": kinds.pop()}
    return {"type": "any", "description": f"seen as {', '.join(sorted(kinds)) or 'null only'}: decide the type"}


def draft_plan(entries: Iterable[JournalEntry]) -> DataPlan:
    events: dict[str, _Seen] = defaultdict(_Seen)
    purchases = _Seen()
    products: set[str] = set()
    attributes: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        body = entry.request.body
        if not isinstance(body, DataRequest):
            continue
        for attrs in body.attributes:
            for key, value in attrs.custom_updates().items():
                attributes[key][value_type(value)] += 1
        for event in body.events:
            if isinstance(event, CustomEvent):
                events[event.data.n].add(event.data.p)
            elif isinstance(event, Purchase):
                purchases.add(event.data.pr)
                products.add(event.data.pid)
            elif isinstance(event, ArraySet | ArrayAdd | ArrayRemove):
                attributes[event.data.key]["array"] += 1
            elif isinstance(event, Increment):
                attributes[event.data.key]["integer" if float(event.data.value).is_integer() else "number"] += 1
            elif isinstance(event, NestedMerge):
                attributes[event.data.key]["object"] += 1
    return DataPlan(
        events={name: EventSpec(properties=seen.property_specs()) for name, seen in sorted(events.items())},
        attributes={key: ValueSpec(**_typed(types)) for key, types in sorted(attributes.items())},
        purchases=PurchaseSpec(properties=purchases.property_specs()) if purchases.count else None,
    )


def plan_yaml(plan: DataPlan) -> str:
    import yaml

    data = plan.model_dump(exclude_defaults=True, mode="json")
    data = {"version": 1, **data}
    header = "# Braze data plan (docs/data-plan.md). Drafted from observed traffic: review every type and rule.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
