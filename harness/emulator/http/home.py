"""What a browser gets at the emulator's root: a small page saying what this is and where the control API is, and
an empty favicon. Neither is SDK traffic: they are answered here, never journaled (a bad SDK request they were)."""

from __future__ import annotations

from html import escape

from braze_harness.emulator.http.sdk import Reply

_HTML = ("content-type", "text/html; charset=utf-8")


def home_reply(method: str, path: str, *, openapi_path: str, version: str) -> Reply | None:
    """The answer to a browser's `GET /` or `/favicon.ico`; None for every other request."""
    if method not in ("GET", "HEAD"):
        return None
    if path == "/favicon.ico":
        return Reply(204, [(b"cache-control", b"max-age=86400")], b"")
    if path != "/":
        return None
    page = _PAGE.format(version=escape(version), openapi=escape(openapi_path))
    return Reply(200, [(_HTML[0].encode(), _HTML[1].encode()), (b"cache-control", b"no-store")], page.encode())


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Braze emulator</title></head>
<body style="font-family: sans-serif; max-width: 44em; margin: 2em auto">
<h1>Braze emulator</h1>
<p>A stand-in for Braze's SDK and REST endpoints, for tests (braze-harness {version}). Point an SDK's
<code>baseUrl</code> at this address: its requests are answered as Braze would and journaled.</p>
<ul>
<li><a href="/_emulator/health">/_emulator/health</a>: is it up</li>
<li><a href="/_emulator/requests">/_emulator/requests</a>: the journal, every request decoded</li>
<li><a href="/_emulator/stats">/_emulator/stats</a>: counts</li>
<li><a href="{openapi}">{openapi}</a>: the control API (OpenAPI 3.1)</li>
</ul>
<p>With a control token set, every <code>/_emulator/</code> call but the health check needs it
(<code>Authorization: Bearer &lt;token&gt;</code>).</p>
</body></html>
"""
