"""The control API (`/_emulator/...`), a Starlette app: reads (`inspect.py`), commands (`commands.py`), ingest
(`ingest.py`), messaging and push (`messaging_routes.py`, `push_routes.py`). Validation and semantics live in
the emulator; a caller's mistake is a 400 with one line (after Snowplow Micro's split of collector and
inspection routes)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from harness.emulator.app import Emulator
from harness.emulator.http.commands import command_routes
from harness.emulator.http.common import JSON, error
from harness.emulator.http.ingest import ingest_routes
from harness.emulator.http.inspect import inspect_routes
from harness.emulator.http.messaging_routes import messaging_routes
from harness.emulator.http.push_routes import push_routes
from harness.errors import HarnessConfigError


def control_app(emu: Emulator) -> Starlette:
    async def not_found(request: Request) -> JSON:
        return error(404, f"no such control route: {request.method} {request.url.path}")

    async def on_user_error(_: Request, exc: Exception) -> JSON:
        return error(400, str(exc))

    routes = [
        *inspect_routes(emu),
        *command_routes(emu),
        *ingest_routes(emu),
        *messaging_routes(emu),
        *push_routes(emu),
        Route("/_emulator/{rest:path}", not_found, methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    return Starlette(routes=routes, exception_handlers={HarnessConfigError: on_user_error})
