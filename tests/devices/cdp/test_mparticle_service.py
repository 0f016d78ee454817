"""The local stand-in for mParticle's servers: what each call is answered (no browser)."""

from __future__ import annotations

import json

from braze_harness.devices.cdp.mparticle.service import MParticleService, mpid_for
from braze_harness.protocol.cdp import cdp_of

IDENTITY = "https://identity.mparticle.com/v1"


def test_identity_calls_get_a_stable_mpid_per_customer_and_one_anonymous_mpid() -> None:
    service = MParticleService(client=None, scope="s")  # type: ignore[arg-type]  # answer() needs no emulator
    login = json.dumps({"known_identities": {"customerid": "ada"}})
    status, answer = service.answer("POST", f"{IDENTITY}/login", login)
    assert status == 200 and answer["mpid"] == mpid_for("ada") and answer["is_logged_in"] is True
    assert mpid_for("ada") == mpid_for("ada") != mpid_for("bob")
    _, first = service.answer("POST", f"{IDENTITY}/identify", "{}")
    _, again = service.answer("POST", f"{IDENTITY}/logout", json.dumps({"known_identities": {}}))
    assert first["mpid"] == again["mpid"] and first["is_logged_in"] is False


def test_batches_are_accepted_and_anything_else_answered_empty() -> None:
    service = MParticleService(client=None, scope="s")  # type: ignore[arg-type]
    assert service.answer("POST", "https://jssdks.mparticle.com/v3/JS/us1-key/events", "{}") == (202, None)
    assert service.answer("POST", "https://jssdks.mparticle.com/v1/JS/us1-key/Forwarding", "[]") == (200, {})
    assert service.answer("OPTIONS", "https://jssdks.mparticle.com/v3/JS/us1-key/events", None) == (204, None)
    assert cdp_of("https://identity.mparticle.com/v1/login") == "mparticle" and cdp_of("http://127.0.0.1/api/v3/data/") is None
