"""Serving an ASGI app on a mitmproxy flow: how the addon's emulate mode answers with the emulator's own HTTP face."""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any

from braze_harness.extras import require

http = require("mitmproxy.http", "the Braze mitmproxy addon")  # the [proxy] extra


async def serve_asgi(app: Any, flow: http.HTTPFlow, *, source: str) -> None:
    """Serve an ASGI app on a flow (mitmproxy's `asgiapp.serve`, with what the emulator needs): the scheme as sent,
    a Host header for HTTP/2 requests (`:authority`), the raw body, the capture time, and a way to drop the
    client's connection (a fault)."""
    req = flow.request
    raw_path, _, query = req.path.partition("?")
    headers = [(k.lower(), v) for k, v in req.headers.fields]
    if not any(k == b"host" for k, _ in headers):
        host = req.host_header or req.pretty_host
        headers.append((b"host", host.encode("latin-1", "replace")))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.1"},
        "http_version": {"HTTP/1.0": "1.0", "HTTP/2.0": "2"}.get(req.http_version, "1.1"),
        "method": req.method,
        "scheme": req.scheme,
        "path": urllib.parse.unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "client": flow.client_conn.peername,
        "extensions": {"braze.source": source, "braze.received_at": req.timestamp_start, "braze.drop": flow.kill},
    }
    done = asyncio.Event()
    sent_body = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": req.raw_content or b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.start":
            start.update(event)
        elif event["type"] == "http.response.body":
            chunks.append(event.get("body", b""))
            if not event.get("more_body", False):
                flow.response = http.Response.make(start["status"], b"".join(chunks), start.get("headers", []))

    try:
        await app(scope, receive, send)
    finally:
        done.set()
