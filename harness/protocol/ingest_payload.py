"""The JSON body of `POST /_emulator/ingest` (and each item of `/_emulator/ingest/batch`): one exchange observed
elsewhere (the proxy's observe mode, a HAR) for a remote emulator to journal and apply. Built by the senders
(`payload`), checked by the emulator (`parse_payload`: a mistake is a ValueError naming the field)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import orjson
from braze_harness.protocol.wire import RawHeaders, body_text, normalize_headers

SOURCES = frozenset({"proxy", "har", "virtual-device", "emulator", "mparticle", "segment"})
_FIELDS = frozenset({"method", "url", "headers", "body", "body_encoding", "status", "response", "source", "received_at", "scope"})


def payload(
    method: str,
    url: str,
    headers: RawHeaders,
    body: bytes | str | None,
    status: int | None,
    response: Any,
    *,
    source: str = "proxy",
    received_at: float | None = None,
) -> dict[str, Any]:
    """The ingest body for one exchange: headers lower-cased, the body's canonical text (binary bodies the
    emulator could not read as text travel as base64 and are reported there)."""
    lowered = normalize_headers(headers)
    out: dict[str, Any] = {
        "method": method,
        "url": url,
        "headers": lowered,
        "status": status,
        "response": response,
        "source": source,
    }
    if isinstance(body, bytes):
        text, problems = body_text(body, lowered.get("content-encoding", ""))
        if problems or text is None:
            out["body"], out["body_encoding"] = base64.b64encode(body).decode(), "base64"
        else:
            out["body"] = text
    else:
        out["body"] = body
    if received_at is not None:
        out["received_at"] = received_at
    return out


def parse_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate an ingest body; ValueError with the field's name on a mistake. Returns keyword arguments for
    `Emulator.observe`."""
    if not isinstance(data, Mapping):
        raise ValueError("an exchange must be a JSON object")
    unknown = set(data) - _FIELDS
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}")
    method, url = data.get("method"), data.get("url")
    if not isinstance(method, str) or not method.isalpha():
        raise ValueError("method must be an HTTP method such as POST")
    if not isinstance(url, str) or not url:
        raise ValueError("url must be a non-empty string")
    headers = data.get("headers") or {}
    if isinstance(headers, list):
        if not all(isinstance(h, list | tuple) and len(h) == 2 for h in headers):
            raise ValueError("headers must be an object or a list of [name, value] pairs")
        headers = [(str(k), str(v)) for k, v in headers]
    elif isinstance(headers, dict):
        headers = {str(k): str(v) for k, v in headers.items()}
    else:
        raise ValueError("headers must be an object or a list of [name, value] pairs")
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        try:
            body = orjson.dumps(body).decode()  # a JSON body given as JSON
        except orjson.JSONEncodeError as exc:  # nested beyond the serialiser's 254 levels (docs/limits.md)
            raise ValueError(f"body cannot be serialised as JSON: {exc}") from None
    if data.get("body_encoding") not in (None, "base64"):
        raise ValueError("body_encoding must be base64 when given")
    if data.get("body_encoding") == "base64" and body is not None:
        try:
            body = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("body is not valid base64") from None
    status = data.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599):
        raise ValueError("status must be an HTTP status code or null (no answer)")
    source = data.get("source", "proxy")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(sorted(SOURCES))}")
    received_at = data.get("received_at")
    if received_at is not None and (not isinstance(received_at, int | float) or isinstance(received_at, bool)):
        raise ValueError("received_at must be unix seconds")
    scope = data.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise ValueError("scope must be a string")
    return {
        "method": method,
        "url": url,
        "headers": headers,
        "body": body,
        "status": status,
        "response": data.get("response"),
        "source": source,
        "received_at": received_at,
        "scope": scope,
    }
