"""The control API (`/_emulator/...`), a Starlette app: reads (`inspect.py`), commands (`commands.py`), ingest
(`ingest.py`), messaging and push (`messaging_routes.py`, `push_routes.py`). Every route validates its body and
query with pydantic models (`common.route`) and is described by the OpenAPI document (`openapi.py`,
`GET /_emulator/openapi.json`); a caller's mistake is a 4xx with one line naming the field, never a 500 (after
Snowplow Micro's split of collector and inspection routes). With a control token (docs/security.md), every call
but the health check needs it (`access.py`)."""

from __future__ import annotations

from typing import Any

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.access import TokenGuard
from braze_harness.emulator.http.commands import command_routes
from braze_harness.emulator.http.common import JSON, BadRequest, error, route
from braze_harness.emulator.http.dashboard import OpenStreams, dashboard_routes, ui_routes
from braze_harness.emulator.http.import_routes import import_routes
from braze_harness.emulator.http.ingest import ingest_routes
from braze_harness.emulator.http.inspect import inspect_routes
from braze_harness.emulator.http.messaging_routes import messaging_routes
from braze_harness.emulator.http.openapi import openapi_document
from braze_harness.emulator.http.push_routes import push_routes
from braze_harness.emulator.http.shared_keys import shared_key_routes
from braze_harness.emulator.http.why_routes import why_routes
from braze_harness.errors import HarnessConfigError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

OPENAPI_PATH = "/_emulator/openapi.json"


def control_routes(emu: Emulator, streams: OpenStreams | None = None) -> list[Route]:
    """Every control route (each with its `operation`), the OpenAPI document's included; `streams`: the open
    dashboard streams, ended when the server stops."""
    routes = [
        *inspect_routes(emu),
        *dashboard_routes(emu, streams or OpenStreams()),  # after inspect's: `/requests/wait` is not a `/requests/{seq}`
        *command_routes(emu),
        *ingest_routes(emu),
        *messaging_routes(emu),
        *push_routes(emu),
        *import_routes(emu),
        *why_routes(emu),
        *shared_key_routes(emu),
    ]
    token = emu.settings.control_token
    document: dict[str, Any] = {}

    async def openapi(*_: Any) -> JSON:
        if not document:
            document.update(openapi_document(routes, title="Braze emulator control API", version="1", secured=token is not None))
        return JSON(document)

    routes.append(route(OPENAPI_PATH, "GET", openapi, summary="this document (OpenAPI 3.1)", response="the document"))
    return routes


def control_app(emu: Emulator, streams: OpenStreams | None = None) -> Any:
    async def not_found(request: Request) -> JSON:
        return error(404, f"no such control route: {request.method} {request.url.path}", field="path")

    async def on_bad_request(_: Request, exc: Exception) -> JSON:
        assert isinstance(exc, BadRequest)
        return exc.answer()

    async def on_user_error(_: Request, exc: Exception) -> JSON:
        return error(400, str(exc))

    catch_all = Route("/_emulator/{rest:path}", not_found, methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
    app = Starlette(
        routes=[*control_routes(emu, streams), *ui_routes(), catch_all],
        exception_handlers={BadRequest: on_bad_request, HarnessConfigError: on_user_error},
    )
    token = emu.settings.control_token
    return TokenGuard(app, token.get_secret_value()) if token is not None else app
