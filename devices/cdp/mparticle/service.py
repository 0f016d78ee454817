"""mParticle's servers, answered locally inside the browser context (`CdpService`), each exchange journaled.

The shop's mParticle SDK talks to mParticle's real hosts (`MPARTICLE_HOSTS`); a route on the browser context
answers them here, so nothing leaves the machine, and journals each exchange with source `mparticle`.

What is answered (the Web SDK's own contract): identity calls (`/v1/identify`, `/login`, `/logout`,
`/{mpid}/modify`) with an MPID (stable per customer id, random while anonymous); event batches
(`/v3/JS/{key}/events`) with 202; anything else (forwarding stats, alias, config) with 200 `{}`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from typing import Any

from braze_harness.client import EmulatorClient
from braze_harness.devices.cdp.service import CdpService
from braze_harness.protocol.cdp import MPARTICLE_SOURCE, MPARTICLE_URLS

_IDENTITY = re.compile(r"^https://identity\.mparticle\.com/v1/(?:(?P<call>identify|login|logout)|\d+/(?P<modify>modify))$")
_EVENTS = re.compile(r"^https://jssdks\.mparticle\.com/v3/JS/[^/]+/events$")


def mpid_for(customer_id: str) -> str:
    """The MPID the stand-in gives a known user: the same for the same customer id (as mParticle's identity graph)."""
    return str(int.from_bytes(hashlib.sha256(customer_id.encode()).digest()[:7], "big"))


class MParticleService(CdpService):
    """Answers one browser context's mParticle requests and journals them in `scope`."""

    source = MPARTICLE_SOURCE
    urls = MPARTICLE_URLS

    def __init__(self, client: EmulatorClient, scope: str) -> None:
        super().__init__(client, scope)
        self._anonymous = str(random.getrandbits(52))

    def answer(self, method: str, url: str, body: str | None) -> tuple[int, Any]:
        if method == "OPTIONS":
            return 204, None
        if (found := _IDENTITY.match(url.split("?", 1)[0])) is not None:
            return 200, self._identity(found["call"] or found["modify"], body)
        if _EVENTS.match(url.split("?", 1)[0]):
            return 202, None
        return 200, {}

    def _identity(self, call: str, body: str | None) -> dict[str, Any]:
        try:
            identities = (json.loads(body or "{}").get("known_identities") or {}) if call != "modify" else {}
        except ValueError:
            identities = {}
        customer = identities.get("customerid")
        mpid = mpid_for(customer) if customer else self._anonymous
        return {"context": None, "mpid": mpid, "is_ephemeral": False, "is_logged_in": bool(customer), "matched_identities": {}}
