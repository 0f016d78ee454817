"""The emulator's HTTP face: SDK ingestion as a thin raw-ASGI path (it is the hot path), and the
control API (`/_emulator/...`) as a separate Starlette app; the two share nothing but the Emulator.

The same SDK path also runs without ASGI: `server.EmulatorHttpProtocol` answers a plain SDK POST
straight from the HTTP parser with `sdk_url` / `sdk_headers` / `response_headers` below, so both
ways build the same URL, headers and answer."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from harness.emulator.control import control_app
from harness.emulator.core import Answer, Emulator
from harness.emulator.rest import REST_PATHS

CONTROL_PREFIX = "/_emulator"


def is_control_path(path: str) -> bool:
    # a custom SDK baseUrl path may merely start like the prefix (`/_emulator-sdk/data/`)
    # the REST subset (`/messages/send`) is answered by the control app too: it is not SDK traffic
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/") or path in REST_PATHS


JSON_CONTENT_TYPE = (b"content-type", b"application/json")


def cors_headers(request_headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    origin = request_headers.get("origin", "*")
    headers = [
        (b"access-control-allow-origin", origin.encode()),
        # the SDK reads Retry-After through getAllResponseHeaders(): it must be exposed cross-origin
        (b"access-control-expose-headers", b"Retry-After"),
        (b"vary", b"Origin"),
    ]
    return headers


def sdk_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Request headers as the emulator reads them: names lower-cased, the last of a repeated name wins."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


def sdk_url(scheme: str, raw_headers: list[tuple[bytes, bytes]], path: str, query_string: bytes) -> str:
    """The URL journaled for an SDK request: scheme, the (first) Host header, path and query string."""
    host = next((v.decode("latin-1") for k, v in raw_headers if k == b"host"), "localhost")
    return f"{scheme}://{host}{path}" + (f"?{query_string.decode('latin-1')}" if query_string else "")


def response_headers(request_headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """The headers of every SDK answer (before content-length): CORS and the JSON content type."""
    return [*cors_headers(request_headers), JSON_CONTENT_TYPE]


class EmulatorASGI:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.control = control_app(emulator)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or is_control_path(scope["path"]):
            await self.control(scope, receive, send)
            return
        headers = sdk_headers(scope["headers"])
        method = scope["method"]
        if method == "OPTIONS":
            self.emulator.preflights += 1
            await _send(
                send,
                204,
                b"",
                [
                    *cors_headers(headers),
                    (b"access-control-allow-methods", b"POST, OPTIONS"),
                    (b"access-control-allow-headers", headers.get("access-control-request-headers", "*").encode()),
                    (b"access-control-max-age", b"600"),
                ],
            )
            return
        url = _url(scope)
        limit = self.emulator.settings.max_body_bytes
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, method, url, headers, None, limit)
            return
        body, too_large = await _read_body(receive, limit)
        if too_large:
            await self._too_large(send, method, url, headers, body, limit)
            return
        if method != "POST":
            answer = Answer(405, {"error": "method_not_allowed", "message": f"the SDK endpoints take POST, not {method}"})
            self.emulator.record_rejected(method, url, headers, body, answer, answer.body["message"])
        else:
            answer = self.emulator.handle_sdk(method, url, headers, body)
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)
        if answer.drop:
            await _drop(receive, send)
            return
        await _send(send, answer.status, answer.encoded(), [*response_headers(headers), *answer_headers(answer)])

    async def _too_large(self, send: Any, method: str, url: str, headers: dict[str, str], body: bytes | None, limit: int) -> None:
        message = f"body exceeds the emulator's limit of {limit} bytes (--max-body-bytes)"
        answer = Answer(413, {"error": "payload_too_large", "message": message})
        self.emulator.record_rejected(method, url, headers, body, answer, answer.body["message"])
        await _send(send, 413, answer.encoded(), response_headers(headers))


def answer_headers(answer: Answer) -> list[tuple[bytes, bytes]]:
    """An answer's own headers (a fault's Retry-After)."""
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]


async def _drop(receive: Any, send: Any) -> None:
    """A dropped-connection fault: close the socket without an answer. uvicorn's cycle holds the transport
    (`receive` is its bound method); without it, a started response cut short has the same effect."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        return
    transport.close()
    while (await receive())["type"] != "http.disconnect":
        pass


def _url(scope: dict[str, Any]) -> str:
    return sdk_url(scope.get("scheme", "http"), scope["headers"], scope["path"], scope.get("query_string", b""))


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
            chunks.append(chunk[: max(0, limit - (size - len(chunk)))])
            return b"".join(chunks), True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


async def _send(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    start = {"type": "http.response.start", "status": status, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
    await send(start)
    await send({"type": "http.response.body", "body": body})


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)
