"""The events a virtual device queues: their times, their common fields, the session start and end events, and
the checks the SDKs make on what an app logs (custom events and purchases).

Event times are on the device clock, in seconds with millisecond precision and strictly increasing, so that
`in_order` expectations read them in the order they were logged. Facts: (docs/mobile-wire.md, event-codes;
docs/server-behaviour.md, purchases).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from braze_harness.devices.virtual.attributes import blocked, finite_number, jsonable
from braze_harness.devices.virtual.profiles import PlatformProfile
from braze_harness.devices.virtual.session import Session
from braze_harness.protocol.responses import ServerConfig

MISSING: Any = object()  # an event without a `data` field
MAX_PURCHASE_QUANTITY = 100  # (docs/server-behaviour.md, purchases)


class EventStamper:
    """Event times: device clock, ms precision, strictly increasing."""

    def __init__(self) -> None:
        self.last = 0.0

    def stamp(self, now: float) -> float:
        t = round(now, 3)
        if t <= self.last:
            t = round(self.last + 0.001, 3)
        self.last = t
        return t


def event(name: str, data: Any, *, time: float, session_id: str | None, user_id: str | None) -> dict[str, Any]:
    """One event as it goes on the wire: `name`, `data` (unless MISSING), `time`, then its session and user."""
    found: dict[str, Any] = {"name": name}
    if data is not MISSING:
        found["data"] = data
    found["time"] = time
    if session_id is not None:
        found["session_id"] = session_id
    if user_id is not None:
        found["user_id"] = user_id
    return found


def session_start(profile: PlatformProfile, session: Session, time: float) -> dict[str, Any]:
    """`ss`: with an empty `data` where the platform sends one; its user is the session's."""
    found: dict[str, Any] = {"name": "ss"}
    if profile.ss_has_data:
        found["data"] = {}
    found["time"] = time
    found["session_id"] = session.id
    if session.user_id is not None:
        found["user_id"] = session.user_id
    return found


def session_end(session: Session, now: float, time: float) -> dict[str, Any]:
    """`se`: generated late (at the next open or user change), so its time is now; `d` is open -> close, in whole
    seconds as the real SDKs send it (captures, docs/mobile-wire.md, event-codes), rounded up (inferred) so that a
    session never reports 0."""
    found: dict[str, Any] = {"name": "se", "data": {"d": math.ceil(session.duration(now))}}
    found["time"] = time
    found["session_id"] = session.id
    if session.user_id is not None:
        found["user_id"] = session.user_id
    return found


def valid_properties(properties: Any) -> bool:
    """Event/purchase properties: an object with non-empty string keys, none starting with `$`."""
    return isinstance(properties, Mapping) and all(isinstance(k, str) and k and not k.startswith("$") for k in properties)


def custom_event_data(name: Any, properties: Mapping[str, Any] | None, config: ServerConfig | None) -> dict[str, Any] | None:
    """The `data` of a `ce` event; None when the SDK refuses it (empty or blocklisted name, bad properties)."""
    if not isinstance(name, str) or not name.strip() or blocked(config, "events_blacklist", name):
        return None
    if properties is not None and not valid_properties(properties):
        return None
    data: dict[str, Any] = {"n": name}
    if properties:
        data["p"] = jsonable(dict(properties))
    return data


def purchase_data(
    product_id: Any,
    price: Any,
    currency: Any,
    quantity: Any,
    properties: Mapping[str, Any] | None,
    config: ServerConfig | None,
) -> dict[str, Any] | None:
    """The `data` of a `p` event; None when the SDK refuses it (empty or blocklisted product, a price that is not a
    finite number, a currency that is not 3 letters, a quantity outside 1-100, bad properties)."""
    if not isinstance(product_id, str) or not product_id.strip() or blocked(config, "purchases_blacklist", product_id):
        return None
    if not finite_number(price):
        return None
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
        return None
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_PURCHASE_QUANTITY:
        return None
    if properties is not None and not valid_properties(properties):
        return None
    # mobile SDKs send the price as a number (BigDecimal, 2 decimals); the Web SDK a string
    data: dict[str, Any] = {"pid": product_id, "c": currency.upper(), "p": round(float(price), 2), "q": quantity}
    if properties:
        data["pr"] = jsonable(dict(properties))
    return data
