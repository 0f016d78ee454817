"""The REST API subset as a backend calls it (Braze's shapes, `Authorization: Bearer <key>`): `POST /users/track`,
`POST /users/export/ids`, `POST /messages/send` and the user-identity endpoints (`/users/identify`, `/users/alias/new`,
`/users/alias/update`, `/users/merge`, `/users/external_ids/rename`, `/users/external_ids/remove`, `/users/delete`:
state/rest_identity.py), API-triggered delivery (`/campaigns/trigger/send`, `/canvas/trigger/send`:
messaging/api_trigger.py). REST calls enter the same pipeline as SDK traffic and are
journaled; this module is their answer stage.

Every call is counted against its workspace's rate limit (rest_rate.py) and may be faulted by its scope
(`endpoint: "rest"` or a path): docs/rest-api.md.

A call names a REST API key of the workspace it acts on (rest_keys.py; `braze.rest_key()` in a test), whose
permissions must include the endpoint's; an app's SDK api key is refused with 401, as Braze refuses it.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import orjson
from braze_harness.emulator.answer import Answer
from braze_harness.emulator.faults import NOT_APPLIED, FaultTable
from braze_harness.emulator.messaging.api_trigger import TriggerError, parse_card
from braze_harness.emulator.messaging.content_blocks import BlockError
from braze_harness.emulator.messaging.service import Messaging
from braze_harness.emulator.push.send_body import REST_FIELDS, fatal_message, send_request
from braze_harness.emulator.push.service import PushSendError
from braze_harness.emulator.rest_keys import PERMISSION_OF, RestKey, RestKeys
from braze_harness.emulator.rest_rate import RestRateLimits
from braze_harness.emulator.state.rest_identity import STATUS
from braze_harness.emulator.state.rest_users import RestInputError
from braze_harness.emulator.state.workspaces import App
from braze_harness.emulator.stores import StateStore
from braze_harness.protocol.decode import DecodedRequest, Problem
from braze_harness.protocol.rest import CONTENT_BLOCK_PATHS, GET_PATHS, IDENTITY_PATHS, TRIGGER_PATHS, is_emulated_rest_path


class RestApi:
    def __init__(self, state: StateStore, messaging: Messaging, lock: threading.RLock, faults: FaultTable) -> None:
        self.state = state
        self.messaging = messaging
        self.lock = lock
        self.faults = faults  # the scopes' faults: "rest" or a REST path (faults.py)
        self.rates = RestRateLimits()  # Braze's per-workspace rate limits (rest_rate.py)
        self.keys = RestKeys()  # REST API keys with permissions (rest_keys.py)

    def create_key(
        self,
        scope: str,
        workspace: str = "test",
        permissions: list[str] | None = None,
        name: str | None = None,
        *,
        api_key: str | None = None,
    ) -> RestKey:
        """A REST API key of one of the scope's workspaces (created on demand, as an app's would be), or of the
        workspace of the app `api_key` (a fixed key's workspace, whatever scope made it)."""
        if api_key is not None:
            app = next((a for a in self.state.apps() if a.api_key == api_key), None)
            if app is None:
                raise ValueError(f"api_key: no app with api key {api_key!r}")
            return self.keys.create(scope, app.workspace, permissions, name)
        qualified = f"{scope}/{workspace}"  # as Emulator.create_app names a scope's workspace
        self.state.ensure_workspace(qualified, scope)
        return self.keys.create(scope, qualified, permissions, name)

    def answer(self, decoded: DecodedRequest, text: str | None) -> tuple[Answer, App | None, list[Problem]]:
        """The answer to one REST call under its key's permissions, its scope's faults and its workspace's rate
        limit; the app its call acts as (for the journal's scope); what the journal should note (a fault, a 429).
        Called under the emulator's lock."""
        path = decoded.path.rstrip("/")
        if not is_emulated_rest_path(path):
            why = f"{path} is a Braze REST endpoint this emulator does not emulate (docs/rest-api.md lists those it does)"
            return Answer(501, {"message": "Not Implemented", "errors": [why]}), None, []
        wanted = "GET" if path in GET_PATHS else "POST"
        if decoded.method != wanted:
            message = f"{decoded.path} takes {wanted}, not {decoded.method}"
            return Answer(405, {"message": "Method Not Allowed", "errors": [message]}), None, []
        key, refusal, app = self._caller(decoded.headers, path)
        if refusal is not None or key is None or app is None:
            return refusal or Answer(401, {"message": "Unauthorized", "errors": ["no REST API key"]}), app, []
        fault = self.faults.take(key.scope, path.lstrip("/"), rest=True) if self.faults.active else None
        verdict = self.rates.check(key.scope, key.workspace, path)
        problems: list[Problem] = []
        if fault is not None and fault.spec.kind in NOT_APPLIED:
            answer = fault.answer()
            problems.append(Problem(where="fault", message=f"injected {fault.describe()} (not applied)"))
        elif verdict is not None and not verdict.allowed:
            limit = verdict.limit
            why = (
                f"rate limit of {limit.limit} requests per {limit.window_s:g} s for {verdict.group} reached in this "
                f"workspace; the window resets at {verdict.headers['x-ratelimit-reset']} (docs/rest-api.md)"
            )
            answer = Answer(429, {"message": "Rate Limited", "errors": [why]})  # Braze's fatal message for 429
            problems.append(Problem(where="rate_limit", message=why, severity="info"))
        else:
            answer = self._answer(app, path, text, urlsplit(decoded.url).query)
            if fault is not None:
                answer = fault.alter(answer)
                problems.append(Problem(where="fault", message=f"injected {fault.describe()} (applied)", severity="info"))
        if verdict is not None:
            answer.headers.update(verdict.headers)
        return answer, app, problems

    def _caller(self, headers: dict[str, str], path: str) -> tuple[RestKey | None, Answer | None, App | None]:
        """The REST key a call names, or the 401/403 that refuses it; and the app the call acts as (one of the
        key's workspace's apps, for messaging; the workspace itself when it has none)."""
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            why = "Authorization: Bearer <REST API key> is missing"
            return None, Answer(401, {"message": "Unauthorized", "errors": [why]}), None
        key = self.keys.get(token)
        if key is None:
            sdk_app = next((a for a in self.state.apps() if a.api_key == token), None)
            why = (
                f"{token!r} is an app's SDK api key, not a REST API key: create one for the workspace "
                "(POST /_emulator/scopes/{scope}/rest_keys; braze.rest_key() in a test)"
                if sdk_app is not None
                else "unknown REST API key"
            )
            return None, Answer(401, {"message": "Unauthorized", "errors": [why]}), sdk_app
        app = next((a for a in self.state.apps() if a.workspace == key.workspace), None)
        app = app or App(api_key=key.key, workspace=key.workspace, scope=key.scope)
        if not key.allows(path):
            why = f"the REST API key{f' {key.name!r}' if key.name else ''} lacks the permission {PERMISSION_OF[path]}"
            return key, Answer(403, {"message": "Access Denied", "errors": [why]}), app
        return key, None, app

    def _answer(self, app: App, path: str, text: str | None, query: str) -> Answer:
        if path == "/messages/send":
            return self._messages_send(app, text)
        if path in CONTENT_BLOCK_PATHS:
            try:
                body = _json(text) if path not in GET_PATHS else None
                return Answer(201 if path.endswith("create") else 200,
                              self.messaging.content_blocks(app.scope or "", app.workspace, path, body, query))  # fmt: skip
            except BlockError as exc:
                return Answer(400, {"message": str(exc)})
            except RestInputError as exc:
                return Answer(400, {"message": exc.braze_message, "errors": [str(exc)]})
        try:
            body = _json(text)
            if path in TRIGGER_PATHS:
                return self._trigger_send(app, path, body)
            if path in IDENTITY_PATHS:
                return Answer(STATUS.get(path, 201), self.state.rest_identity(app, path, body))
            if path == "/users/track":
                out = self.state.rest_track(app, body)
                refused = {e["index"] for e in out.get("errors", []) if e["input_array"] == "events"}
                applied = [e for i, e in enumerate(body.get("events") or []) if i not in refused]
                if app.api_key in {a.api_key for a in self.state.apps(scope=app.scope)}:  # canvases entered by API events
                    self.messaging.observe_rest_events(app.scope, app.api_key, applied)
                return Answer(201, out)  # 201: received, as Braze answers
            return Answer(200, self.state.rest_export_ids(app, body))
        except RestInputError as exc:
            return Answer(400, {"message": exc.braze_message, "errors": [str(exc)]})

    def _trigger_send(self, app: App, path: str, body: Any) -> Answer:
        """API-triggered delivery of a campaign or canvas seeded in the key's scope (messaging/api_trigger.py)."""
        send = self.messaging.trigger_campaign if path == "/campaigns/trigger/send" else self.messaging.trigger_canvas
        try:
            out = send(app.scope or "", app.workspace, body, lambda objs: self.state.rest_track(app, {"attributes": objs}))
        except TriggerError as exc:
            return Answer(400, {"message": exc.braze_message, "errors": [f"{exc.field}: {exc}"]})
        return Answer(201, out)

    def _messages_send(self, app: App, text: str | None) -> Answer:
        try:
            try:
                body = orjson.loads(text or "{}")
            except orjson.JSONDecodeError as exc:
                raise PushSendError(f"request body is not JSON: {exc}", "body") from None
            if not isinstance(body, dict):
                raise PushSendError("request body must be a JSON object", "body")
            unknown = set(body) - REST_FIELDS
            if unknown:
                raise PushSendError(f"unknown field(s) {sorted(unknown)}", sorted(unknown)[0])
            for unsupported in ("user_aliases", "audience"):
                if body.get(unsupported):
                    raise PushSendError(f"{unsupported} is not supported by this emulator", unsupported)
            # `broadcast` defaults to false and must be true for a whole segment (Braze's /messages/send)
            if body.get("segment_id") is not None and not body.get("external_user_ids") and body.get("broadcast") is not True:
                raise PushSendError("a segment_id without external_user_ids is a broadcast: give broadcast: true", "broadcast")
            card = None
            if isinstance(body.get("messages"), dict) and "content_card" in body["messages"]:
                body = {**body, "messages": dict(body["messages"])}
                card = parse_card(body["messages"].pop("content_card"), self.messaging.now(app.scope or ""))
            send = send_request(body, ids_key="external_user_ids", push_optional=card is not None)
            result = self.messaging.send_push(
                app.scope,
                send.messages,
                external_ids=send.external_ids,
                segment_id=send.segment_id,
                broadcast=send.broadcast,
                campaign_id=send.campaign_id,
                workspace=app.workspace,
                recipient_subscription_state=send.recipient_subscription_state,
                card=card,
            )
        except TriggerError as exc:
            return Answer(400, {"message": exc.braze_message, "errors": [f"{exc.field}: {exc}"], "field": exc.field})
        except PushSendError as exc:
            return Answer(400, {"message": fatal_message(exc), "errors": [f"{exc.field}: {exc}"], "field": exc.field})
        return Answer(201, {"dispatch_id": result.dispatch_id, "message": "success"})


def _json(text: str | None) -> Any:
    try:
        return orjson.loads(text or "")
    except orjson.JSONDecodeError as exc:
        raise RestInputError("Bad Request", f"the body is not JSON: {exc}") from None
