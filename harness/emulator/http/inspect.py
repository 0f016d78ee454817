"""Control API, reading: health, profiles, the journal (queries and the long-poll wait), stats, drift, the server
config, and errors raised inside the emulator. Nothing here changes anything."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.drift import ProblemTally
from braze_harness.emulator.fleet import PER_REPLICA_PARTS
from braze_harness.emulator.http.common import JSON, Strict, route
from braze_harness.journal import Query
from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MAX_WAIT_S = 30.0
SEQ_MAX = 2**63 - 1  # a sequence number past any journal: bigger is a mistake, not a 500


class ScopeQuery(Strict):
    scope: str | None = None


class ProfilesQuery(Strict):
    external_id: str | None = None
    device_id: str | None = None
    braze_id: str | None = None
    scope: str | None = None
    api_key: str | None = None
    workspace: str | None = None


class RequestsQuery(Strict):
    """The journal filters (`braze_harness.journal.Query`)."""

    scope: str | None = None
    api_key: str | None = None
    device_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    event_code: str | None = None
    event_name: str | None = None
    endpoint: str | None = None
    source: str | None = None
    good: bool | None = None
    since: float | None = Field(None, allow_inf_nan=False)
    until: float | None = Field(None, allow_inf_nan=False)
    after_seq: int = Field(0, ge=0, le=SEQ_MAX)
    limit: int | None = Field(None, ge=1, le=SEQ_MAX)


class WaitQuery(Strict):
    scope: str | None = None
    after_seq: int = Field(0, ge=0, le=SEQ_MAX)
    timeout: float = Field(10.0, ge=0, allow_inf_nan=False, description=f"seconds, at most {MAX_WAIT_S:g}")


class ErrorsQuery(Strict):
    scope: str | None = None
    after: int = Field(0, ge=0, le=SEQ_MAX, description="only incidents newer than this one")


def inspect_routes(emu: Emulator) -> list[Route]:
    async def health(*_: Any) -> JSON:
        # `replica` and `per_replica` tell a client behind a balancer whether what it seeds reaches every replica
        per_replica = PER_REPLICA_PARTS if emu.settings.store is not None else {}
        return JSON(
            {
                "status": "ok",
                "config_time": emu.config.time,
                "journal": emu.journal.stats(),
                "run": emu.journal.run,
                "replica": emu.replica,
                "per_replica": per_replica,
            }
        )

    async def owned(request: Request, *_: Any) -> JSON:
        return JSON(emu.tenancy.owned(request.path_params["scope"]))

    async def profiles(_: Request, __: None, query: ProfilesQuery) -> JSON:
        return JSON({"profiles": emu.profiles(**query.model_dump(exclude_none=True))})

    async def requests(_: Request, __: None, params: RequestsQuery) -> Response:
        query = Query(**params.model_dump(exclude_none=True))
        entries = emu.journal.query(query)
        # each entry is serialised once, at its first read, and kept as bytes (JournalEntry.to_jsonl)
        stats = orjson.dumps(emu.journal.stats(query.scope))
        body = b'{"entries":[' + b",".join(e.to_jsonl() for e in entries) + b'],"stats":' + stats + b"}"
        return Response(body, media_type="application/json")

    async def wait(_: Request, __: None, params: WaitQuery) -> JSON:
        after, timeout = params.after_seq, min(params.timeout, MAX_WAIT_S)
        scope = params.scope or None
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

    async def stats(_: Request, __: None, query: ScopeQuery) -> JSON:
        scope = query.scope
        return JSON({"journal": emu.journal.stats(scope), "preflights": emu.preflights})

    async def drift(_: Request, __: None, query: ScopeQuery) -> JSON:
        """Protocol drift and bad requests seen so far, aggregated: what the SDK sent that we do not model."""
        scope = query.scope
        return JSON(ProblemTally(emu.journal.query(Query(scope=scope) if scope else None)).summary())

    async def config(*_: Any) -> JSON:
        return JSON({"config": emu.config.build(), "settings": emu.settings.model_dump(mode="json")})  # the token shows as ****

    async def errors(_: Request, __: None, query: ErrorsQuery) -> JSON:
        """Errors raised inside the emulator (`?scope=`: one scope's; `?after=N`: newer than incident N)."""
        found = emu.incidents.list(query.scope or None, query.after)
        return JSON({"errors": [i.to_json() for i in found]})

    return [
        route("/_emulator/health", "GET", health, summary="status, config time, journal stats, run id"),
        route("/_emulator/scopes/{scope}", "GET", owned, summary="the api keys and devices a scope owns"),
        route("/_emulator/profiles", "GET", profiles, query=ProfilesQuery, summary="profiles", response='{"profiles"}'),
        route("/_emulator/requests", "GET", requests, query=RequestsQuery, summary="decoded journal entries",
              response='{"entries", "stats"}'),
        route("/_emulator/requests/wait", "GET", wait, query=WaitQuery,
              summary="long-poll until the scope has an entry newer than after_seq", response='{"changed", "latest_seq"}'),
        route("/_emulator/stats", "GET", stats, query=ScopeQuery, summary="journal counts"),
        route("/_emulator/config", "GET", config, summary="the server config sent, and the settings"),
        route("/_emulator/drift", "GET", drift, query=ScopeQuery, summary="problems aggregated by location"),
        route("/_emulator/errors", "GET", errors, query=ErrorsQuery, summary="errors raised inside the emulator",
              response='{"errors"}'),
    ]  # fmt: skip
