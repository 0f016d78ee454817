"""The REST API subset as a backend calls it (Braze's shapes, `Authorization: Bearer <key>`): `POST /users/track`,
`POST /users/export/ids`, `POST /messages/send` and the user-identity endpoints (`/users/identify`, `/users/alias/new`,
`/users/alias/update`, `/users/merge`, `/users/external_ids/rename`, `/users/external_ids/remove`, `/users/delete`:
state/rest_identity.py). REST calls enter the same pipeline as SDK traffic and are
journaled; this module is their answer stage.

Every call is counted against its workspace's rate limit (rest_rate.py) and may be faulted by its scope
(`endpoint: "rest"` or a path): docs/rest-limits.md.

The emulator has no separate REST keys: the key is the api key of any app of the workspace to act on
(`braze.api_key` in a test), and the call acts on that workspace (and counts in that app's scope).
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
from braze_harness.emulator.answer import Answer
from braze_harness.emulator.faults import NOT_APPLIED, FaultTable
from braze_harness.emulator.messaging.service import Messaging
from braze_harness.emulator.push.send_body import REST_FIELDS, fatal_message, send_request
from braze_harness.emulator.push.service import PushSendError
from braze_harness.emulator.rest_rate import RestRateLimits
from braze_harness.emulator.state.rest_identity import STATUS
from braze_harness.emulator.state.rest_users import RestInputError
from braze_harness.emulator.state.workspaces import App
from braze_harness.emulator.stores import StateStore
from braze_harness.protocol.decode import DecodedRequest, Problem
from braze_harness.protocol.rest import IDENTITY_PATHS


class RestApi:
    def __init__(self, state: StateStore, messaging: Messaging, lock: threading.RLock, faults: FaultTable) -> None:
        self.state = state
        self.messaging = messaging
        self.lock = lock
        self.faults = faults  # the scopes' faults: "rest" or a REST path (faults.py)
        self.rates = RestRateLimits()  # Braze's per-workspace rate limits (rest_rate.py)

    def app_of(self, headers: dict[str, str]) -> App | None:
        """The app whose api key is the bearer token (None: no such key)."""
        auth = headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        return next((a for a in self.state.apps() if a.api_key == key), None) if key else None

    def answer(self, decoded: DecodedRequest, text: str | None) -> tuple[Answer, App | None, list[Problem]]:
        """The answer to one REST call under its scope's faults and its workspace's rate limit, the app its key
        names, and what the journal should note (a fault, a 429). Called under the emulator's lock."""
        app = self.app_of(decoded.headers)
        if app is None or decoded.method != "POST":
            answer, app = self._answer(decoded, text)
            return answer, app, []
        path = decoded.path.rstrip("/")
        fault = self.faults.take(app.scope, path.lstrip("/"), rest=True) if self.faults.active else None
        verdict = self.rates.check(app.scope, app.workspace, path)
        problems: list[Problem] = []
        if fault is not None and fault.spec.kind in NOT_APPLIED:
            answer = fault.answer()
            problems.append(Problem(where="fault", message=f"injected {fault.describe()} (not applied)"))
        elif verdict is not None and not verdict.allowed:
            limit = verdict.limit
            why = (
                f"rate limit of {limit.limit} requests per {limit.window_s:g} s for {verdict.group} reached in this "
                f"workspace; the window resets at {verdict.headers['x-ratelimit-reset']} (docs/rest-limits.md)"
            )
            answer = Answer(429, {"message": "Rate Limited", "errors": [why]})  # Braze's fatal message for 429
            problems.append(Problem(where="rate_limit", message=why, severity="info"))
        else:
            answer, app = self._answer(decoded, text)
            if fault is not None:
                answer = fault.alter(answer)
                problems.append(Problem(where="fault", message=f"injected {fault.describe()} (applied)", severity="info"))
        if verdict is not None:
            answer.headers.update(verdict.headers)
        return answer, app, problems

    def _answer(self, decoded: DecodedRequest, text: str | None) -> tuple[Answer, App | None]:
        if decoded.method != "POST":
            message = f"{decoded.path} takes POST, not {decoded.method}"
            return Answer(405, {"message": "Method Not Allowed", "errors": [message]}), None
        app = self.app_of(decoded.headers)
        if app is None:
            has_key = decoded.headers.get("authorization", "").lower().startswith("bearer ")
            why = "unknown key (use an app api key of the workspace)" if has_key else "Authorization: Bearer <key> is missing"
            return Answer(401, {"message": "Unauthorized", "errors": [why]}), None
        path = decoded.path.rstrip("/")
        if path == "/messages/send":
            return self._messages_send(app, text), app
        try:
            body = _json(text)
            if path in IDENTITY_PATHS:
                return Answer(STATUS.get(path, 201), self.state.rest_identity(app, path, body)), app
            if path == "/users/track":
                out = self.state.rest_track(app, body)
                refused = {e["index"] for e in out.get("errors", []) if e["input_array"] == "events"}
                applied = [e for i, e in enumerate(body.get("events") or []) if i not in refused]
                self.messaging.observe_rest_events(app.scope, app.api_key, applied)  # canvases entered by API events
                return Answer(201, out), app  # 201: received, as Braze answers
            return Answer(200, self.state.rest_export_ids(app, body)), app
        except RestInputError as exc:
            return Answer(400, {"message": exc.braze_message, "errors": [str(exc)]}), app

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
            send = send_request(body, ids_key="external_user_ids")
            result = self.messaging.send_push(
                app.scope,
                send.messages,
                external_ids=send.external_ids,
                segment_id=send.segment_id,
                broadcast=send.broadcast,
                campaign_id=send.campaign_id,
                workspace=app.workspace,
                recipient_subscription_state=send.recipient_subscription_state,
            )
        except PushSendError as exc:
            return Answer(400, {"message": fatal_message(exc), "errors": [f"{exc.field}: {exc}"], "field": exc.field})
        return Answer(201, {"dispatch_id": result.dispatch_id, "message": "success"})


def _json(text: str | None) -> Any:
    try:
        return orjson.loads(text or "")
    except orjson.JSONDecodeError as exc:
        raise RestInputError("Bad Request", f"the body is not JSON: {exc}") from None
