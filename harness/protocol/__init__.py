"""Typed models of the Braze SDK wire protocol and the one decoder every source goes through."""

from braze_harness.protocol.attributes import Attributes
from braze_harness.protocol.decode import (
    BrazeHeaders,
    DecodedRequest,
    DecodedResponse,
    Endpoint,
    Problem,
    decode,
    decode_response,
    endpoint_of,
    is_braze_request,
)
from braze_harness.protocol.events import EVENT_CLASSES, KNOWN_EVENT_CODES, Event, UnknownEvent
from braze_harness.protocol.requests import DataRequest, Envelope

__all__ = [
    "EVENT_CLASSES",
    "KNOWN_EVENT_CODES",
    "Attributes",
    "BrazeHeaders",
    "DataRequest",
    "DecodedRequest",
    "DecodedResponse",
    "Endpoint",
    "Envelope",
    "Event",
    "Problem",
    "UnknownEvent",
    "decode",
    "decode_response",
    "endpoint_of",
    "is_braze_request",
]
