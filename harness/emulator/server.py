"""Run the emulator with uvicorn: in a background thread (pytest plugin) or in the foreground (CLI).

SDK ingestion is the hot path: a plain SDK `POST` (Content-Length within the limit, nothing that
needs the ASGI machinery) is answered by `EmulatorHttpProtocol` straight from uvicorn's HTTP parser,
with the same URL, headers, answer and response bytes as the ASGI app would produce. Everything
else (control API, preflights, chunked or oversized bodies, pipelined requests, Expect: 100-continue,
proxy headers) goes through uvicorn's ASGI cycle and `EmulatorASGI` as before.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HEADER_VALUE_RE, STATUS_LINE, HttpToolsProtocol

from harness.emulator.asgi import CONTROL_PREFIX, EmulatorASGI, answer_headers, response_headers, sdk_headers, sdk_url
from harness.emulator.core import Emulator
from harness.emulator.rest import REST_PATHS
from harness.emulator.settings import EmulatorSettings
from harness.errors import HarnessConfigError

_CONTROL_PREFIX = CONTROL_PREFIX.encode()
_REST_PATHS = frozenset(p.encode() for p in REST_PATHS)  # the REST subset goes to the control app
# request headers after which the ASGI path must decide (proxy scheme, streaming, upgrades)
_ASGI_ONLY_HEADERS = frozenset({b"transfer-encoding", b"x-forwarded-proto", b"expect", b"upgrade"})
_INTERNAL_ERROR = b"Internal Server Error"
_INTERNAL_ERROR_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", b"21"),
    (b"connection", b"close"),
]


class _SdkRequest:
    __slots__ = ("chunks", "headers", "keep_alive", "url")

    def __init__(self, url: str, headers: dict[str, str], keep_alive: bool) -> None:
        self.url = url
        self.headers = headers
        self.keep_alive = keep_alive
        self.chunks: list[bytes] = []


class _FreezePolicy:
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

    emulator: Emulator  # set on the per-server subclass (`_protocol_class`)
    gc_policy: _FreezePolicy | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sdk: _SdkRequest | None = None
        self._reading_paused_for_writes = False

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._reading_paused_for_writes:
            self._reading_paused_for_writes = False
            self.flow.resume_reading()

    def on_headers_complete(self) -> None:
        sdk = self._plain_sdk_post()
        if sdk is None:
            super().on_headers_complete()
        else:
            self._sdk = sdk

    def on_body(self, body: bytes) -> None:
        if self._sdk is not None:
            self._sdk.chunks.append(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        sdk = self._sdk
        if sdk is None:
            super().on_message_complete()
            return
        self._sdk = None
        self._answer(sdk)

    def connection_lost(self, exc: Exception | None) -> None:
        sdk, self._sdk = self._sdk, None
        if sdk is not None:
            # the client went away mid-body: the ASGI path journals what it read, so does this one
            try:
                self.emulator.handle_sdk("POST", sdk.url, sdk.headers, b"".join(sdk.chunks))
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
        if b"%" in raw_path or raw_path.startswith(_CONTROL_PREFIX) or raw_path in _REST_PATHS:
            return None
        try:
            path = raw_path.decode("ascii")
        except UnicodeDecodeError:
            return None
        raw_headers = self.headers
        for name, _ in raw_headers:
            if name in _ASGI_ONLY_HEADERS:
                return None
        headers = sdk_headers(raw_headers)
        declared = headers.get("content-length")
        if not declared or not declared.isascii() or not declared.isdigit():
            return None
        if int(declared) > self.emulator.settings.max_body_bytes:
            return None  # answered 413 by the ASGI path, before the body is read
        if HEADER_VALUE_RE.search(headers.get("origin", "*").encode()):
            return None  # echoed in a response header: let the ASGI path fail on it as it always did
        url = sdk_url(self.scheme or "http", raw_headers, path, parsed.query or b"")
        keep_alive = parser.get_http_version() != "1.0" and parser.should_keep_alive()
        return _SdkRequest(url, headers, keep_alive)

    def _answer(self, sdk: _SdkRequest) -> None:
        try:
            answer = self.emulator.handle_sdk("POST", sdk.url, sdk.headers, b"".join(sdk.chunks))
            status, body = answer.status, answer.encoded()
            headers = [*response_headers(sdk.headers), *answer_headers(answer), (b"content-length", str(len(body)).encode())]
            keep_alive = sdk.keep_alive
            if not keep_alive:
                headers.append((b"connection", b"close"))
            if answer.drop or answer.delay_s:  # faults: answer (or drop) later, reading nothing meanwhile
                self.flow.pause_reading()
                action = self.transport.close if answer.drop else lambda: self._write(status, body, headers, keep_alive)
                asyncio.get_running_loop().call_later(answer.delay_s, self._after_delay, action)
                return
        except Exception as error:
            self.logger.error("Exception in ASGI application\n", exc_info=error)
            status, body, keep_alive, headers = 500, _INTERNAL_ERROR, False, _INTERNAL_ERROR_HEADERS
        self._write(status, body, headers, keep_alive)

    def _after_delay(self, action: Any) -> None:
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        action()

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


def _protocol_class(emulator: Emulator, gc_policy: _FreezePolicy | None) -> type[EmulatorHttpProtocol]:
    return type("EmulatorHttpProtocol", (EmulatorHttpProtocol,), {"emulator": emulator, "gc_policy": gc_policy})


def _config(emulator: Emulator, sock_port: int, gc_policy: _FreezePolicy | None = None) -> uvicorn.Config:
    return uvicorn.Config(
        EmulatorASGI(emulator),
        host=emulator.settings.host,
        port=sock_port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="uvloop",
        http=_protocol_class(emulator, gc_policy),
        timeout_keep_alive=30,
    )


def check_loopback(host: str, allow_remote: bool = False) -> None:
    if allow_remote:
        return
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
        raise HarnessConfigError(
            f"refusing to listen on {host}: the emulator binds loopback only (pass --allow-remote to override)"
        )


class EmulatorServer:
    """`with EmulatorServer() as server: server.url` — an emulator on an ephemeral loopback port."""

    def __init__(self, settings: EmulatorSettings | None = None, emulator: Emulator | None = None) -> None:
        self.emulator = emulator or Emulator(settings or EmulatorSettings(port=0))
        check_loopback(self.emulator.settings.host)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        host = self.emulator.settings.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        settings = self.emulator.settings
        # IPPROTO_TCP explicitly: uvicorn only sets TCP_NODELAY on TCP sockets it recognises as such,
        # and without it every keep-alive request waits ~40 ms on Nagle + delayed ACK
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((settings.host, settings.port))
        except OSError as exc:
            sock.close()
            raise HarnessConfigError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}") from None
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(_config(self.emulator, self.port))
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # not the main thread

        def run() -> None:
            asyncio.run(self._server.serve(sockets=[sock]))  # type: ignore[union-attr]

        self._thread = threading.Thread(target=run, name="braze-emulator", daemon=True)
        self._thread.start()
        ready = threading.Event()
        while not ready.wait(0.01):
            if self._server.started:
                break
            if not self._thread.is_alive():
                raise RuntimeError("the emulator server thread died during start-up")
            timeout -= 0.01
            if timeout <= 0:
                raise RuntimeError("the emulator did not start within its timeout")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.emulator.journal.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(settings: EmulatorSettings, allow_remote: bool = False) -> None:
    """Foreground server for the CLI (Ctrl-C stops it)."""
    check_loopback(settings.host, allow_remote)
    emulator = Emulator(settings)
    # this process is the emulator's alone: start-up objects (modules, schemas) and then, as it grows,
    # the state are frozen out of the collector's full passes (an in-process EmulatorServer leaves the
    # host process's GC alone)
    config = _config(emulator, settings.port, _FreezePolicy(FREEZE_EVERY))
    config.load()
    gc.collect()
    gc.freeze()
    try:
        uvicorn.Server(config).run()
    finally:
        emulator.journal.close()


FREEZE_EVERY = 500  # SDK requests between two gc.freeze() calls in the CLI server
