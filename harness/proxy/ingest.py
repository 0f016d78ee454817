"""Journal an exchange the emulator did not answer itself (observed through the proxy, or from a HAR).

One path for every such source: the same decoder, then the emulator's state (profiles) and its
journal, exactly as for an answered request. Used by the mitmproxy addon in process and by the
control route `POST /_emulator/ingest` for remote sources.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import time
import zlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from harness.journal import Exchange, Journal, JournalEntry
from harness.protocol.decode import MAX_RAW_KEPT, Problem, decode

if TYPE_CHECKING:
    from harness.emulator.core import Emulator

SOURCES = frozenset({"proxy", "har", "virtual-device", "emulator"})


def lower_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> dict[str, str]:
    """Header names lower-cased; HTTP/2 pseudo-headers (`:authority`) dropped; repeated names joined."""
    out: dict[str, str] = {}
    if not headers:
        return out
    items = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in items:
        key = str(name).lower()
        if key.startswith(":"):
            continue
        out[key] = f"{out[key]}, {value}" if key in out else str(value)
    return out


def plain_body(headers: dict[str, str], body: bytes | str | None) -> tuple[dict[str, str], bytes | str | None]:
    """The body as the SDK wrote it, and headers that say so.

    Captures often hold an already decompressed body next to the original `Content-Encoding`
    (mitmproxy's `.content`, HAR `postData.text`): the header is dropped when the body is not
    compressed, and a compressed body is decompressed (gzip, deflate) so every reader sees JSON."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if body is None or not encoding or encoding == "identity":
        return headers, body
    raw = decompress(body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body, encoding)
    if raw is None:
        return headers, body  # leave it: the decoder reports what it cannot read
    return {k: v for k, v in headers.items() if k != "content-encoding"}, raw


def decompress(raw: bytes, encoding: str) -> bytes | None:
    """`raw` as sent before compression: gzip by its magic bytes, deflate when labelled and not already JSON;
    other bodies unchanged. None when it looks compressed but cannot be read."""
    try:
        if raw[:2] == b"\x1f\x8b":
            return gzip.decompress(raw)
        if encoding == "deflate" and raw[:1] not in (b"{", b"["):
            return zlib.decompress(raw)
    except (OSError, EOFError, zlib.error):
        return None
    return raw


def body_text(body: bytes | str | None) -> tuple[str | None, bool]:
    """Body as journal text, and whether it is the body verbatim (UTF-8, uncut)."""
    if body is None:
        return None, True
    if isinstance(body, str):
        return body[:MAX_RAW_KEPT], len(body) <= MAX_RAW_KEPT
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body[:MAX_RAW_KEPT].decode("utf-8", "replace"), False
    return text[:MAX_RAW_KEPT], len(text) <= MAX_RAW_KEPT


def response_value(body: bytes | str | None) -> Any:
    """A response body for the journal: its JSON when it parses, else its text (None when empty)."""
    if body is None or body in (b"", ""):
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        text, _ = body_text(body)
        return text


def accepted(status: int | None, response: Any) -> bool:
    """Whether the server took the request: 2xx/304 without an `error`/`auth_error` answer.

    Only accepted requests change profiles; a refused or unanswered one (the SDK resends it) does not."""
    if status is None or not (200 <= status < 300 or status == 304):
        return False
    return not (isinstance(response, dict) and ("error" in response or "auth_error" in response))


def ingest(
    emu: Emulator,
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    body: bytes | str | None,
    status: int | None,
    response: Any,
    *,
    source: str = "proxy",
    received_at: float | None = None,
    scope: str | None = None,
    problems: list[Problem] | None = None,
) -> JournalEntry:
    """Decode an exchange, apply it to the emulator's state when the server accepted it, journal it.

    `problems`: what the caller found wrong with the capture itself (journaled with the decoder's)."""
    from harness.emulator.state import UnknownApiKey

    received_at = time.time() if received_at is None else received_at
    started = time.perf_counter()
    lowered, body = plain_body(lower_headers(headers), body)
    decoded = decode(method, url, lowered, body)
    text, verbatim = body_text(body)
    problems = list(problems or [])
    with emu._lock:
        if decoded.body is not None and decoded.api_key and accepted(status, response):
            try:
                problems += emu.state.apply(decoded, received_at=received_at)
            except UnknownApiKey as exc:
                problems.append(Problem(where="api_key", message=f"{exc}: not applied to profiles"))
        return emu.journal.append(
            Exchange(method.upper(), url, decoded.headers, text, status, response),
            source=source,
            decoded=decoded,
            problems=problems,
            received_at=received_at,
            duration_ms=(time.perf_counter() - started) * 1000,
            scope=scope,
            redecodable=verbatim,
        )


def record(
    journal: Journal,
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    body: bytes | str | None,
    status: int | None,
    response: Any,
    *,
    source: str,
    received_at: float | None = None,
    scope: str | None = None,
    problems: list[Problem] | None = None,
) -> JournalEntry:
    """Journal-only `ingest` (no profiles): decode and append."""
    lowered, body = plain_body(lower_headers(headers), body)
    text, verbatim = body_text(body)
    decoded = decode(method, url, lowered, body)
    return journal.append(
        Exchange(method.upper(), url, decoded.headers, text, status, response),
        source=source,
        decoded=decoded,
        problems=problems,
        received_at=received_at,
        scope=scope,
        redecodable=verbatim,
    )


def payload(
    method: str,
    url: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    body: bytes | str | None,
    status: int | None,
    response: Any,
    *,
    source: str = "proxy",
    received_at: float | None = None,
) -> dict[str, Any]:
    """The JSON body of `POST /_emulator/ingest` for one exchange (binary bodies as base64)."""
    lowered, body = plain_body(lower_headers(headers), body)
    out: dict[str, Any] = {
        "method": method,
        "url": url,
        "headers": lowered,
        "status": status,
        "response": response,
        "source": source,
    }
    if isinstance(body, bytes):
        try:
            out["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            out["body"], out["body_encoding"] = base64.b64encode(body).decode(), "base64"
    else:
        out["body"] = body
    if received_at is not None:
        out["received_at"] = received_at
    return out


def parse_payload(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate an ingest body; ValueError with the field's name on a mistake. Returns `ingest` keywords."""
    unknown = set(data) - {
        "method",
        "url",
        "headers",
        "body",
        "body_encoding",
        "status",
        "response",
        "source",
        "received_at",
        "scope",
    }
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
        body = orjson.dumps(body).decode()  # a JSON body given as JSON
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
