"""The fast path: uvicorn's httptools protocol answering plain SDK POSTs straight from the HTTP parser.

SDK ingestion is the hot path. A plain `POST` (Content-Length within the limit, nothing that needs the ASGI
machinery, not a `/template/` request that may wait on Connected Content) is answered by `EmulatorHttpProtocol`
through the same definition as the ASGI app (`sdk.SdkHttp`): this file is transport only. Everything else
(control API, preflights, chunked or oversized bodies, pipelined requests, Expect: 100-continue, proxy
headers) goes through uvicorn's ASGI cycle and `EmulatorASGI`.

Every request on the socket, whichever way it is answered, has its header bytes counted as they arrive
(`max_header_bytes`: a 431 and the connection closed) and its headers timed (`header_timeout_s`: a 408 and the
connection closed), limits uvicorn has no setting for under httptools (docs/limits.md). The timer is armed only
when a read leaves a request's headers incomplete, so the usual request (headers in one read) costs nothing.
"""

from __future__ import annotations

import asyncio
import gc
import time
from functools import lru_cache
from typing import Any

import httptools
from braze_harness.emulator.http.asgi import CONTROL_PREFIX, request_url
from braze_harness.emulator.http.sdk import SdkHttp, off_loop
from braze_harness.protocol.wire import normalize_headers
from uvicorn.protocols.http.httptools_impl import HEADER_VALUE_RE, STATUS_LINE, HttpToolsProtocol

_CONTROL_PREFIX = CONTROL_PREFIX.encode()
# request headers after which the ASGI path must decide (proxy scheme, streaming, upgrades)
_ASGI_ONLY_HEADERS = frozenset({"transfer-encoding", "x-forwarded-proto", "expect", "upgrade"})
_INTERNAL_ERROR = b"Internal Server Error"
_INTERNAL_ERROR_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", b"21"),
    (b"connection", b"close"),
]


@lru_cache(maxsize=64)
def _unsafe_origin(origin: str) -> bool:
    # asked per request of an app's one or few origins
    return HEADER_VALUE_RE.search(origin.encode()) is not None


class _SdkRequest:
    __slots__ = ("chunks", "headers", "keep_alive", "path", "started", "url")

    def __init__(self, url: str, headers: dict[str, str], keep_alive: bool, path: str, started: float) -> None:
        self.url = url
        self.headers = headers
        self.keep_alive = keep_alive
        self.path = path  # and `started` (perf_counter, 0 without a request log): the request log's
        self.started = started
        self.chunks: list[bytes] = []


class FreezePolicy:
    """Keeps the emulator's ever-growing state out of the cyclic GC's full collections (CLI server only).

    The journal, profiles and logs only grow, and ingestion creates no reference cycles, yet every
    full collection walks all of it (0.7 s pauses at a full journal). Every `every` answered SDK
    requests, `gc.freeze()` moves what survived so far to the permanent generation: collections
    then only see what came after. Cyclic garbage among frozen objects would never be collected;
    the server's traffic (measured: SDK and control requests, connections) makes none."""

    def __init__(self, every: int) -> None:
        self.every = every
        self._count = 0

    def answered(self) -> None:
        self._count += 1
        if self._count >= self.every:
            self._count = 0
            gc.freeze()


class EmulatorHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering plain SDK POSTs without an ASGI task (see module doc)."""

    sdk: SdkHttp  # set on the per-server subclass (`protocol_class`)
    gc_policy: FreezePolicy | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sdk: _SdkRequest | None = None
        self._reading_paused_for_writes = False
        self._in_headers = False  # a request has begun and its headers are not complete
        self._header_bytes = 0  # of the current request's line and headers (as parsed)
        self._raw_header_bytes = 0  # read while its headers were incomplete (what the parser buffers)
        self._header_timer: asyncio.TimerHandle | None = None
        self._refused = False  # answered 431/408 and closing: nothing more is parsed

    # -- header limits (docs/limits.md) -------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # a connection must send its first request's headers in time too
        self._header_timer = self.loop.call_later(self.sdk.header_timeout_s, self._headers_too_slow)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._in_headers and not self._refused:
            self._raw_header_bytes += len(data)
            if self._raw_header_bytes > self.sdk.max_header_bytes:
                self._refuse_headers(self._raw_header_bytes)
            elif self._header_timer is None:
                self._header_timer = self.loop.call_later(self.sdk.header_timeout_s, self._headers_too_slow)

    def on_message_begin(self) -> None:
        # uvicorn's, but the ASGI scope (three dicts) is made only for a request the ASGI path takes (`_asgi_scope`)
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        self._in_headers = True
        self._header_bytes = self._raw_header_bytes = 0

    def _asgi_scope(self) -> None:
        """uvicorn's own start of a request (its scope), keeping what was parsed since it began."""
        url, headers, expect = self.url, self.headers, self.expect_100_continue
        super().on_message_begin()
        self.url, self.headers, self.expect_100_continue = url, headers, expect
        self.scope["headers"] = headers

    def on_url(self, url: bytes) -> None:
        if self._refused:
            return
        self.url += url
        self._header_bytes += len(url)
        if self._header_bytes > self.sdk.max_header_bytes:
            self._refuse_headers(self._header_bytes)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self.sdk.max_header_bytes:
            self._refuse_headers(self._header_bytes)
            return
        # uvicorn's on_header, inline (it runs for every header of every request)
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def send_400_response(self, msg: str) -> None:
        if not self._refused:
            super().send_400_response(msg)

    def _end_headers(self) -> None:
        self._in_headers = False
        timer, self._header_timer = self._header_timer, None
        if timer is not None:
            timer.cancel()

    def _refuse_headers(self, size: int) -> None:
        self._end_headers()
        method = (self.parser.get_method() or b"GET").decode("latin-1") if self.parser is not None else "GET"
        url = request_url(self.scheme or "http", self.headers or [], _path_of(self.url), b"")
        try:
            reply = self.sdk.headers_too_large(method, url, normalize_headers(self.headers or []), size)
        except Exception as error:  # journaling failed: still refuse
            self.logger.error("Exception in ASGI application\n", exc_info=error)
            reply = None
        self._close_with(reply)

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self._refused:
            return
        if not self._in_headers:  # nothing of a request arrived: an idle new connection
            self._refused = True
            self.transport.close()
            return
        if self._answering():  # a pipelined request waits on the answer before it: its headers wait too
            self._header_timer = self.loop.call_later(self.sdk.header_timeout_s, self._headers_too_slow)
            return
        self._in_headers = False
        method = self.parser.get_method() if self._header_bytes > len(self.url or b"") else b""  # a request line read
        url = request_url(self.scheme or "http", [], _path_of(self.url or b""), b"")
        try:
            reply = self.sdk.headers_timed_out(method.decode("latin-1"), url)
        except Exception as error:
            self.logger.error("Exception in ASGI application\n", exc_info=error)
            reply = None
        self._close_with(reply)

    def _answering(self) -> bool:
        """Whether an earlier request's answer is still to be written (ASGI cycle or a delayed fast-path answer)."""
        return (self.cycle is not None and not self.cycle.response_complete) or self.flow.read_paused

    def _close_with(self, reply: Any) -> None:
        """Answer a refusal (None: none could be made) and close: the rest of the request is never read."""
        self._refused = True
        if reply is not None and not self.transport.is_closing() and not self._answering():  # never inside an answer
            out = [STATUS_LINE[reply.status]]
            for name, value in (
                *self.server_state.default_headers,
                *reply.headers,
                (b"content-length", str(len(reply.body)).encode()),
            ):
                out += (name, b": ", value, b"\r\n")
            out += (b"\r\n", reply.body)
            self.transport.write(b"".join(out))
        self.transport.close()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._reading_paused_for_writes:
            self._reading_paused_for_writes = False
            self.flow.resume_reading()

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        if self._header_timer is not None or self._in_headers:
            self._end_headers()
        sdk = self._plain_sdk_post()
        if sdk is None:
            self._asgi_scope()
            super().on_headers_complete()
        else:
            self._sdk = sdk

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        if self._sdk is not None:
            self._sdk.chunks.append(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        sdk = self._sdk
        if sdk is None:
            super().on_message_complete()
            return
        self._sdk = None
        self._answer(sdk)

    def connection_lost(self, exc: Exception | None) -> None:
        timer, self._header_timer = self._header_timer, None
        if timer is not None:
            timer.cancel()
        sdk, self._sdk = self._sdk, None
        if sdk is not None:
            # the client went away mid-body: the ASGI path journals what it read, so does this one
            try:
                self.sdk.on_body("POST", sdk.url, sdk.headers, b"".join(sdk.chunks))
            except Exception as error:
                self.logger.error("Exception in ASGI application\n", exc_info=error)
        super().connection_lost(exc)

    def _plain_sdk_post(self) -> _SdkRequest | None:
        """The request, when it is one this protocol answers itself; None: uvicorn's ASGI cycle takes it."""
        parser = self.parser
        if (
            parser.get_method() != b"POST"
            or self.expect_100_continue
            or parser.should_upgrade()
            or self.pipeline
            or (self.cycle is not None and not self.cycle.response_complete)
            or self.limit_concurrency is not None
            or self.root_path
        ):
            return None
        parsed = httptools.parse_url(self.url)
        raw_path = parsed.path
        # `find`, not `in`: a bytes `in` first tries the needle as an int (a TypeError, costly per request)
        if raw_path.find(b"%") != -1 or raw_path.startswith(_CONTROL_PREFIX):
            return None
        try:
            path = raw_path.decode("ascii")
        except UnicodeDecodeError:
            return None
        if off_loop(path):
            return None  # may wait on Connected Content: the ASGI path runs it in a worker thread
        raw_headers = self.headers
        headers = normalize_headers(raw_headers)
        if not _ASGI_ONLY_HEADERS.isdisjoint(headers):
            return None
        declared = headers.get("content-length")
        if not declared or not declared.isascii() or not declared.isdigit():
            return None
        if int(declared) > self.sdk.limit:
            return None  # answered 413 by the ASGI path, before the body is read
        if _unsafe_origin(headers.get("origin", "*")):
            return None  # echoed in a response header: let the ASGI path fail on it as it always did
        url = request_url(self.scheme or "http", raw_headers, path, parsed.query or b"")
        keep_alive = parser.get_http_version() != "1.0" and parser.should_keep_alive()
        return _SdkRequest(url, headers, keep_alive, path, time.perf_counter() if self.sdk.log is not None else 0.0)

    def _answer(self, sdk: _SdkRequest) -> None:
        reply = None
        try:
            reply = self.sdk.on_body("POST", sdk.url, sdk.headers, b"".join(sdk.chunks))
            status, body = reply.status, reply.body
            headers = [*reply.headers, (b"content-length", str(len(body)).encode())]
            keep_alive = sdk.keep_alive
            if not keep_alive:
                headers.append((b"connection", b"close"))
            if reply.drop or reply.delay_s:  # faults: answer (or drop) later, reading nothing meanwhile
                self.flow.pause_reading()
                action = self.transport.close if reply.drop else lambda: self._write(status, body, headers, keep_alive)
                asyncio.get_running_loop().call_later(reply.delay_s, self._after_delay, action, sdk, reply)
                return
        except Exception as error:
            self.logger.error("Exception in ASGI application\n", exc_info=error)
            status, body, keep_alive, headers = 500, _INTERNAL_ERROR, False, _INTERNAL_ERROR_HEADERS
        self._write(status, body, headers, keep_alive)
        log = self.sdk.log
        if log is not None:
            log("POST", sdk.path, status, (reply.scope if reply is not None else None) or "-", sdk.started)

    def _after_delay(self, action: Any, sdk: _SdkRequest, reply: Any) -> None:
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        action()
        if self.sdk.log is not None:
            self.sdk.log("POST", sdk.path, "drop" if reply.drop else reply.status, reply.scope or "-", sdk.started)

    def _write(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]], keep_alive: bool) -> None:
        # what uvicorn's RequestResponseCycle.send writes for the same status, headers and body
        out = [STATUS_LINE[status]]
        for name, value in (*self.server_state.default_headers, *headers):
            out += (name, b": ", value, b"\r\n")
        out += (b"\r\n", body)
        transport = self.transport
        transport.write(b"".join(out))
        if not keep_alive:
            transport.close()
        self.on_response_complete()
        if self.flow.write_paused and not transport.is_closing():
            # the client is not reading its answers: read no more requests until it does (the ASGI
            # path waits for the drain before answering, which has the same effect)
            self._reading_paused_for_writes = True
            self.flow.pause_reading()
        if self.gc_policy is not None:
            self.gc_policy.answered()


def _path_of(url: bytes) -> str:
    """The request target's path for the journal, from what was read of it (possibly cut short)."""
    try:
        path = httptools.parse_url(url).path or b"/"
    except httptools.HttpParserInvalidURLError:
        path = url.split(b"?", 1)[0] or b"/"
    return path.decode("latin-1")[:1024]


def protocol_class(sdk: SdkHttp, gc_policy: FreezePolicy | None) -> type[EmulatorHttpProtocol]:
    return type("EmulatorHttpProtocol", (EmulatorHttpProtocol,), {"sdk": sdk, "gc_policy": gc_policy})
