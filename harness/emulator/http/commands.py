"""Control API, commands: scopes and their apps and devices, resets, faults, SDK authentication."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from harness.emulator.app import Emulator
from harness.emulator.faults import parse_fault
from harness.emulator.http.common import JSON, error, json_body
from harness.emulator.sdk_auth import parse_sdk_auth

APP_FIELDS = ("workspace", "platform", "api_key")


def command_routes(emu: Emulator) -> list[Route]:
    async def reset(request: Request) -> JSON:
        body = await json_body(request)
        scope = request.query_params.get("scope") or body.get("scope")
        if scope is not None and not isinstance(scope, str):
            return error(400, "scope must be a string")
        return JSON({"reset": scope or "everything", **emu.reset(scope or None)})

    async def create_scope(request: Request) -> JSON:
        body = await json_body(request)
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            return error(400, "name must be a string")
        return JSON({"scope": emu.create_scope(name)}, status_code=201)

    async def create_app(request: Request) -> JSON:
        body = await json_body(request)
        unknown = set(body) - set(APP_FIELDS)
        if unknown:
            return error(400, f"unknown field(s) {sorted(unknown)}; allowed: {', '.join(APP_FIELDS)}")
        bad = [k for k in APP_FIELDS if k in body and not (isinstance(body[k], str) and body[k])]
        if bad:
            return error(400, f"{', '.join(bad)} must be non-empty string(s)")
        try:
            result = emu.create_app(
                request.path_params["scope"],
                workspace=body.get("workspace", "test"),
                platform=body.get("platform", "web"),
                api_key=body.get("api_key"),
            )
        except ValueError as exc:  # the key or workspace belongs to someone else
            return error(409, str(exc))
        return JSON(result, status_code=201)

    async def claim_devices(request: Request) -> JSON:
        body = await json_body(request)
        ids = body.get("device_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            return error(400, "device_ids must be a list of non-empty strings")
        emu.claim_devices(request.path_params["scope"], ids)
        return JSON({"scope": request.path_params["scope"], "device_ids": ids})

    async def drop_scope(request: Request) -> JSON:
        scope = request.path_params["scope"]
        return JSON({"reset": scope, **emu.reset(scope, release=True)})

    async def add_fault(request: Request) -> JSON:
        try:
            spec = parse_fault(await json_body(request))
        except ValueError as exc:
            return error(400, str(exc))
        fault = emu.faults.add(request.path_params["scope"], spec)
        return JSON({"scope": request.path_params["scope"], "fault": fault.to_json()}, status_code=201)

    async def list_faults(request: Request) -> JSON:
        return JSON({"faults": [f.to_json() for f in emu.faults.list(request.path_params["scope"])]})

    async def clear_faults(request: Request) -> JSON:
        return JSON({"cleared": emu.faults.clear(request.path_params["scope"])})

    async def set_sdk_auth(request: Request) -> JSON:
        api_key = request.path_params["api_key"]
        try:
            spec = parse_sdk_auth(await json_body(request))
        except ValueError as exc:
            return error(400, str(exc))
        with emu.lock:
            auth = emu.sdk_auth.set(api_key, spec)
        return JSON({"api_key": api_key, **auth.to_json()})

    async def get_sdk_auth(request: Request) -> JSON:
        api_key = request.path_params["api_key"]
        auth = emu.sdk_auth.get(api_key)
        return JSON({"api_key": api_key, **(auth.to_json() if auth else {"mode": "disabled", "public_keys": 0})})

    return [
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/scopes", create_scope, methods=["POST"]),
        Route("/_emulator/scopes/{scope}", drop_scope, methods=["DELETE"]),
        Route("/_emulator/scopes/{scope}/apps", create_app, methods=["POST"]),
        Route("/_emulator/scopes/{scope}/devices", claim_devices, methods=["POST"]),
        Route("/_emulator/scopes/{scope}/faults", add_fault, methods=["POST"]),
        Route("/_emulator/scopes/{scope}/faults", list_faults, methods=["GET"]),
        Route("/_emulator/scopes/{scope}/faults", clear_faults, methods=["DELETE"]),
        Route("/_emulator/apps/{api_key}/sdk_auth", set_sdk_auth, methods=["PUT", "POST"]),
        Route("/_emulator/apps/{api_key}/sdk_auth", get_sdk_auth, methods=["GET"]),
    ]
