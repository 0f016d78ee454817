"""Custom events, purchases and engagement events on a profile (docs/server-behaviour.md, events, purchases and emulator-rules).

Every event is its own occurrence (no dedup: docs/server-behaviour.md, events). Validation problems are reported; what can be
kept is kept (long strings truncated, properties past the 256th ignored).
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from braze_harness.emulator.state.attributes import MAX_STRING, truncate
from braze_harness.emulator.state.profiles import Occurrences, Profile
from braze_harness.protocol.decode import Problem
from braze_harness.protocol.events import CustomEvent, Event, Purchase

MAX_PROPERTIES = 256  # properties past the first 256 are not captured (docs/server-behaviour.md, events)
# event object page; the purchase page and Web SDK say 50 KB (docs/server-behaviour.md, event-property-size)
MAX_PROPERTIES_BYTES = 100 * 1024
RESERVED_EVENT_KEYS = frozenset({"time", "event_name"})
RESERVED_PURCHASE_KEYS = frozenset({"time", "product_id", "quantity", "event_name", "price", "currency"})
# the SDKs drop purchases in other currencies (docs/server-behaviour.md, purchases); a mobile SDK or replay may still send one
SDK_CURRENCIES = frozenset(
    {"USD", "CAD", "EUR", "GBP", "JPY", "AUD", "CHF", "NOK", "MXN", "NZD", "CNY", "RUB"}
    | {"TRY", "INR", "IDR", "ILS", "SAR", "ZAR", "AED", "SEK", "HKD", "SPD", "DKK"}
)
# IAM, Content Card, feature flag, banner and push engagement (docs/web-sdk-wire.md, event-codes; docs/mobile-wire.md, event-
# codes)
ENGAGEMENT_CODES = frozenset(
    {"si", "sc", "sbc", "iec", "cci", "ccc", "ccd", "ccic", "ffi", "bi", "bc", "bd", "pc", "ca", "cic", "pde", "g"}
)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def copy_value(value: Any) -> Any:
    """`copy.deepcopy` for decoded JSON values, without its memo bookkeeping: dicts and lists are
    rebuilt, immutable scalars shared; anything else (only possible from a parsed body handed in
    by a caller) still goes through `copy.deepcopy`."""
    cls = type(value)
    if cls is dict:
        return {k: v if type(v) in _SCALARS else copy_value(v) for k, v in value.items()}
    if cls is list:
        return [v if type(v) in _SCALARS else copy_value(v) for v in value]
    if cls in _SCALARS:
        return value
    return copy.deepcopy(value)


def _properties(
    props: dict[str, Any], reserved: frozenset[str], at: str, field: str, problems: list[Problem], *, adopt: bool = False
) -> dict[str, Any]:
    """The properties kept for an event at location `at` (`events[3]`), read from its `field` (`.data.p`).

    `adopt`: the caller hands the decoded event over (nothing reads or changes it afterwards), so properties with
    nothing to report are kept as they are, not copied."""
    if len(props) <= MAX_PROPERTIES:
        # The usual case, the checked loop would report nothing and keep the properties as they are, told without
        # a loop over them, from their JSON (the size check serialises it anyway): no name empty, reserved or
        # starting with '$' (`"$` also starts a string value: then the loop decides), no name or string longer
        # than MAX_STRING (certain when the whole JSON is not longer). `bytes.find`, not `in`: `in` first tries
        # the needle as an int, at the cost of a TypeError. Not JSON: the loop fails on it as it always did.
        try:
            blob = orjson.dumps(props)
        except TypeError:
            blob = None
        if (
            blob is not None
            and len(blob) <= MAX_PROPERTIES_BYTES
            and blob.find(b'"$') == -1
            and "" not in props
            and reserved.isdisjoint(props)
            and (len(blob) <= MAX_STRING or _short_strings(props))
        ):
            return props if adopt else copy_value(props)
    return _properties_checked(props, reserved, at + field, problems)


def _short_strings(props: dict[str, Any]) -> bool:
    return max(map(len, props)) <= MAX_STRING and all(len(v) <= MAX_STRING for v in props.values() if isinstance(v, str))


def _properties_checked(props: dict[str, Any], reserved: frozenset[str], where: str, problems: list[Problem]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in props.items():
        if len(kept) == MAX_PROPERTIES:
            problems.append(Problem(where=where, message=f"more than {MAX_PROPERTIES} properties: the rest are ignored"))
            break
        if not key or key.startswith("$"):
            message = "property names must be non-empty and not start with '$': ignored"
            problems.append(Problem(where=f"{where}.{key}", message=message))
            continue
        if key in reserved:
            problems.append(Problem(where=f"{where}.{key}", message=f"reserved property name {key!r}"))
        name = truncate(key, f"{where}.{key} (name)", problems)
        kept[name] = truncate(value, f"{where}.{key}", problems) if isinstance(value, str) else copy_value(value)
    _check_size(kept, where, problems)
    return kept


def _check_size(kept: dict[str, Any], where: str, problems: list[Problem]) -> None:
    size = len(orjson.dumps(kept))
    if size > MAX_PROPERTIES_BYTES:
        problems.append(Problem(where=where, message=f"properties are {size} bytes, over {MAX_PROPERTIES_BYTES}"))


def _count(table: dict[str, Occurrences], name: str, when: float, n: int = 1) -> None:
    occ = table.get(name)
    if occ is None:
        table[name] = Occurrences(n, when, when)
    else:
        occ.count += n
        # min() and max() of (current, when), as comparisons
        if when < occ.first:
            occ.first = when
        if when > occ.last:
            occ.last = when


def custom_event(
    profile: Profile, event: CustomEvent, device_id: str | None, where: str, problems: list[Problem], *, adopt: bool = False
) -> None:
    """Count and log one custom event (`adopt`: see `_properties`)."""
    data = event.data
    name = data.n
    if name.startswith("$"):
        problems.append(Problem(where=f"{where}.data.n", message="custom event names must not start with '$'"))
    if len(name) > MAX_STRING:
        name = truncate(name, f"{where}.data.n", problems)
    properties = _properties(data.p, RESERVED_EVENT_KEYS, where, ".data.p", problems, adopt=adopt)
    when = event.time
    _count(profile.custom_events, name, when)
    profile.custom_event_log.append(
        {"name": name, "time": when, "properties": properties, "session_id": event.session_id, "device_id": device_id}
    )


def purchase(profile: Profile, event: Purchase, where: str, problems: list[Problem], *, adopt: bool = False) -> None:
    """Count and log one purchase (`adopt`: see `_properties`)."""
    data = event.data
    try:
        price = Decimal(str(data.p))
        if not price.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        problems.append(Problem(where=f"{where}.data.p", message=f"price {data.p!r} is not a number: purchase not recorded"))
        return
    if not 1 <= data.q <= 100:
        problems.append(Problem(where=f"{where}.data.q", message=f"quantity {data.q} outside 1..100: purchase not recorded"))
        return
    currency = data.c.upper()
    if currency not in SDK_CURRENCIES:
        problems.append(Problem(where=f"{where}.data.c", message=f"currency {data.c!r} is not one the SDKs accept"))
    product = data.pid if len(data.pid) <= MAX_STRING else truncate(data.pid, f"{where}.data.pid", problems)
    properties = _properties(data.pr, RESERVED_PURCHASE_KEYS, where, ".data.pr", problems, adopt=adopt)
    # quantity X counts as X purchases of quantity 1 (docs/server-behaviour.md, purchases); revenue = price x quantity, currency
    # not converted
    _count(profile.purchases, product, event.time, data.q)
    profile.revenue += price * data.q
    profile.purchase_log.append(
        {
            "product_id": product,
            "price": float(price),
            "currency": currency,
            "quantity": data.q,
            "properties": properties,
            "time": event.time,
        }
    )


def engagement(profile: Profile, event: Event, app: str, device_id: str | None) -> None:
    data = event.data.model_dump(exclude_unset=True) if hasattr(event.data, "model_dump") else copy.deepcopy(event.data)
    profile.engagement_log.append(
        {"code": event.name, "data": data, "time": event.time, "session_id": event.session_id, "app": app, "device_id": device_id}
    )


def absorb(target: Profile, source: Profile, *, keep_logs: bool) -> None:
    """Merge rule for activity (docs/server-behaviour.md, merge-rules): aggregates add up; raw logs survive only if
    asked to (docs/server-behaviour.md, anonymous-history-on-merge)."""
    for table_name in ("custom_events", "purchases"):
        target_table: dict[str, Occurrences] = getattr(target, table_name)
        for name, occ in getattr(source, table_name).items():
            if name in target_table:
                target_table[name].absorb(occ)
            else:
                target_table[name] = Occurrences(occ.count, occ.first, occ.last)
    target.revenue += source.revenue
    if keep_logs:
        for log_name in ("custom_event_log", "purchase_log", "engagement_log"):
            merged = getattr(target, log_name) + getattr(source, log_name)
            merged.sort(key=lambda entry: entry["time"])
            setattr(target, log_name, merged)
