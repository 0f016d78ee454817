"""The live dashboard (`/_emulator/ui`, docs/dashboard.md): its static page (plain HTML, CSS and JS shipped in the
package, `ui/`; nothing from a CDN), the journal as server-sent events (`/_emulator/requests/stream`) and one
request in full (`/_emulator/requests/{seq}`: the entry, and the request decoded again from its canonical text), and
a scope's timeline picture (`/_emulator/scopes/{scope}/timeline.svg`, braze_harness.timeline: the calls its test posted,
its requests, the attributes set in its profiles).

The stream is woken by the journal's listeners (as the long-poll wait is): an append schedules an `asyncio.Event`
on the server's loop, and the stream then reads what is newer than what it sent. Nothing waits on a lock and
nothing blocks the loop; a client that goes away ends its stream (Starlette notices the disconnect), and the server's
stop ends them all (`OpenStreams`, server.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.common import JSON, BadRequest, route
from braze_harness.emulator.http.inspect import RequestsQuery, ScopeQuery
from braze_harness.emulator.http.ui_path import UI_PREFIX
from braze_harness.journal import JournalEntry, Query
from braze_harness.timeline import attribute_changes, request_data, timeline_svg
from pydantic import Field
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

UI_DIR = Path(__file__).with_name("ui")
_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
HEARTBEAT_S = 15.0  # a comment line this often keeps proxies and the browser from closing an idle stream
BACKLOG = 500  # entries a new stream starts with at most (the newest); the page asks the JSON route for more
TIMELINE_REQUESTS = 400  # a scope's newest requests drawn on its timeline (the rest counted)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"  # the picture opened on its own: nothing to load or run
NO_CALLS = "No calls on the app were posted to this scope (the pytest plugin posts its tests' calls as they run)."
NO_VERDICTS = (
    "Expectations are not drawn here: their verdicts live in the test run (its Allure steps, --braze-report, braze-timeline.svg)."
)


class StreamQuery(RequestsQuery):
    """The journal filters, as `/_emulator/requests` takes them; `limit` caps the backlog sent first."""

    limit: int | None = Field(BACKLOG, ge=1, le=BACKLOG)
    follow: bool = Field(True, description="false: send the matching entries there now, then end")


def _asset(name: str) -> Response:
    path = UI_DIR / name
    kind = _TYPES.get(path.suffix)
    if kind is None or path.parent != UI_DIR or not path.is_file():
        raise BadRequest(f"no such dashboard file: {name}", "path", status=404)
    return Response(path.read_bytes(), media_type=kind, headers={"cache-control": "no-cache"})


class OpenStreams:
    """The app's open streams, ended together when the server stops (`end_all`, on the server's loop): a stream
    follows the journal for as long as its client stays, and the server's stop would otherwise wait for it."""

    def __init__(self) -> None:
        self._ends: set[asyncio.Event] = set()
        self.ended = False

    def open(self) -> asyncio.Event:
        """An event set when the stream must end (already set once the server is stopping)."""
        end = asyncio.Event()
        if self.ended:
            end.set()
        self._ends.add(end)
        return end

    def close(self, end: asyncio.Event) -> None:
        self._ends.discard(end)

    def end_all(self) -> None:
        self.ended = True
        for end in self._ends:
            end.set()


def _event(entry: JournalEntry) -> bytes:
    return b"id: %d\nevent: entry\ndata: " % entry.seq + entry.to_jsonl() + b"\n\n"


async def journal_events(
    emu: Emulator, query: Query, *, follow: bool = True, streams: OpenStreams | None = None
) -> AsyncIterator[bytes]:
    """The entries matching `query` (the newest `query.limit` of those there now, then, following, each new one as
    it is journaled) as server-sent events, with a comment every HEARTBEAT_S while nothing comes; it ends when
    `streams` are ended (the server stopping)."""
    journal = emu.journal
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()
    end = (streams or OpenStreams()).open()

    def listener(entry: JournalEntry) -> None:  # on the appending thread: only schedule the wake-up
        if query.scope is None or entry.scope == query.scope:
            loop.call_soon_threadsafe(changed.set)

    journal.add_listener(listener)  # before the backlog is read: an entry appended in between still wakes us
    try:
        before = journal.latest_seq
        backlog = journal.query(query)
        yield b"retry: 1000\nevent: ready\ndata: {}\n\n"
        for entry in backlog:
            yield _event(entry)
        after = max(query.after_seq, backlog[-1].seq if backlog else before)
        while follow and not end.is_set():
            if not await _woken(changed, end):
                yield b": keep-alive\n\n"
                continue
            changed.clear()
            for entry in journal.query(replace(query, after_seq=after, limit=None)):
                yield _event(entry)
                after = entry.seq
    finally:
        journal.remove_listener(listener)
        if streams is not None:
            streams.close(end)


async def _woken(changed: asyncio.Event, end: asyncio.Event) -> bool:
    """Wait for an append or the end, at most HEARTBEAT_S; False when neither came."""
    waits = [asyncio.ensure_future(changed.wait()), asyncio.ensure_future(end.wait())]
    try:
        done, _ = await asyncio.wait(waits, timeout=HEARTBEAT_S, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
    return bool(done)


def ui_routes() -> list[Route]:
    """The page and its files: static, no data in them, so open without the control token (the page sends it)."""

    async def index(_: Request) -> Response:
        return RedirectResponse(UI_PREFIX + "/", status_code=308)

    async def page(request: Request) -> Response:
        return _asset(request.path_params.get("name") or "index.html")

    return [
        Route(UI_PREFIX, index, methods=["GET"]),
        Route(UI_PREFIX + "/", page, methods=["GET"]),
        Route(UI_PREFIX + "/{name}", page, methods=["GET"]),
    ]


def dashboard_routes(emu: Emulator, streams: OpenStreams) -> list[Route]:
    """The control routes the page reads besides the journal's, the profiles', messaging's and the drift's."""

    async def stream(request: Request, __: None, params: StreamQuery) -> Response:
        query = Query(**params.model_dump(exclude_none=True, exclude={"follow"}))
        events = journal_events(emu, query, follow=params.follow, streams=streams)
        headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
        return StreamingResponse(events, media_type="text/event-stream", headers=headers)

    async def one(request: Request, *_: Any) -> JSON:
        raw = request.path_params["seq"]
        if not raw.isdigit():
            raise BadRequest(f"seq: not a journal sequence number: {raw!r}", "seq")
        seq = int(raw)
        found = [e for e in emu.journal.query(Query(after_seq=seq - 1)) if e.seq == seq] if seq > 0 else []
        if not found:
            raise BadRequest(f"no journal entry {seq} (never journaled, or dropped past the journal's cap)", "seq", 404)
        entry = found[0]
        request = entry.request  # its body as the subclass it was decoded to (DataRequest, ...), not the Envelope declared
        decoded = request.model_dump(mode="json", exclude_none=True, exclude={"headers", "problems"}, serialize_as_any=True)
        return JSON({"entry": entry.to_json(), "decoded": decoded})

    async def faults(_: Request, __: None, query: ScopeQuery) -> JSON:
        tables = emu.faults.by_scope()
        chosen = {query.scope: tables.get(query.scope, [])} if query.scope else tables
        return JSON(
            {"faults": [{"scope": scope, **f.to_json(), "what": f.describe()} for scope, found in chosen.items() for f in found]}
        )

    async def timeline(request: Request, *_: Any) -> Response:
        scope = request.path_params["scope"]
        entries = emu.journal.query(Query(scope=scope))
        calls = emu.tenancy.calls(scope)  # posted by the pytest plugin as its test runs
        if not entries and not calls:
            raise BadRequest(f"no journal entry in scope {scope!r} (nothing sent yet, or no such scope)", "scope", 404)
        shown = entries[-TIMELINE_REQUESTS:]
        svg = timeline_svg(
            [request_data(e) for e in shown], [], calls=calls or None, attributes=attribute_changes(emu.profiles(scope=scope)),
            title=f"scope {scope}", more_requests=len(entries) - len(shown), standalone=True,
            notes=(NO_VERDICTS, *(() if calls else (NO_CALLS,))),
        )  # fmt: skip
        headers = {"cache-control": "no-store", "content-security-policy": SVG_CSP}
        return Response(svg, media_type="image/svg+xml", headers=headers)

    async def seeded(*_: Any) -> JSON:
        return JSON({"scopes": emu.messaging.seeded()})

    return [
        route("/_emulator/messaging/scopes", "GET", seeded,
              summary="the scopes with segments, campaigns or canvases seeded, and how many of each",
              response='{"scopes": [{"scope", "segments", "campaigns", "canvases"}]}'),
        route("/_emulator/faults", "GET", faults, query=ScopeQuery,
              summary="every scope's faults (or one scope's), used up ones too", response='{"faults": [{"scope", ...}]}'),
        route("/_emulator/requests/stream", "GET", stream, query=StreamQuery,
              summary="the journal as server-sent events: the newest matching entries, then each new one live",
              response="text/event-stream of `entry` events"),
        route("/_emulator/scopes/{scope}/timeline.svg", "GET", timeline,
              summary="the scope on a time axis: its test's calls, its requests, their events, user and session changes, "
                      "attributes set (SVG)",
              response="image/svg+xml"),
        route("/_emulator/requests/{seq}", "GET", one, summary="one journal entry, and its request decoded",
              response='{"entry", "decoded"}'),
    ]  # fmt: skip
