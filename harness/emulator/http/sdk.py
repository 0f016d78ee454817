"""The one HTTP definition of the SDK endpoints (and the REST subset): preflights, 405, 413, faults' drops and
delays, answers and their headers. Every transport serves exactly this — the ASGI app, the fast path that answers
plain POSTs straight from the HTTP parser, and the mitmproxy addon's emulate mode — so a request gets the same
status, headers, body and journal entry whichever way it came.

A transport calls `on_headers` once the headers are in (a preflight or a declared oversized body is answered
there, before reading the body), then `on_body`, and turns the `Reply` into bytes: waiting `delay_s` without
blocking its loop, or closing the connection for `drop`. `/template/` requests are processed off the event loop
(`off_loop`): their Connected Content may take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import orjson
from braze_harness.emulator.answer import Answer
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.request_log import Log
from braze_harness.protocol.decode import Endpoint, endpoint_of, path_and_endpoint
from braze_harness.protocol.wire import normalize, request_of

JSON_CONTENT_TYPE = (b"content-type", b"application/json")
PREFLIGHT_MAX_AGE = b"600"


@dataclass(slots=True)
class Reply:
    status: int
    headers: list[tuple[bytes, bytes]]  # without content-length (the transport adds it)
    body: bytes
    drop: bool = False  # close the connection without answering (a fault)
    delay_s: float = 0.0  # answer (or drop) after this long (a fault)
    journal_seq: int | None = field(default=None)  # the entry the request became (None: a preflight)
    scope: str | None = None  # the entry's scope (the request log's)


def cors_headers(request_headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return list(_cors_headers(request_headers.get("origin", "*")))


@lru_cache(maxsize=64)
def _cors_headers(origin: str) -> tuple[tuple[bytes, bytes], ...]:
    # made once per origin (an app's pages have one): every answer carries them
    return (
        (b"access-control-allow-origin", origin.encode("latin-1", "replace")),
        # the SDK reads Retry-After through getAllResponseHeaders(): it must be exposed cross-origin
        (b"access-control-expose-headers", b"Retry-After"),
        (b"vary", b"Origin"),
    )


def off_loop(path: str) -> bool:
    """Whether a request to `path` must be processed off the event loop (it may wait on Connected Content)."""
    return _endpoint_of_path(path) is Endpoint.TEMPLATE


_endpoint_of_path = lru_cache(maxsize=512)(endpoint_of)  # asked per request, of a handful of paths


_KEPT_ON_REFUSAL = frozenset({"x-braze-api-key", "origin", "host"})


class SdkHttp:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        settings = emulator.settings
        self.limit = settings.max_body_bytes
        self.max_expanded = settings.max_expanded_body_bytes
        self.max_header_bytes = settings.max_header_bytes
        self.header_timeout_s = settings.header_timeout_s
        self.log: Log | None = None  # the terminal's request log (`braze-harness emulator`), set by its server

    def on_headers(self, method: str, url: str, headers: dict[str, str], *, source: str = "emulator") -> Reply | None:
        """The reply when the headers decide it (headers over their limit; a preflight; a declared body over the
        limit), else None. (The socket's transport counts header bytes as they arrive, before this.)"""
        size = len(url) + sum(map(len, headers)) + sum(map(len, headers.values())) + 4 * len(headers)
        if size > self.max_header_bytes:
            return self.headers_too_large(method, url, headers, size, source=source)
        if method == "OPTIONS":
            self.emulator.preflights += 1
            allow = headers.get("access-control-request-headers", "*").encode("latin-1", "replace")
            return Reply(
                204,
                [
                    *cors_headers(headers),
                    (b"access-control-allow-methods", b"POST, OPTIONS"),
                    (b"access-control-allow-headers", allow),
                    (b"access-control-max-age", PREFLIGHT_MAX_AGE),
                ],
                b"",
            )
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.limit:
            return self._too_large(method, url, headers, source)
        return None

    def on_body(
        self,
        method: str,
        url: str,
        headers: dict[str, str],  # from `normalize_headers`
        body: bytes,
        *,
        truncated: bool = False,
        source: str = "emulator",
        received_at: float | None = None,
    ) -> Reply:
        """The reply to a whole request (`truncated`: the body went over the limit and was not all read)."""
        if truncated:
            return self._too_large(method, url, headers, source)
        wire = request_of(method, url, headers, body, max_expanded=self.max_expanded)  # headers: from normalize_headers
        if method != "POST" and path_and_endpoint(url)[1] is not Endpoint.REST:
            message = f"the SDK endpoints take POST, not {method}"
            answer = Answer(405, {"error": "method_not_allowed", "message": message})
            entry = self.emulator.pipeline.refuse(wire, answer, message, source=source)
            return self._reply(headers, answer, entry.seq, entry.scope)
        ingested = self.emulator.ingest(wire, source=source, received_at=received_at)
        assert ingested.answer is not None
        return self._reply(headers, ingested.answer, ingested.entry.seq, ingested.entry.scope)

    def _too_large(self, method: str, url: str, headers: dict[str, str], source: str) -> Reply:
        message = f"body exceeds the emulator's limit of {self.limit} bytes (max_body_bytes, --max-body-bytes)"
        answer = Answer(413, {"error": "payload_too_large", "message": message, "limit": "max_body_bytes"})
        entry = self.emulator.pipeline.refuse(normalize(method, url, headers, None), answer, message, source=source)
        return self._reply(headers, answer, entry.seq, entry.scope)

    def headers_too_large(self, method: str, url: str, headers: dict[str, str], size: int, *, source: str = "emulator") -> Reply:
        """431: the request line and headers went over `max_header_bytes` (`size`: at least this many). The
        headers are not kept (only those given, the few read so far), the URL only its first 1 KiB."""
        message = (
            f"request headers of {size} bytes or more exceed the emulator's limit of {self.max_header_bytes} bytes "
            "(max_header_bytes, --max-header-bytes)"
        )
        answer = Answer(431, {"error": "request_header_fields_too_large", "message": message, "limit": "max_header_bytes"})
        kept = {k: v for k, v in headers.items() if k in _KEPT_ON_REFUSAL and len(v) <= 256}  # the scope's key
        wire = normalize(method or "GET", url[:1024], kept, None)
        entry = self.emulator.pipeline.refuse(wire, answer, message, source=source, where="headers")
        reply = self._reply(kept, answer, entry.seq, entry.scope)
        reply.headers.append((b"connection", b"close"))
        return reply

    def headers_timed_out(self, method: str, url: str, *, source: str = "emulator") -> Reply:
        """408: the request's headers were not complete within `header_timeout_s` (a slow or stalled client)."""
        message = (
            f"request headers not complete within {self.header_timeout_s:g} s (header_timeout_s, --header-timeout): "
            "connection closed"
        )
        answer = Answer(408, {"error": "request_timeout", "message": message, "limit": "header_timeout_s"})
        entry = self.emulator.pipeline.refuse(
            normalize(method or "GET", url[:1024], {}, None), answer, message, source=source, where="headers"
        )
        reply = self._reply({}, answer, entry.seq, entry.scope)
        reply.headers.append((b"connection", b"close"))
        return reply

    @staticmethod
    def _reply(headers: dict[str, str], answer: Answer, seq: int, scope: str | None = None) -> Reply:
        own = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()] if answer.headers else ()
        return Reply(
            answer.status,
            [*_cors_headers(headers.get("origin", "*")), JSON_CONTENT_TYPE, *own],
            b"" if answer.drop else answer.encoded(),
            drop=answer.drop,
            delay_s=answer.delay_s,
            journal_seq=seq,
            scope=scope,
        )


def json_bytes(value: object) -> bytes:
    return orjson.dumps(value)
