"""Control API (`/_emulator/...`): read and reset state, manage scopes, long-poll the journal.

Inspection routes only read or reset; validation and semantics live in the Emulator
(after Snowplow Micro's split of collector and inspection routes).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.emulator.core import Emulator
from harness.emulator.drift import ProblemTally
from harness.emulator.faults import parse_fault
from harness.emulator.messaging.routes import messaging_routes
from harness.emulator.push.routes import push_routes
from harness.emulator.rest import users_routes
from harness.emulator.sdk_auth import parse_sdk_auth
from harness.errors import HarnessConfigError
from harness.journal import Query
from harness.proxy.ingest import ingest as ingest_exchange
from harness.proxy.ingest import parse_payload

MAX_WAIT_S = 30.0


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


def _error(status: int, message: str) -> JSON:
    return JSON({"error": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise HarnessConfigError(f"request body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise HarnessConfigError("request body must be a JSON object")
    return value


def control_app(emu: Emulator) -> Starlette:
    async def health(_: Request) -> JSON:
        return JSON({"status": "ok", "config_time": emu.config.time, "journal": emu.journal.stats()})

    async def reset(request: Request) -> JSON:
        body = await _json_body(request)
        scope = request.query_params.get("scope") or body.get("scope")
        return JSON({"reset": scope or "everything", **emu.reset(scope)})

    async def create_scope(request: Request) -> JSON:
        body = await _json_body(request)
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            return _error(400, "name must be a string")
        return JSON({"scope": emu.create_scope(name)}, status_code=201)

    async def create_app(request: Request) -> JSON:
        body = await _json_body(request)
        unknown = set(body) - {"workspace", "platform", "api_key"}
        if unknown:
            return _error(400, f"unknown field(s) {sorted(unknown)}; allowed: workspace, platform, api_key")
        bad = [k for k in ("workspace", "platform", "api_key") if k in body and not (isinstance(body[k], str) and body[k])]
        if bad:
            return _error(400, f"{', '.join(bad)} must be non-empty string(s)")
        try:
            result = emu.create_app(
                request.path_params["scope"],
                workspace=body.get("workspace", "test"),
                platform=body.get("platform", "web"),
                api_key=body.get("api_key"),
            )
        except ValueError as exc:  # the key or workspace belongs to someone else
            return _error(409, str(exc))
        return JSON(result, status_code=201)

    async def claim_devices(request: Request) -> JSON:
        body = await _json_body(request)
        ids = body.get("device_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            return _error(400, "device_ids must be a list of non-empty strings")
        emu.claim_devices(request.path_params["scope"], ids)
        return JSON({"scope": request.path_params["scope"], "device_ids": ids})

    async def drop_scope(request: Request) -> JSON:
        scope = request.path_params["scope"]
        return JSON({"reset": scope, **emu.reset(scope, release=True)})

    async def owned(request: Request) -> JSON:
        return JSON(emu.journal.scopes.owned(request.path_params["scope"]))

    async def profiles(request: Request) -> JSON:
        allowed = {"external_id", "device_id", "braze_id", "scope", "api_key", "workspace"}
        params = dict(request.query_params)
        unknown = set(params) - allowed
        if unknown:
            return _error(400, f"unknown filter(s) {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")
        return JSON({"profiles": emu.profiles(**params)})

    async def requests(request: Request) -> JSON:
        query = Query.from_params(dict(request.query_params))
        entries = emu.journal.query(query)
        return JSON({"entries": [e.to_json() for e in entries], "stats": emu.journal.stats(query.scope)})

    async def wait(request: Request) -> JSON:
        params = dict(request.query_params)
        try:
            after = int(params.get("after_seq", "0"))
            timeout = min(float(params.get("timeout", "10")), MAX_WAIT_S)
            if not math.isfinite(timeout) or timeout < 0:
                raise ValueError
        except ValueError:
            return _error(400, "after_seq must be an integer and timeout a finite number of seconds >= 0")
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

    async def ingest(request: Request) -> JSON:
        """Journal an exchange the emulator did not answer (observed by the proxy, or from a HAR), decoded,
        and applied to the profiles when the server accepted it (same decoder, state and journal)."""
        try:
            fields = parse_payload(await _json_body(request))
        except ValueError as exc:
            return _error(400, f"ingest: {exc}")
        entry = ingest_exchange(emu, **fields)
        problems = [p.model_dump() for p in entry.problems]
        return JSON({"seq": entry.seq, "scope": entry.scope, "good": entry.good, "problems": problems}, status_code=201)

    async def ingest_batch(request: Request) -> JSON:
        """`{"exchanges": [...]}`: many `ingest` bodies in one call (the proxy's remote observe mode batches).
        Each item is validated on its own: a bad one is answered with its index and error, the rest are kept."""
        data = await _json_body(request)
        items = data.get("exchanges") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return _error(400, 'ingest/batch: the body must be {"exchanges": [ ... ]}')
        results: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            try:
                fields = parse_payload(item if isinstance(item, dict) else {})
            except ValueError as exc:
                results.append({"index": i, "error": f"exchanges[{i}]: {exc}"})
                continue
            entry = ingest_exchange(emu, **fields)
            results.append({"index": i, "seq": entry.seq, "scope": entry.scope, "good": entry.good})
        return JSON({"entries": results}, status_code=201)

    async def config(request: Request) -> JSON:
        return JSON({"config": emu.config.build(), "settings": emu.settings.model_dump(mode="json")})

    async def add_fault(request: Request) -> JSON:
        try:
            spec = parse_fault(await _json_body(request))
        except ValueError as exc:
            return _error(400, str(exc))
        fault = emu.faults.add(request.path_params["scope"], spec)
        return JSON({"scope": request.path_params["scope"], "fault": fault.to_json()}, status_code=201)

    async def list_faults(request: Request) -> JSON:
        return JSON({"faults": [f.to_json() for f in emu.faults.list(request.path_params["scope"])]})

    async def clear_faults(request: Request) -> JSON:
        return JSON({"cleared": emu.faults.clear(request.path_params["scope"])})

    async def set_sdk_auth(request: Request) -> JSON:
        api_key = request.path_params["api_key"]
        try:
            spec = parse_sdk_auth(await _json_body(request))
        except ValueError as exc:
            return _error(400, str(exc))
        with emu._lock:
            auth = emu.sdk_auth.set(api_key, spec)
        return JSON({"api_key": api_key, **auth.to_json()})

    async def get_sdk_auth(request: Request) -> JSON:
        api_key = request.path_params["api_key"]
        auth = emu.sdk_auth.get(api_key)
        return JSON({"api_key": api_key, **(auth.to_json() if auth else {"mode": "disabled", "public_keys": 0})})

    async def not_found(request: Request) -> JSON:
        return _error(404, f"no such control route: {request.method} {request.url.path}")

    async def on_user_error(request: Request, exc: Exception) -> JSON:
        return _error(400, str(exc))

    routes = [
        Route("/_emulator/health", health),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/scopes", create_scope, methods=["POST"]),
        Route("/_emulator/scopes/{scope}", drop_scope, methods=["DELETE"]),
        Route("/_emulator/scopes/{scope}", owned, methods=["GET"]),
        Route("/_emulator/scopes/{scope}/apps", create_app, methods=["POST"]),
        Route("/_emulator/scopes/{scope}/devices", claim_devices, methods=["POST"]),
        Route("/_emulator/scopes/{scope}/faults", add_fault, methods=["POST"]),
        Route("/_emulator/scopes/{scope}/faults", list_faults, methods=["GET"]),
        Route("/_emulator/scopes/{scope}/faults", clear_faults, methods=["DELETE"]),
        Route("/_emulator/apps/{api_key}/sdk_auth", set_sdk_auth, methods=["PUT", "POST"]),
        Route("/_emulator/apps/{api_key}/sdk_auth", get_sdk_auth, methods=["GET"]),
        Route("/_emulator/profiles", profiles),
        Route("/_emulator/requests", requests),
        Route("/_emulator/requests/wait", wait),
        Route("/_emulator/stats", stats),
        Route("/_emulator/config", config),
        Route("/_emulator/drift", drift),
        Route("/_emulator/ingest", ingest, methods=["POST"]),
        Route("/_emulator/ingest/batch", ingest_batch, methods=["POST"]),
        *messaging_routes(emu),
        *push_routes(emu),
        *users_routes(emu),
        Route("/_emulator/{rest:path}", not_found, methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    return Starlette(routes=routes, exception_handlers={HarnessConfigError: on_user_error})
