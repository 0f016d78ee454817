"""Wire knowledge of a customer data platform in front of Braze: mParticle's Web SDK traffic.

The harness answers mParticle's hosts locally (`devices/cdp/mparticle/service.py`) and journals each exchange with
source `mparticle`. The decoder keeps such a request as text with an `info` note (it is not a Braze SDK request);
`mparticle_calls` reads what the app asked mParticle to do from those entries: who it identified, the attributes it
set, the custom events and purchases it logged (mParticle's Events API batch format).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

MPARTICLE_SOURCE = "mparticle"
MPARTICLE_HOSTS = ("jssdks.mparticle.com", "jssdkcdns.mparticle.com", "identity.mparticle.com", "nativesdks.mparticle.com")
MPARTICLE_URLS = re.compile(r"^https?://(?:" + "|".join(re.escape(h) for h in MPARTICLE_HOSTS) + r")(?::\d+)?/")
_IDENTITY_CALL = re.compile(r"^/v1/(identify|login|logout|\d+/modify)$")

CallKind = Literal["identify", "attribute", "event", "purchase"]


def cdp_of(url: str) -> str | None:
    """`mparticle` for a URL on one of mParticle's hosts, else None."""
    return MPARTICLE_SOURCE if urlsplit(url).hostname in MPARTICLE_HOSTS else None


@dataclass(frozen=True, slots=True)
class CdpCall:
    """One thing the app asked the CDP to do, as it went over the CDP's wire.

    `identify`: `name` = the customer id; `attribute`: `name`, `value` (None: removed); `event`: `name`, `properties`;
    `purchase`: one product of a purchase: `name` = its id (SKU), `price`, `quantity`, `currency`, `properties`."""

    kind: CallKind
    name: str
    value: Any = None
    properties: dict[str, Any] = field(default_factory=dict)
    price: float | None = None
    quantity: int | None = None
    currency: str | None = None
    seq: int = 0  # the journal entry it came from

    def describe(self) -> str:
        if self.kind == "identify":
            return f"mParticle.Identity.login(customerid={self.name!r})"
        if self.kind == "attribute":
            return f"setUserAttribute({self.name!r}, {self.value!r})"
        if self.kind == "event":
            return f"logEvent({self.name!r}, {self.properties})"
        return f"purchase of {self.name!r} x{self.quantity} at {self.price} {self.currency}"


def mparticle_calls(method: str, url: str, body: str | None, seq: int = 0) -> list[CdpCall]:
    """The calls one mParticle request carries (identity login/identify with a customer id; event batches)."""
    if method.upper() != "POST" or not body:
        return []
    try:
        payload = json.loads(body)
    except ValueError:
        return []
    if not isinstance(payload, dict):
        return []
    path = urlsplit(url).path
    if _IDENTITY_CALL.match(path):
        customer = (payload.get("known_identities") or {}).get("customerid")
        return [CdpCall("identify", str(customer), seq=seq)] if customer else []
    if path.endswith("/events"):
        return [call for event in payload.get("events") or [] for call in _event_calls(event, seq)]
    return []


def _event_calls(event: dict[str, Any], seq: int) -> list[CdpCall]:
    data = event.get("data") or {}
    kind = event.get("event_type")
    if kind == "custom_event":
        return [CdpCall("event", str(data.get("event_name")), properties=dict(data.get("custom_attributes") or {}), seq=seq)]
    if kind == "user_attribute_change":
        value = None if data.get("deleted") else data.get("new")
        return [CdpCall("attribute", str(data.get("user_attribute_name")), value=value, seq=seq)]
    action = data.get("product_action") or {}
    if kind == "commerce_event" and action.get("action") == "purchase":
        return [
            CdpCall("purchase", str(p.get("id")), properties=dict(p.get("custom_attributes") or {}), price=p.get("price"),
                    quantity=p.get("quantity"), currency=data.get("currency_code"), seq=seq)
            for p in action.get("products") or []
        ]  # fmt: skip
    return []
