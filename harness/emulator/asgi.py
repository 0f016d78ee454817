"""The emulator's HTTP face: SDK ingestion as a thin raw-ASGI path (it is the hot path), and the
control API (`/_emulator/...`) as a separate Starlette app; the two share nothing but the Emulator."""

from __future__ import annotations

from typing import Any

import orjson

from harness.emulator.control import control_app
from harness.emulator.core import Answer, Emulator

CONTROL_PREFIX = "/_emulator"


def cors_headers(request_headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    origin = request_headers.get("origin", "*")
    headers = [
        (b"access-control-allow-origin", origin.encode()),
        # the SDK reads Retry-After through getAllResponseHeaders(): it must be exposed cross-origin
        (b"access-control-expose-headers", b"Retry-After"),
        (b"vary", b"Origin"),
    ]
    return headers


class EmulatorASGI:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.control = control_app(emulator)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.control(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        if method == "OPTIONS":
            self.emulator.preflights += 1
            await _send(send, 204, b"", [
                *cors_headers(headers),
                (b"access-control-allow-methods", b"POST, OPTIONS"),
                (b"access-control-allow-headers", headers.get("access-control-request-headers", "*").encode()),
                (b"access-control-max-age", b"600"),
            ])
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
        else:
            answer = self.emulator.handle_sdk(method, url, headers, body)
        await _send(send, answer.status, answer.encoded(), [*cors_headers(headers), (b"content-type", b"application/json")])

    async def _too_large(self, send: Any, method: str, url: str, headers: dict[str, str], body: bytes | None, limit: int) -> None:
        answer = Answer(413, {"error": "payload_too_large", "message": f"body exceeds the emulator's limit of {limit} bytes (--max-body-bytes)"})
        self.emulator.record_rejected(method, url, headers, body, answer, answer.body["message"])
        await _send(send, 413, answer.encoded(), [*cors_headers(headers), (b"content-type", b"application/json")])


def _url(scope: dict[str, Any]) -> str:
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "localhost")
    qs = scope.get("query_string", b"")
    return f"{scope.get('scheme', 'http')}://{host}{scope['path']}" + (f"?{qs.decode('latin-1')}" if qs else "")


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
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)
