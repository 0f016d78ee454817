"""`Messaging`: one face for what tests seed and what the pipeline asks of messaging.

It receives what it uses — the state, tenancy, the engagement ledger, the scopes' clocks, push, the settings,
the emulator's lock — never the emulator itself. Its parts: `store` (definitions and per-scope data), `audience`
(who is reached), `runner` (canvas progress), `serving` (answers to the SDK), `metrics`.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from braze_harness.emulator.clock import ScopeClocks
from braze_harness.emulator.incidents import Incidents
from braze_harness.emulator.messaging.api_trigger import ApiTriggers, AttributeWriter, place_cards
from braze_harness.emulator.messaging.audience import Audience
from braze_harness.emulator.messaging.canvas_runner import CanvasRunner
from braze_harness.emulator.messaging.content_blocks import WorkspaceBlocks
from braze_harness.emulator.messaging.metrics import metrics
from braze_harness.emulator.messaging.models import Card, InAppCampaign
from braze_harness.emulator.messaging.rate_limit import CardRateLimit
from braze_harness.emulator.messaging.serve import Prefetched, Serving
from braze_harness.emulator.messaging.store import MessagingStore
from braze_harness.emulator.messaging.why import trigger_fired
from braze_harness.emulator.push.service import PushSendError, PushService, SendResult
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.emulator.state.engagement import Engagement
from braze_harness.emulator.stores import StateStore, TenancyStore
from braze_harness.protocol.decode import DecodedRequest
from braze_harness.protocol.ids import trigger_id
from braze_harness.protocol.push import PushMessage


class Messaging:
    def __init__(
        self,
        *,
        state: StateStore,
        tenancy: TenancyStore,
        engagement: Engagement,
        clock: ScopeClocks,
        push: PushService,
        settings: EmulatorSettings,
        lock: threading.RLock,
        incidents: Incidents,
    ) -> None:
        self.lock = lock
        self.clock = clock
        self.push = push
        self.engagement = engagement
        self.store = MessagingStore()
        self.audience = Audience(state, tenancy, self.store)
        self.runner = CanvasRunner(self.store, self.audience, clock, lock, incidents, self._send_step_push)
        self.serving = Serving(self.store, self.audience, engagement, clock, self.runner, settings, lock)
        self.api_triggers = ApiTriggers(self.store, self.audience, push, clock, self.runner)

    # -- seeding ----------------------------------------------------------------------------------

    def seed(self, scope: str, *, segments: Any = (), campaigns: Any = (), canvases: Any = ()) -> dict[str, list[str]]:
        """Validate everything first (nothing is stored if one definition is wrong), then store."""
        with self.lock:
            return self.store.seed(scope, segments=segments, campaigns=campaigns, canvases=canvases)

    def remove(self, scope: str, campaign_id: str) -> bool:
        with self.lock:
            return self.store.remove(scope, campaign_id)

    def drop(self, scope: str) -> None:
        with self.lock:
            self.store.drop(scope)

    def describe(self, scope: str) -> dict[str, Any]:
        with self.lock:
            sm = self.store.peek(scope)
            return {
                "segments": [s.model_dump(mode="json") for s in sm.segments.values()],
                "campaigns": [
                    {**c.model_dump(mode="json"), **({"trigger_id": trigger_id(c.id)} if isinstance(c, InAppCampaign) else {})}
                    for c in sm.campaigns.values()
                ],
                "canvases": [c.model_dump(mode="json") for c in sm.canvases.values()],
                "templates": list(sm.template_log),
                "clock_offset": self.clock.offset(scope),
                "content_card_syncs_rate_limited": sm.card_syncs_limited,
            }

    def seeded(self) -> list[dict[str, Any]]:
        """The scopes something was seeded in, with how many segments, campaigns and canvases each holds."""
        with self.lock:
            return [
                {"scope": sm.name, "segments": len(sm.segments), "campaigns": len(sm.campaigns), "canvases": len(sm.canvases)}
                for sm in self.store.scopes()
                if sm.segments or sm.campaigns or sm.canvases
            ]

    def members(self, scope: str, segment_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return self.audience.members(scope, segment_id)

    # -- clock, options ---------------------------------------------------------------------------

    def advance(self, scope: str, seconds: float) -> float:
        """Move this scope's clock on (canvas delays, the card rate limit's refill); the new offset."""
        return self.runner.advance(scope, seconds)

    def now(self, scope: str) -> float:
        return self.clock.now(scope)

    def set_card_rate_limit(self, scope: str, limit: CardRateLimit | bool | None) -> CardRateLimit | None:
        """This scope's Content Cards rate limit: a limit, True (the documented 5 / 180 s), False (off) or
        None (the emulator's setting). Buckets start full again."""
        with self.lock:
            sm = self.store.of(scope)
            sm.card_rate_limit = CardRateLimit() if limit is True else limit
            sm.card_buckets.clear()
            return self.serving.card_limit(sm)

    # -- what the pipeline calls --------------------------------------------------------------------

    def stamp(self, scope: str | None, seq: int) -> None:
        """The request just journaled as `seq` is the one the pending why-decisions answered (why.py)."""
        sm = self.store.get(scope)
        if sm is not None and sm.why.pending:
            sm.why.stamp(seq)

    def why(
        self,
        scope: str,
        *,
        campaign: str | None = None,
        user_id: str | None = None,
        device_id: str | None = None,
        channel: str | None = None,
        entries: Any = (),
    ) -> dict[str, Any]:
        """Why campaigns were or weren't served (why.py): the decisions, newest last, and per campaign the latest
        one's summary, with the trigger filter's verdict for a served in-app message (from `entries`, the scope's
        journal after it was served)."""
        with self.lock:
            sm = self.store.peek(scope)
            found = sm.why.select(campaign=campaign, user_id=user_id, device_id=device_id, channel=channel)
            latest: dict[str, Any] = {}
            for d in found:
                latest[d.campaign] = d
            verdicts: dict[str, str] = {}
            for cid, d in latest.items():
                text = d.summary()
                c = sm.campaigns.get(cid)
                if d.served and isinstance(c, InAppCampaign) and d.seq is not None:
                    after = [
                        ev
                        for e in entries
                        if e.seq > d.seq and (d.device_id is None or e.device_id == d.device_id)
                        for ev in e.events
                        if d.user_id is None or ev.user_id == d.user_id
                    ]
                    verdict = trigger_fired(c.trigger, after)
                    if verdict:
                        text += f"; {verdict}"
                verdicts[cid] = text
            if campaign is not None and campaign not in latest:
                known = campaign in sm.campaigns or campaign in sm.canvases
                verdicts[campaign] = (
                    f"{campaign!r}: no request of this scope asked for it since it was seeded (did the SDK sync: a session "
                    "start, a Content Cards refresh, a flags or banners request?)"
                    if known
                    else f"{campaign!r} is not seeded in this scope"
                )
            return {"decisions": [d.to_json() for d in found[-200:]], "verdicts": verdicts}

    def observe(self, decoded: DecodedRequest, scope: str | None) -> None:
        self.runner.observe(decoded, scope)

    def observe_rest_events(self, scope: str | None, api_key: str, events: Any) -> None:
        with self.lock:
            self.runner.observe_rest_events(scope, api_key, events)

    def triggers(self, decoded: DecodedRequest, scope: str | None) -> list[dict[str, Any]]:
        return self.serving.triggers(decoded, scope)

    def prefetch(self, decoded: DecodedRequest, scope: str | None) -> Prefetched | None:
        return self.serving.prefetch(decoded, scope)

    def answer(self, decoded: DecodedRequest, scope: str | None, prefetched: Prefetched | None = None) -> dict[str, Any] | None:
        return self.serving.answer(decoded, scope, prefetched)

    # -- reading ----------------------------------------------------------------------------------

    def metrics(self, scope: str, campaign_id: str | None = None) -> dict[str, Any]:
        with self.lock:
            return metrics(self.store.peek(scope), self.engagement, self.push, scope, campaign_id)

    def canvas_progress(self, scope: str, canvas_id: str) -> dict[str, Any]:
        return self.runner.progress(scope, canvas_id)

    def annotate(self, scope: str | None, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.runner.annotate(scope, views)

    # -- push sends -------------------------------------------------------------------------------

    def send_push(
        self,
        scope: str | None,
        messages: dict[str, PushMessage],
        *,
        external_ids: list[str] | None = None,
        segment_id: str | None = None,
        broadcast: bool = False,
        campaign_id: str | None = None,
        workspace: str | None = None,
        recipient_subscription_state: str = "subscribed",
        card: Card | None = None,
    ) -> SendResult:
        """Send to `external_ids`, a segment's members, or everyone (`broadcast`) of the scope (or `workspace`):
        the push `messages`, and `card` (REST `/messages/send`'s content_card) into each recipient's inbox."""
        recipients = {"external_ids": external_ids, "segment_id": segment_id, "broadcast": broadcast}
        if messages or card is None:
            self.push.check(messages, **recipients, recipient_subscription_state=recipient_subscription_state)
        else:
            self.push.check_recipients(**recipients, recipient_subscription_state=recipient_subscription_state)
        if card is not None and scope is None:
            raise PushSendError("content cards are kept per scope: this key's app belongs to no scope", "messages.content_card")
        with self.lock:
            candidates = self.audience.profiles(scope=scope, workspace=workspace)
            if workspace is not None:
                candidates = [p for p in candidates if p["workspace"] == workspace]
            members: set[str] | None = None
            if segment_id is not None:
                if scope is None:
                    raise PushSendError("segments are seeded per scope: this key's app belongs to no scope", "segment_id")
                try:
                    members = {m["braze_id"] for m in self.audience.members(scope, segment_id)}
                except ValueError as exc:
                    raise PushSendError(str(exc), "segment_id") from None
            if messages:
                result = self.push.send(
                    scope,
                    messages,
                    candidates,
                    external_ids=external_ids,
                    members=members,
                    campaign_id=campaign_id,
                    recipient_subscription_state=recipient_subscription_state,
                )
            else:
                result = SendResult(dispatch_id=secrets.token_hex(12), campaign_id=campaign_id)
            if card is not None and scope is not None:
                # who the card goes to (the push already listed who does not exist)
                chosen = self.push.recipients(candidates, external_ids, members, SendResult("", None) if messages else result)
                place_cards(self.store, scope, card, chosen, campaign_id, result, self.clock.now(scope))
                self.push.record(scope, result)
            return result

    # -- API-triggered delivery (api_trigger.py) ---------------------------------------------------------

    def trigger_campaign(self, scope: str, workspace: str, body: Any, write: AttributeWriter) -> dict[str, Any]:
        """`/campaigns/trigger/send` in `workspace` of `scope`; TriggerError on a fatal mistake."""
        with self.lock:
            return self.api_triggers.send_campaign(scope, workspace, body, write)

    def trigger_canvas(self, scope: str, workspace: str, body: Any, write: AttributeWriter) -> dict[str, Any]:
        """`/canvas/trigger/send` in `workspace` of `scope`; TriggerError on a fatal mistake."""
        with self.lock:
            return self.api_triggers.send_canvas(scope, workspace, body, write)

    def content_blocks(self, scope: str, workspace: str, path: str, body: Any, query: str) -> dict[str, Any]:
        """`/content_blocks/{create,update,list,info}` in `workspace` of `scope`; BlockError with Braze's message."""
        with self.lock:
            blocks = self.store.of(scope).content_blocks.setdefault(workspace, WorkspaceBlocks())
            now = self.clock.now(scope)
            match path:
                case "/content_blocks/create":
                    return blocks.create(body, now)
                case "/content_blocks/update":
                    return blocks.update(body, now)
                case "/content_blocks/list":
                    return blocks.list(query)
                case _:
                    return blocks.info(query)

    def _send_step_push(
        self, scope: str, messages: dict[str, PushMessage], external_ids: list[str], campaign_id: str
    ) -> SendResult:
        return self.send_push(scope, messages, external_ids=external_ids, campaign_id=campaign_id)

    def close(self) -> None:
        self.runner.close()
