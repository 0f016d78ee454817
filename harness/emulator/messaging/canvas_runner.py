"""Moving users through canvases: entries from their SDK requests, API events and `/canvas/trigger/send`, delays on
the scope's clock, push steps sent as they are reached (their Liquid rendered with the user's profile and
`canvas_entry_properties`).

Progress changes only here, on ingest (`observe`, `enter_api`), when a test advances its scope's clock (`advance`) and when
a delay ends in real time (the due timer). Reading progress (`progress`, `annotate`) changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from braze_harness.emulator.clock import ScopeClocks
from braze_harness.emulator.due_timer import DueTimer
from braze_harness.emulator.incidents import Incidents
from braze_harness.emulator.messaging import canvases as cv
from braze_harness.emulator.messaging.audience import Audience
from braze_harness.emulator.messaging.canvas_models import Canvas, DelayStep, MessageStep
from braze_harness.emulator.messaging.models import DefinitionError
from braze_harness.emulator.messaging.segments import evaluate
from braze_harness.emulator.messaging.store import MessagingStore, ScopeMessaging
from braze_harness.emulator.messaging.templating import Aborted, TemplateError, render_strings, template_data
from braze_harness.emulator.push.service import PushSendError, SendResult, parse_messages
from braze_harness.emulator.state.engagement import user_key
from braze_harness.protocol.decode import DecodedRequest
from braze_harness.protocol.push import PushMessage
from braze_harness.protocol.requests import DataRequest
from pydantic import BaseModel

# (scope, messages per platform, external ids, campaign id) -> the send's result
PushSender = Callable[[str, dict[str, PushMessage], list[str], str], SendResult]


class CanvasRunner:
    def __init__(
        self,
        store: MessagingStore,
        audience: Audience,
        clock: ScopeClocks,
        lock: threading.RLock,
        incidents: Incidents,
        send_push: PushSender,
    ) -> None:
        self.store = store
        self.audience = audience
        self.clock = clock
        self.lock = lock
        self.incidents = incidents
        self.send_push = send_push
        self.timer = DueTimer(self._due)

    # -- moving on ---------------------------------------------------------------------------------

    def observe(self, decoded: DecodedRequest, scope: str | None) -> None:
        """A /data/ request (already applied to the profiles): its custom events may enter canvases, and every
        user it carries data for moves on through theirs. Called under the emulator's lock."""
        body = decoded.body
        sm = self.store.get(scope)
        if not isinstance(body, DataRequest) or sm is None or not sm.canvases:
            return
        by_user: dict[str | None, list[tuple[str, dict[str, Any]]]] = {}
        for e in body.events:
            events = by_user.setdefault(e.user_id or body.user_id, [])
            if e.name == "ce":
                data = e.data.model_dump() if isinstance(e.data, BaseModel) else (e.data or {})
                if isinstance(data, dict) and data.get("n"):
                    events.append((str(data["n"]), data.get("p") or {}))
        if body.respond_with and body.respond_with.user_id:
            by_user.setdefault(body.respond_with.user_id, [])
        if not by_user:
            by_user[body.user_id] = []
        for user_id, events in by_user.items():
            profile = self.audience.profile(decoded.api_key, body.device_id, user_id)
            self.walk_user(sm, user_key(user_id, body.device_id), profile, events, enter_segments=True)

    def observe_rest_events(self, scope: str | None, api_key: str, events: Any) -> None:
        """`/users/track` events (already applied): they enter event-entry canvases like the SDK's custom events
        (Braze's action-based delivery takes API events; in-app message triggers do not). Under the lock."""
        sm = self.store.get(scope)
        if sm is None or not sm.canvases or not isinstance(events, list):
            return
        for event in events:
            user_id = event.get("external_id") if isinstance(event, dict) else None
            if not isinstance(user_id, str) or not isinstance(event.get("name"), str):
                continue  # refused by /users/track already (or identified otherwise: no user key to walk)
            props = event.get("properties") if isinstance(event.get("properties"), dict) else {}
            profile = self.audience.profile(api_key, None, user_id)
            self.walk_user(sm, f"user:{user_id}", profile, [(event["name"], props)])

    def walk_user(
        self,
        sm: ScopeMessaging,
        who: str,
        profile: dict[str, Any] | None,
        events: Any = (),
        *,
        enter_segments: bool = False,
    ) -> None:
        """Enter canvases (custom-event entries from `events`; segment entries when `enter_segments`: the
        user's own SDK request), then move the user on through each canvas as far as the scope's clock allows."""
        now = self.clock.now(sm.name)
        for canvas in sm.canvases.values():
            key = (canvas.id, who)
            run = sm.runs.get(key)
            if run is not None:
                cv.walk(canvas, run, now, profile, sm.lookup)
            entry = canvas.entry
            if entry.type == "custom_event":
                for name, props in events:
                    ok = name == entry.event and cv.properties_match(entry.property_filters, props)
                    if ok and cv.may_enter(canvas, run, profile, sm.lookup):
                        run = sm.runs[key] = cv.enter(canvas, who, now, {"event": name})
                        cv.walk(canvas, run, now, profile, sm.lookup)
            elif (
                entry.type == "segment"
                and enter_segments
                and run is None
                and profile is not None
                and cv.may_enter(canvas, run, profile, sm.lookup)
                and evaluate(sm.segments.get(entry.segment or ""), profile, sm.lookup)
            ):
                run = sm.runs[key] = cv.enter(canvas, who, now, {"segment": entry.segment})
                cv.walk(canvas, run, now, profile, sm.lookup)
        self._send_pushes(sm, {who})
        self._schedule(sm)

    def enter_api(
        self, sm: ScopeMessaging, canvas: Canvas, who: str, profile: dict[str, Any], properties: dict[str, Any]
    ) -> str | None:
        """`/canvas/trigger/send` enters this user with its `canvas_entry_properties` (api_trigger.py); why not,
        or None when entered. Under the lock."""
        key = (canvas.id, who)
        run = sm.runs.get(key)
        if run is not None:
            cv.walk(canvas, run, self.clock.now(sm.name), profile, sm.lookup)
        if not cv.may_enter(canvas, run, profile, sm.lookup):
            return "already in the canvas (re_entry is false)" if run is not None else "not in the canvas's segment"
        now = self.clock.now(sm.name)
        run = sm.runs[key] = cv.enter(canvas, who, now, {"api": True, "canvas_entry_properties": properties})
        run.entry_properties = properties
        cv.walk(canvas, run, now, profile, sm.lookup)
        self._send_pushes(sm, {who})
        self._schedule(sm)
        return None

    def walk_scope(self, scope: str) -> None:
        """Move every user of the scope on as far as its clock allows (after `advance`, or a delay's end)."""
        sm = self.store.get(scope)
        if sm is None or not sm.canvases:
            return
        now = self.clock.now(scope)
        users: set[str] = set()
        for (canvas_id, who), run in list(sm.runs.items()):
            canvas = sm.canvases.get(canvas_id)
            if canvas is None:
                continue
            cv.walk(canvas, run, now, self.audience.profile_of(scope, who), sm.lookup)
            users.add(who)
        self._send_pushes(sm, users)
        self._schedule(sm)

    def advance(self, scope: str, seconds: float) -> float:
        """Move the scope's clock on and its users with it; the new offset."""
        with self.lock:
            offset = self.clock.advance(scope, seconds)
            self.walk_scope(scope)
            return offset

    def close(self) -> None:
        self.timer.close()

    def _due(self, scope: str) -> None:
        try:
            with self.lock:
                self.walk_scope(scope)
        except Exception as exc:  # kept for the scope's test to see (plugin teardown), never lost in a thread
            self.incidents.record(scope, "canvas timer", exc)

    def _schedule(self, sm: ScopeMessaging) -> None:
        """Ask the timer to come back when the first pending delay of the scope ends (in real time)."""
        offset = self.clock.offset(sm.name)
        due: float | None = None
        for (canvas_id, _), run in sm.runs.items():
            canvas = sm.canvases.get(canvas_id)
            if canvas is None or run.status != "active" or run.step is None:
                continue
            step = canvas.step(run.step)
            if isinstance(step, DelayStep):
                at = run.step_at + step.seconds - offset
                due = at if due is None else min(due, at)
        if due is not None:
            self.timer.at(due, sm.name)

    def _send_pushes(self, sm: ScopeMessaging, users: set[str]) -> None:
        """Send the push steps these users reached and that were not sent yet."""
        due = []
        for (canvas_id, who), run in sm.runs.items():
            canvas = sm.canvases.get(canvas_id)
            if who not in users or canvas is None:
                continue
            for mid in run.sent:
                found = cv.step_of({canvas_id: canvas}, mid)
                if found is not None and found[1].channel == "push" and mid not in run.pushed:
                    run.pushed[mid] = {"deliveries": 0}
                    due.append((run, mid, found[1]))
        for run, mid, step in due:
            if not run.user.startswith("user:"):
                run.pushed[mid] = {"deliveries": 0, "skipped": ["anonymous user: push needs an external id"]}
                continue
            try:
                push = render_strings(step.push, self.step_data(sm, run), "push")
                sent = self.send_push(sm.name, parse_messages(push), [run.user[5:]], mid)
            except (PushSendError, TemplateError, Aborted) as exc:
                run.pushed[mid] = {"deliveries": 0, "error": str(exc)}
                continue
            run.pushed[mid] = {
                "deliveries": len(sent.deliveries),
                "dispatch_id": sent.dispatch_id,
                "skipped": [s.get("reason") for s in sent.skipped],
            }

    def step_data(self, sm: ScopeMessaging, run: cv.CanvasRun) -> dict[str, Any]:
        """What a push or card step's Liquid sees: the user's profile and the run's `canvas_entry_properties`."""
        profile = self.audience.profile_of(sm.name, run.user)
        blocks = sm.blocks(profile["workspace"] if profile else None)
        data = template_data(profile, {}, {}, now=self.clock.now(sm.name), blocks=blocks)
        data["canvas_entry_properties"] = dict(run.entry_properties)
        return data

    # -- reading (pure) ----------------------------------------------------------------------------

    @staticmethod
    def reached(sm: ScopeMessaging, who: str, channel: str) -> list[tuple[Canvas, MessageStep, float]]:
        """(canvas, message step, when reached) of this user's canvas messages on `channel`."""
        out = []
        for (canvas_id, runner), run in sm.runs.items():
            canvas = sm.canvases.get(canvas_id)
            if runner != who or canvas is None:
                continue
            for mid, at in run.sent.items():
                found = cv.step_of({canvas_id: canvas}, mid)
                if found is not None and found[1].channel == channel:
                    out.append((canvas, found[1], at))
        return out

    def progress(self, scope: str, canvas_id: str) -> dict[str, Any]:
        """Every user's progress through one canvas: `{"canvas", "now", "clock_offset", "users": {key: ...}}`."""
        with self.lock:
            sm = self.store.peek(scope)
            if canvas_id not in sm.canvases:
                raise DefinitionError(f"no canvas {canvas_id!r} in scope {scope!r} (seeded: {sorted(sm.canvases)})")
            users = {who: run.to_json() for (cid, who), run in sm.runs.items() if cid == canvas_id}
            return {"canvas": canvas_id, "now": self.clock.now(scope), "clock_offset": self.clock.offset(scope), "users": users}

    def annotate(self, scope: str | None, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add `canvases` (each canvas's progress) to profile views of scopes with canvases."""
        with self.lock:
            for view in views:
                sm = self.store.get(scope or self._scope_of_view(view))
                if sm is None or not sm.canvases:
                    continue
                if view.get("external_id"):
                    keys = {f"user:{view['external_id']}"}
                else:
                    keys = {f"device:{d['device_id']}" for d in view.get("devices", [])}
                view["canvases"] = {
                    canvas_id: run.to_json()
                    for (canvas_id, who), run in sm.runs.items()
                    if who in keys and canvas_id in sm.canvases
                }
        return views

    def _scope_of_view(self, view: dict[str, Any]) -> str | None:
        for d in view.get("devices", []):
            scope = self.audience.tenancy.scope_for(d.get("app"), d.get("device_id"))
            if scope is not None:
                return scope
        return None
