"""Control API, commands: scopes and their apps, devices and test calls, resets, faults, SDK authentication."""

from __future__ import annotations

from typing import Annotated, Any

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.faults import FaultSpec
from braze_harness.emulator.http.common import JSON, BadRequest, NoQuery, Strict, error, route
from braze_harness.emulator.sdk_auth import SdkAuthSpec
from braze_harness.emulator.tenancy import CALLS_CAP
from braze_harness.protocol.rest_limits import RateLimit
from pydantic import Field
from starlette.requests import Request
from starlette.routing import Route

Name = Annotated[str, Field(min_length=1, max_length=200)]


class ScopeQuery(Strict):
    scope: str | None = None


class ResetBody(Strict):
    scope: str | None = Field(None, description="one scope to reset (also accepted as ?scope=); none: everything")


class ScopeBody(Strict):
    name: str | None = Field(None, max_length=200, description="a readable prefix of the scope id")


class AppBody(Strict):
    workspace: Name = "test"
    platform: Name = "web"
    api_key: Name | None = None


class RateLimitBody(Strict):
    limit: int = Field(ge=0, le=10_000_000, description="requests per window (0: every request is refused)")
    window_s: float = Field(gt=0, le=86_400)


class RestRateLimitsBody(Strict):
    enabled: bool = True
    limits: dict[str, RateLimitBody] = Field(default_factory=dict, description="per group (docs/rest-api.md)")


class RestKeyBody(Strict):
    workspace: Name = "test"
    api_key: Name | None = Field(None, description="instead of workspace: the workspace of this app (e.g. a fixed key's)")
    permissions: list[Name] | None = Field(None, max_length=100, description="none: every permission (docs/rest-api.md)")
    name: str | None = Field(None, max_length=200)


class DevicesBody(Strict):
    device_ids: list[Name] = Field(max_length=10_000)


class CallBody(Strict):
    """One call the test made on its app (`braze_harness.adapters.recording.Call`)."""

    lane: Name = Field(description="which app: `app`, `app 2`, ...")
    name: Name = Field(description="the method: `log_event`")
    label: str = Field(max_length=500, description='the method and its arguments, abbreviated: `log_event("x")`')
    start: float = Field(description="unix seconds")
    end: float | None = Field(None, description="unix seconds; none: it had not ended")
    error: str | None = Field(None, max_length=2000, description="the first line of what it raised")


class CallsBody(Strict):
    calls: list[CallBody] = Field(max_length=CALLS_CAP)


def command_routes(emu: Emulator) -> list[Route]:
    async def reset(_: Request, body: ResetBody, query: ScopeQuery) -> JSON:
        if query.scope is not None and body.scope is not None and query.scope != body.scope:
            raise BadRequest("scope: given twice (query and body) with different values", "scope")
        scope = query.scope or body.scope or None
        return JSON({"reset": scope or "everything", **emu.reset(scope)})

    async def create_scope(_: Request, body: ScopeBody, __: NoQuery) -> JSON:
        return JSON({"scope": emu.create_scope(body.name)}, status_code=201)

    async def create_app(request: Request, body: AppBody, _: NoQuery) -> JSON:
        try:
            result = emu.create_app(
                request.path_params["scope"], workspace=body.workspace, platform=body.platform, api_key=body.api_key
            )
        except ValueError as exc:  # the key or workspace belongs to someone else
            return error(409, str(exc), field="api_key")
        return JSON(result, status_code=201)

    async def claim_devices(request: Request, body: DevicesBody, _: NoQuery) -> JSON:
        emu.claim_devices(request.path_params["scope"], body.device_ids)
        return JSON({"scope": request.path_params["scope"], "device_ids": body.device_ids})

    async def add_calls(request: Request, body: CallsBody, _: NoQuery) -> JSON:
        scope = request.path_params["scope"]
        kept = emu.tenancy.add_calls(scope, [c.model_dump() for c in body.calls])
        return JSON({"scope": scope, **kept}, status_code=201)

    async def list_calls(request: Request, *_: Any) -> JSON:
        return JSON({"calls": emu.tenancy.calls(request.path_params["scope"])})

    async def drop_scope(request: Request, *_: Any) -> JSON:
        scope = request.path_params["scope"]
        return JSON({"reset": scope, **emu.reset(scope, release=True)})

    async def add_fault(request: Request, spec: FaultSpec, _: NoQuery) -> JSON:
        fault = emu.faults.add(request.path_params["scope"], spec)
        return JSON({"scope": request.path_params["scope"], "fault": fault.to_json()}, status_code=201)

    async def list_faults(request: Request, *_: Any) -> JSON:
        return JSON({"faults": [f.to_json() for f in emu.faults.list(request.path_params["scope"])]})

    async def clear_faults(request: Request, *_: Any) -> JSON:
        return JSON({"cleared": emu.faults.clear(request.path_params["scope"])})

    async def set_sdk_auth(request: Request, spec: SdkAuthSpec, _: NoQuery) -> JSON:
        api_key = request.path_params["api_key"]
        with emu.lock:
            auth = emu.sdk_auth.set(api_key, spec)
        return JSON({"api_key": api_key, **auth.to_json()})

    async def get_sdk_auth(request: Request, *_: Any) -> JSON:
        api_key = request.path_params["api_key"]
        auth = emu.sdk_auth.get(api_key)
        return JSON({"api_key": api_key, **(auth.to_json() if auth else {"mode": "disabled", "public_keys": 0})})

    async def set_rest_rate_limits(request: Request, body: RestRateLimitsBody, _: NoQuery) -> JSON:
        scope = request.path_params["scope"]
        limits = {group: RateLimit(r.limit, r.window_s) for group, r in body.limits.items()}
        try:
            emu.rest.rates.configure(scope, enabled=body.enabled, limits=limits)
        except ValueError as exc:
            raise BadRequest(str(exc), "limits") from None
        return JSON({"scope": scope, **emu.rest.rates.effective(scope)})

    async def create_rest_key(request: Request, body: RestKeyBody, _: NoQuery) -> JSON:
        try:
            key = emu.rest.create_key(
                request.path_params["scope"], body.workspace, body.permissions, body.name, api_key=body.api_key
            )
        except ValueError as exc:
            field = str(exc).split(":", 1)[0] if str(exc).startswith(("permissions", "api_key")) else "workspace"
            raise BadRequest(str(exc), field) from None
        return JSON(key.to_json(), status_code=201)

    async def get_rest_rate_limits(request: Request, *_: Any) -> JSON:
        scope = request.path_params["scope"]
        return JSON({"scope": scope, **emu.rest.rates.effective(scope)})

    scope = "/_emulator/scopes/{scope}"
    sdk_auth = "/_emulator/apps/{api_key}/sdk_auth"
    return [
        route("/_emulator/reset", "POST", reset, body=ResetBody, query=ScopeQuery,
              summary="forget everything, or one scope's traffic and profiles", response="what was removed"),
        route("/_emulator/scopes", "POST", create_scope, body=ScopeBody, status=201, summary="create a scope",
              response='{"scope"}'),
        route(scope, "DELETE", drop_scope, summary="drop a scope: its traffic, profiles, keys and devices"),
        route(f"{scope}/apps", "POST", create_app, body=AppBody, status=201,
              summary="an app (api key) in one of the scope's workspaces", response='{"api_key", "workspace", ...}'),
        route(f"{scope}/devices", "POST", claim_devices, body=DevicesBody, summary="claim devices for the scope"),
        route(f"{scope}/calls", "POST", add_calls, body=CallsBody, status=201,
              summary="add the calls the scope's test made on its apps (the timeline's first lanes; the newest 1000 kept)",
              response='{"scope", "kept", "dropped"}'),
        route(f"{scope}/calls", "GET", list_calls, summary="the calls the scope's test made on its apps",
              response='{"calls": [{"lane", "name", "label", "start", "end", "error"}]}'),
        route(f"{scope}/faults", "POST", add_fault, body=FaultSpec, status=201,
              summary="fault the scope's next SDK (or REST) requests", response='{"fault"}'),
        route(f"{scope}/faults", "GET", list_faults, summary="the scope's faults", response='{"faults"}'),
        route(f"{scope}/faults", "DELETE", clear_faults, summary="clear the scope's faults", response='{"cleared"}'),
        route(f"{scope}/rest_keys", "POST", create_rest_key, body=RestKeyBody, status=201,
              summary="a REST API key of one of the scope's workspaces, with permissions", response='{"rest_api_key", ...}'),
        route(f"{scope}/rest_rate_limits", "PUT", set_rest_rate_limits, body=RestRateLimitsBody,
              summary="the REST rate limits of the scope's workspaces (lower them, or turn them off)"),
        route(f"{scope}/rest_rate_limits", "GET", get_rest_rate_limits, summary="the REST rate limits in effect"),
        route(sdk_auth, "PUT", set_sdk_auth, body=SdkAuthSpec, summary="set one app's SDK authentication"),
        route(sdk_auth, "POST", set_sdk_auth, body=SdkAuthSpec, summary="set one app's SDK authentication (as PUT)"),
        route(sdk_auth, "GET", get_sdk_auth, summary="one app's SDK authentication"),
    ]  # fmt: skip
