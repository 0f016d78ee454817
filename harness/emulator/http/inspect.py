"""Control API, reading: health, profiles, the journal (queries and the long-poll wait), stats, drift, the server
config, and errors raised inside the emulator. Nothing here changes anything."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.emulator.app import Emulator
from harness.emulator.drift import ProblemTally
from harness.emulator.http.common import JSON, error
from harness.journal import Query

MAX_WAIT_S = 30.0
PROFILE_FILTERS = frozenset({"external_id", "device_id", "braze_id", "scope", "api_key", "workspace"})


def inspect_routes(emu: Emulator) -> list[Route]:
    async def health(_: Request) -> JSON:
        return JSON({"status": "ok", "config_time": emu.config.time, "journal": emu.journal.stats(), "run": emu.journal.run})

    async def owned(request: Request) -> JSON:
        return JSON(emu.tenancy.owned(request.path_params["scope"]))

    async def profiles(request: Request) -> JSON:
        params = dict(request.query_params)
        unknown = set(params) - PROFILE_FILTERS
        if unknown:
            return error(400, f"unknown filter(s) {sorted(unknown)}; allowed: {', '.join(sorted(PROFILE_FILTERS))}")
        return JSON({"profiles": emu.profiles(**params)})

    async def requests(request: Request) -> JSON:
        query = Query.from_params(dict(request.query_params))
        entries = emu.journal.query(query)
        # each entry is serialised once, at its first read, and kept as bytes (JournalEntry.to_jsonl)
        stats = orjson.dumps(emu.journal.stats(query.scope))
        body = b'{"entries":[' + b",".join(e.to_jsonl() for e in entries) + b'],"stats":' + stats + b"}"
        return Response(body, media_type="application/json")

    async def wait(request: Request) -> JSON:
        params = dict(request.query_params)
        try:
            after = int(params.get("after_seq", "0"))
            timeout = min(float(params.get("timeout", "10")), MAX_WAIT_S)
            if not math.isfinite(timeout) or timeout < 0:
                raise ValueError
        except ValueError:
            return error(400, "after_seq must be an integer and timeout a finite number of seconds >= 0")
        scope = params.get("scope") or None
        journal = emu.journal
        if journal.last_seq(scope) <= after and timeout > 0:
            loop = asyncio.get_running_loop()
            changed = asyncio.Event()

            def listener(entry: Any) -> None:
                if scope is None or entry.scope == scope:
                    loop.call_soon_threadsafe(changed.set)

            journal.add_listener(listener)
            try:
                if journal.last_seq(scope) <= after:
                    await asyncio.wait_for(changed.wait(), timeout)
            except TimeoutError:
                pass
            finally:
                journal.remove_listener(listener)
        latest = journal.last_seq(scope)
        return JSON({"changed": latest > after, "latest_seq": latest})

    async def stats(request: Request) -> JSON:
        scope = request.query_params.get("scope")
        return JSON({"journal": emu.journal.stats(scope), "preflights": emu.preflights})

    async def drift(request: Request) -> JSON:
        """Protocol drift and bad requests seen so far, aggregated: what the SDK sent that we do not model."""
        scope = request.query_params.get("scope")
        return JSON(ProblemTally(emu.journal.query(Query(scope=scope) if scope else None)).summary())

    async def config(_: Request) -> JSON:
        return JSON({"config": emu.config.build(), "settings": emu.settings.model_dump(mode="json")})

    async def errors(request: Request) -> JSON:
        """Errors raised inside the emulator (`?scope=`: one scope's; `?after=N`: newer than incident N)."""
        try:
            after = int(request.query_params.get("after", "0"))
        except ValueError:
            return error(400, "after must be an integer")
        found = emu.incidents.list(request.query_params.get("scope") or None, after)
        return JSON({"errors": [i.to_json() for i in found]})

    return [
        Route("/_emulator/health", health),
        Route("/_emulator/scopes/{scope}", owned, methods=["GET"]),
        Route("/_emulator/profiles", profiles),
        Route("/_emulator/requests", requests),
        Route("/_emulator/requests/wait", wait),
        Route("/_emulator/stats", stats),
        Route("/_emulator/config", config),
        Route("/_emulator/drift", drift),
        Route("/_emulator/errors", errors),
    ]
