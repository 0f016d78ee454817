"""Control API, fixed api keys and the traffic no test owns.

A customer's site often has its api key written into its code. Such a key is registered once per emulator in a
shared workspace (no scope owns it: `POST /_emulator/keys`, idempotent, so every xdist worker may call it); tests
using it are kept apart by the devices they claim. `GET /_emulator/unowned` lists the recent SDK requests that
arrived but belong to no test (`braze_harness.emulator.unowned`).
"""

from __future__ import annotations

from typing import Annotated, Any

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.common import JSON, NoQuery, Strict, error, route
from pydantic import Field, StringConstraints
from starlette.requests import Request
from starlette.routing import Route

# a shared workspace's name never contains "/": scoped workspaces are "<scope>/<name>", so the two never meet
WorkspaceName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^/]+$")]


class SharedKeyBody(Strict):
    api_key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    workspace: WorkspaceName = "default"
    platform: Annotated[str, StringConstraints(min_length=1, max_length=50)] = "web"


class UnownedQuery(Strict):
    since: float | None = Field(None, allow_inf_nan=False, description="unix seconds: only requests received since")
    api_key: str | None = None
    limit: int = Field(100, ge=1, le=500)


def shared_key_routes(emu: Emulator) -> list[Route]:
    async def register(_: Request, body: SharedKeyBody, __: NoQuery) -> JSON:
        try:
            with emu.lock:
                app = emu.state.create_app(body.api_key, workspace=body.workspace, scope=None, platform=body.platform)
        except ValueError as exc:  # the key is already an app of a test's workspace, or of another shared one
            return error(409, str(exc), field="api_key")
        return JSON({"api_key": app.api_key, "workspace": app.workspace, "platform": app.platform, "shared": True})

    async def list_keys(*_: Any) -> JSON:
        apps = [a for a in emu.state.apps() if a.scope is None]
        return JSON({"keys": [{"api_key": a.api_key, "workspace": a.workspace, "platform": a.platform,
                               "auto_created": a.auto_created} for a in apps]})  # fmt: skip

    async def unowned(_: Request, __: Any, query: UnownedQuery) -> JSON:
        return JSON(emu.unowned.recent(since=query.since, api_key=query.api_key, limit=query.limit))

    return [
        route("/_emulator/keys", "POST", register, body=SharedKeyBody,
              summary="register a fixed api key in a shared workspace (idempotent; tests claim devices)",
              response='{"api_key", "workspace", "platform", "shared"}'),
        route("/_emulator/keys", "GET", list_keys, summary="the api keys no scope owns", response='{"keys"}'),
        route("/_emulator/unowned", "GET", unowned, query=UnownedQuery,
              summary="recent SDK requests that belong to no test (path, api key, device id, time)",
              response='{"requests", "matched", "by_api_key", "total"}'),
    ]  # fmt: skip
