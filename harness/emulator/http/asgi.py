"""The emulator's ASGI app: the SDK endpoints and the REST subset served from `sdk.py` (one definition, here as a
thin raw-ASGI transport: it is the hot path's slow lane), the control API (`/_emulator/...`) from Starlette.

The same app is what the mitmproxy addon serves for Braze hosts in emulate mode (it passes `braze.source` and
`braze.received_at` in the scope's extensions, and `braze.drop` to close the client's connection)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import re
import time
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.control import OPENAPI_PATH, control_app
from braze_harness.emulator.http.dashboard import OpenStreams
from braze_harness.emulator.http.home import home_reply
from braze_harness.emulator.http.sdk import Reply, SdkHttp, off_loop
from braze_harness.protocol.wire import normalize_headers

CONTROL_PREFIX = "/_emulator"


def is_control_path(path: str) -> bool:
    # a custom SDK baseUrl path may merely start like the prefix (`/_emulator-sdk/data/`)
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def request_url(scheme: str, raw_headers: list[tuple[bytes, bytes]], path: str, query_string: bytes) -> str:
    """The URL journaled for a request: scheme, the (first) Host header, path and query string.

    The route is the request target's path alone: a Host that is not a host (`[`, `x/api/v3/data/#`) is
    percent-encoded whole, so it can neither fail the URL's parsing nor add to its path; a decoded path's
    `#`/`?` are encoded back for the same reason."""
    for name, value in raw_headers:  # a loop, not next() over a generator: it runs per request
        if name.lower() == b"host":
            host = _host(value)
            break
    else:
        host = "localhost"
    if "#" in path or "?" in path:
        path = path.replace("#", "%23").replace("?", "%3F")
    return f"{scheme}://{host}{path}" + (f"?{query_string.decode('latin-1')}" if query_string else "")


# a reg-name or IPv4 address with an optional port, or a bracketed IPv6 address with one
_HOST_RE = re.compile(rb"[A-Za-z0-9._~!$&'()*+,;=-]*(:[0-9]*)?|\[[0-9A-Fa-f:.]+\](:[0-9]*)?")


@lru_cache(maxsize=256)
def _host(value: bytes) -> str:
    # asked per request of a client's one or few Host values
    if _HOST_RE.fullmatch(value):
        return value.decode("ascii")
    return quote(value, safe="")


class EmulatorASGI:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.sdk = SdkHttp(emulator)
        self.streams = OpenStreams()  # the dashboard's, ended by the server's stop (server.py)
        self.control = control_app(emulator, self.streams)
        self.version = package_version()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        log = self.sdk.log
        started = time.perf_counter() if log is not None else 0.0
        if scope["type"] != "http" or is_control_path(scope["path"]):
            if log is None or scope["type"] != "http":
                await self.control(scope, receive, send)
                return
            status: list[int] = []

            async def send_noting_status(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    status.append(message["status"])
                await send(message)

            try:
                await self.control(scope, receive, send_noting_status)
            finally:
                log(scope["method"], scope["path"], status[0] if status else "-", None, started)
            return
        method = scope["method"]
        home = home_reply(method, scope["path"], openapi_path=OPENAPI_PATH, version=self.version)
        if home is not None:  # a browser at the root: not SDK traffic, not journaled
            await _send(send, home)
            if log is not None:
                log(method, scope["path"], home.status, "-", started)
            return
        extensions = scope.get("extensions") or {}
        source = extensions.get("braze.source", "emulator")
        headers = normalize_headers(scope["headers"])
        url = request_url(scope.get("scheme", "http"), scope["headers"], scope["path"], scope.get("query_string", b""))
        reply = self.sdk.on_headers(method, url, headers, source=source)
        if reply is None:
            body, truncated = await _read_body(receive, self.sdk.limit)
            kwargs = {"truncated": truncated, "source": source, "received_at": extensions.get("braze.received_at")}
            # an error raised here is answered 500 by the server; the pipeline kept it for the scope's test
            if off_loop(scope["path"]):  # may wait seconds on Connected Content: never on the event loop
                reply = await asyncio.to_thread(self.sdk.on_body, method, url, headers, body, **kwargs)
            else:
                reply = self.sdk.on_body(method, url, headers, body, **kwargs)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        if reply.drop:
            await _drop(scope, receive, send)
        else:
            await _send(send, reply)
        if log is not None:
            log(method, scope["path"], "drop" if reply.drop else reply.status, reply.scope or "-", started)


def package_version() -> str:
    try:
        return importlib.metadata.version("braze-harness")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


async def _drop(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A dropped-connection fault: close the socket without an answer. The proxy passes its own way to do it; under
    uvicorn the cycle holds the transport (`receive` is its bound method); else a response cut short does."""
    drop = (scope.get("extensions") or {}).get("braze.drop")
    if drop is not None:
        drop()
        return
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        return
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass


async def _read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


async def _send(send: Any, reply: Reply) -> None:
    headers = [*reply.headers, (b"content-length", str(len(reply.body)).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
