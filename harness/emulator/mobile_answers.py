"""The answers to the mobile SDKs' own endpoints (docs/mobile-wire.md, mobile-only-endpoints), and what the emulator
says it does not model of them: every such request is accepted and journaled with its decoded content, and a
request whose effect the emulator does not reproduce carries an `info` problem naming what is left out."""

from __future__ import annotations

from typing import Any

from braze_harness.protocol.decode import DecodedRequest, Endpoint
from braze_harness.protocol.problems import Problem

# endpoint -> (the answer, what of its effect is not modelled)
_ANSWERS: dict[Endpoint, tuple[dict[str, Any], str]] = {
    Endpoint.PUSH_DELIVERY_EVENTS: ({}, "push delivery events are journaled, not counted in the engagement ledger"),
    Endpoint.PUSH_REDELIVER: ({}, "push redelivery (Push Max) is not emulated: no push is sent again"),
    Endpoint.GEOFENCE_REQUEST: ({"geofences": []}, "geofences are not emulated: the answer lists none"),
    Endpoint.GEOFENCE_REPORT: ({}, "geofence transitions are journaled, not applied to the profile"),
    Endpoint.DEBUGGER_INIT: ({}, "Braze's SDK Debugger is not emulated"),
    Endpoint.DEBUGGER_LOG: ({}, "Braze's SDK Debugger is not emulated: the log lines are journaled only"),
    Endpoint.DUST_CONFIG: ({}, "the real-time stream is not emulated: no host, so the SDK opens no stream"),
}
MOBILE_ENDPOINTS = frozenset(_ANSWERS)


def mobile_answer(decoded: DecodedRequest) -> tuple[dict[str, Any], list[Problem]] | None:
    """The answer and the `info` problem of a mobile-only endpoint; None for any other endpoint."""
    known = _ANSWERS.get(decoded.endpoint) if decoded.endpoint is not None else None
    if known is None:
        return None
    body, left_out = known
    return dict(body), [Problem(where="endpoint", message=f"{decoded.endpoint}: {left_out}", severity="info")]
