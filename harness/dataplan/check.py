"""Checking decoded exchanges against the data plan: each violation is a `plan` problem on the journal entry.

A violation does not make the request bad (Braze accepts it); like protocol drift it is reported, and a run
with `--braze-data-plan-strict` fails the test that sent it. Messages are meant to be understood in one read:
what was planned, what came, and the planned names nearest to an unplanned one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from braze_harness.dataplan.models import DataPlan, PropertySpec, ValueSpec
from braze_harness.protocol.attributes import PUSH_ATTRIBUTES, STANDARD_ATTRIBUTES
from braze_harness.protocol.decode import DecodedRequest, Endpoint
from braze_harness.protocol.events import (
    ArrayAdd,
    ArrayRemove,
    ArraySet,
    CustomEvent,
    Increment,
    NestedMerge,
    Purchase,
)
from braze_harness.protocol.problems import Problem
from braze_harness.protocol.requests import DataRequest
from braze_harness.protocol.rest import TRACK_OPTIONS, TRACK_UNSUPPORTED, track_operation

# ISO 8601 date-times as the SDKs send `Date` values ("2024-01-02T03:04:05", with or without zone/fraction)
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# keys of a /users/track attributes object that are not custom attributes
_REST_NOT_CUSTOM = TRACK_OPTIONS | TRACK_UNSUPPORTED | set(STANDARD_ATTRIBUTES) | set(PUSH_ATTRIBUTES)
_REST_TRACK = "/users/track"


def _problem(where: str, message: str) -> Problem:
    return Problem(where=where, message=message, severity="plan")


def value_type(value: Any) -> str:
    """The plan's name for a JSON value's type (`time` for a string that is an ISO date-time)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "time" if _TIME.match(value) else "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "null"


def _fits(planned: str, value: Any) -> bool:
    seen = value_type(value)
    if planned == "any" or planned == seen:
        return True
    if planned == "number":
        return seen == "integer"
    if planned == "string":
        return seen == "time"  # a date-like string is still a string
    return False


def _shown(value: Any) -> str:
    text = orjson.dumps(value).decode() if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _nearby(name: str, planned: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(planned), n=3, cutoff=0.6)
    return f"; planned names nearby: {', '.join(close)}" if close else ""


class PlanChecker:
    """`check(decoded)`: the plan problems of one decoded exchange (SDK `/data/` or REST `/users/track`)."""

    def __init__(self, plan: DataPlan) -> None:
        self.plan = plan
        naming = plan.naming
        self._event_name = re.compile(naming.event) if naming.event else None
        self._attribute_name = re.compile(naming.attribute) if naming.attribute else None
        self._property_name = re.compile(naming.property) if naming.property else None
        product = plan.purchases.product_id_pattern if plan.purchases else None
        product = product or naming.product_id
        self._product_id = re.compile(product) if product else None
        rule = plan.identity.external_id
        self._external_id = re.compile(rule.pattern) if rule.pattern else None
        self._production = frozenset(plan.environments.production_api_keys)

    def check(self, decoded: DecodedRequest) -> list[Problem]:
        if decoded.endpoint is Endpoint.REST:
            return self._check_rest(decoded)
        body = decoded.body
        if body is None:
            return []
        problems: list[Problem] = []
        self._environment(decoded.api_key, problems)
        if isinstance(body, DataRequest):
            for user_id in sorted(decoded.user_ids):
                self._identity(user_id, "user_id", problems)
            for index, attrs in enumerate(body.attributes):
                for key, value in attrs.custom_updates().items():
                    self._attribute(key, value, f"attributes[{index}].custom.{key}", problems)
            for index, event in enumerate(body.events):
                self._event(event, f"events[{index}]", problems)
        return problems

    # -- one kind each ---------------------------------------------------------------------------

    def _environment(self, api_key: str | None, problems: list[Problem]) -> None:
        if api_key and api_key in self._production:
            problems.append(
                _problem(
                    "api_key",
                    f"production api key {api_key!r} in a test run (environments.production_api_keys): "
                    "use the test workspace's key",
                )
            )

    def _identity(self, external_id: str, where: str, problems: list[Problem]) -> None:
        rule = self.plan.identity.external_id
        if rule.not_email and _EMAIL.match(external_id):
            problems.append(
                _problem(where, f"external_id {external_id!r} is an email: it can change, Braze asks for an id that never does")
            )
        elif self._external_id is not None and not self._external_id.fullmatch(external_id):
            problems.append(
                _problem(where, f"external_id {external_id!r} does not match identity.external_id.pattern {rule.pattern!r}")
            )

    def _event(self, event: Any, where: str, problems: list[Problem]) -> None:
        if isinstance(event, CustomEvent):
            self._custom_event(event.data.n, event.data.p, f"{where}.data.n", f"{where}.data.p", problems)
        elif isinstance(event, Purchase):
            self._purchase(event.data.pid, event.data.pr, f"{where}.data.pid", f"{where}.data.pr", problems)
        elif isinstance(event, ArraySet):
            self._attribute(event.data.key, event.data.value, f"{where}.data.value", problems)
        elif isinstance(event, ArrayAdd | ArrayRemove):
            self._attribute_kind(event.data.key, ("array",), f"{where}.data.key", problems)
        elif isinstance(event, Increment):
            self._attribute_kind(event.data.key, ("integer", "number"), f"{where}.data.key", problems)
        elif isinstance(event, NestedMerge):
            self._attribute_kind(event.data.key, ("object",), f"{where}.data.key", problems)

    def _custom_event(
        self, name: str, properties: Mapping[str, Any], name_at: str, properties_at: str, problems: list[Problem]
    ) -> None:
        events = self.plan.events
        if self._event_name is not None and not self._event_name.fullmatch(name):
            problems.append(_problem(name_at, f"event name {name!r} breaks naming.event {self.plan.naming.event!r}"))
        spec = events.get(name)
        if spec is None:
            problems.append(_problem(name_at, f"unplanned custom event {name!r}{_nearby(name, events)}"))
            return
        self._properties(name, properties, spec.properties, spec.additional_properties, properties_at, problems)

    def _purchase(
        self, product_id: str, properties: Mapping[str, Any], id_at: str, properties_at: str, problems: list[Problem]
    ) -> None:
        spec = self.plan.purchases
        if spec is None:
            problems.append(_problem(id_at, f"unplanned purchase of {product_id!r} (the plan has no purchases)"))
            return
        if self._product_id is not None and not self._product_id.fullmatch(product_id):
            problems.append(_problem(id_at, f"product id {product_id!r} does not match {self._product_id.pattern!r}"))
        self._properties("purchase", properties, spec.properties, spec.additional_properties, properties_at, problems)

    def _properties(
        self,
        owner: str,
        given: Mapping[str, Any],
        planned: Mapping[str, PropertySpec],
        additional: bool,
        where: str,
        problems: list[Problem],
    ) -> None:
        for name, spec in planned.items():
            if spec.required and name not in given:
                problems.append(_problem(f"{where}.{name}", f"`{owner}.{name}`: required property missing"))
        for name, value in given.items():
            if self._property_name is not None and not self._property_name.fullmatch(name):
                message = f"property name {name!r} breaks naming.property {self.plan.naming.property!r}"
                problems.append(_problem(f"{where}.{name}", message))
            spec = planned.get(name)
            if spec is None:
                if not additional:
                    problems.append(_problem(f"{where}.{name}", f"`{owner}.{name}`: unplanned property{_nearby(name, planned)}"))
                continue
            self._value(f"{owner}.{name}", spec, value, f"{where}.{name}", problems)

    def _attribute(self, key: str, value: Any, where: str, problems: list[Problem]) -> None:
        spec = self._planned_attribute(key, where, problems)
        if spec is not None and value is not None:  # null unsets: any planned attribute may be unset
            self._value(key, spec, value, where, problems)

    def _attribute_kind(self, key: str, kinds: tuple[str, ...], where: str, problems: list[Problem]) -> None:
        spec = self._planned_attribute(key, where, problems)
        if spec is not None and spec.type != "any" and spec.type not in kinds:
            problems.append(_problem(where, f"`{key}`: planned {spec.type}, but changed as {' or '.join(kinds)}"))

    def _planned_attribute(self, key: str, where: str, problems: list[Problem]) -> ValueSpec | None:
        if self._attribute_name is not None and not self._attribute_name.fullmatch(key):
            problems.append(_problem(where, f"attribute name {key!r} breaks naming.attribute {self.plan.naming.attribute!r}"))
        spec = self.plan.attributes.get(key)
        if spec is None:
            problems.append(_problem(where, f"unplanned custom attribute {key!r}{_nearby(key, self.plan.attributes)}"))
        return spec

    def _value(self, label: str, spec: ValueSpec, value: Any, where: str, problems: list[Problem]) -> None:
        if not _fits(spec.type, value):
            problems.append(_problem(where, f"`{label}`: planned {spec.type}, got {value_type(value)} {_shown(value)}"))
            return
        if spec.enum is not None and value not in spec.enum:
            allowed = ", ".join(_shown(v) for v in spec.enum)
            problems.append(_problem(where, f"`{label}`: {_shown(value)} is not one of the planned values ({allowed})"))
        if spec.pattern is not None and isinstance(value, str) and not re.fullmatch(spec.pattern, value):
            problems.append(_problem(where, f"`{label}`: {_shown(value)} does not match the planned pattern {spec.pattern!r}"))

    # -- REST ------------------------------------------------------------------------------------

    def _check_rest(self, decoded: DecodedRequest) -> list[Problem]:
        if decoded.path.rstrip("/") != _REST_TRACK or not decoded.raw_body:
            return []
        try:
            body = orjson.loads(decoded.raw_body)
        except orjson.JSONDecodeError:
            return []  # the REST handler answers it 400
        if not isinstance(body, dict):
            return []
        problems: list[Problem] = []
        for kind in ("attributes", "events", "purchases"):
            items = body.get(kind)
            for index, item in enumerate(items if isinstance(items, list) else ()):
                if not isinstance(item, dict):
                    continue
                where = f"{kind}[{index}]"
                external_id = item.get("external_id")
                if isinstance(external_id, str):
                    self._identity(external_id, f"{where}.external_id", problems)
                if kind == "attributes":
                    for key, value in item.items():
                        if key in _REST_NOT_CUSTOM:
                            continue
                        operation = track_operation(value)
                        if operation is not None:
                            kinds = ("integer", "number") if operation == "inc" else ("array",)
                            self._attribute_kind(key, kinds, f"{where}.{key}", problems)
                        else:
                            self._attribute(key, value, f"{where}.{key}", problems)
                elif kind == "events" and isinstance(item.get("name"), str):
                    props = _mapping(item.get("properties"))
                    self._custom_event(item["name"], props, f"{where}.name", f"{where}.properties", problems)
                elif kind == "purchases" and isinstance(item.get("product_id"), str):
                    props = _mapping(item.get("properties"))
                    self._purchase(item["product_id"], props, f"{where}.product_id", f"{where}.properties", problems)
        return problems


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
