"""`braze.messaging`: seed segments and campaigns for this test, read their metrics and segment members.

    m = braze.messaging
    m.segment("pros", {"type": "attribute", "name": "plan", "value": "pro"})
    m.in_app("welcome", trigger="open", message={"type": "MODAL", "header": "Hi", "message": "Welcome"}, segment="pros")
    m.in_app("jazz", trigger={"type": "custom_event", "event": "played", "property_filters": [{"key": "genre", "value": "jazz"}]},
             message={"type": "SLIDEUP", "message": "More jazz?"})
    m.content_card("news", card={"title": "News", "description": "...", "url": "https://example.com", "pinned": True})
    m.feature_flag("new_checkout", segment="pros", properties={"color": "blue"})
    m.banner("hero", placement="home", html="<p>Sale</p>")
    m.canvas("onboarding", entry={"type": "custom_event", "event": "signed_up"}, steps=[
        {"id": "hello", "type": "message", "channel": "in_app_message", "message": {"type": "MODAL", "message": "Hi"}},
        {"id": "wait", "type": "delay", "seconds": 86400},
        {"id": "tips", "type": "message", "channel": "content_card", "card": {"title": "Tips"}}])
    m.advance(86400)                           # this test's emulator clock: the delay is over, no waiting
    m.canvas_progress("onboarding", user)      # {"status", "step", "path", "history", "sent"}
    m.metrics("onboarding")["steps"]["hello"]  # si/sc/... of one canvas step
    m.metrics("welcome")                       # {"totals": {"si": 1}, "uniques": {"si": 1}, "by_user": {...}}
    m.wait_metrics("welcome", totals={"si": 1}) # = braze.expect.metrics("welcome").totals(si=1).within()
    m.why("welcome")                           # why it was or wasn't served: "... not in the triggers served at request #34 ..."

Definitions are validated here first (pydantic, same models as the emulator), so a mistake fails in the
test with the field named: `DefinitionError: campaign.message.type: Input should be 'SLIDEUP', ...`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from braze_harness.emulator.messaging.canvas_models import parse_canvas
from braze_harness.emulator.messaging.models import DefinitionError, parse_campaign, parse_segment
from braze_harness.expect.report import ExpectationFailed
from braze_harness.expect.waiting import wait_for
from braze_harness.expect.why import with_reasons
from braze_harness.plugin.context import ScopeContext
from braze_harness.protocol.ids import step_message_id, trigger_id

__all__ = ["DefinitionError", "MessagingHandle"]


class MessagingHandle:
    def __init__(self, context: ScopeContext) -> None:
        self.context = context
        self.client = context.client
        self.scope = context.scope

    # -- seeding ----------------------------------------------------------------------------------

    def seed(self, *, segments: list[Any] = (), campaigns: list[Any] = (), canvases: list[Any] = ()) -> dict[str, list[str]]:
        """Seed raw definitions (dicts, e.g. loaded from a YAML/JSON file, or models)."""
        segs = [parse_segment(s, f"segments[{i}]").model_dump(mode="json") for i, s in enumerate(segments)]
        camps = [parse_campaign(c, f"campaigns[{i}]").model_dump(mode="json") for i, c in enumerate(campaigns)]
        canvs = [parse_canvas(c, f"canvases[{i}]").model_dump(mode="json") for i, c in enumerate(canvases)]
        return self.client.seed_messaging(self.scope, segments=segs, campaigns=camps, canvases=canvs)

    def seed_file(self, path: str | Path) -> dict[str, list[str]]:
        """Seed from a YAML or JSON file with top-level `segments`, `campaigns` and/or `canvases` lists."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        if not isinstance(data, dict) or set(data) - {"segments", "campaigns", "canvases"}:
            raise DefinitionError(f"{path}: expected a mapping with `segments`, `campaigns` and/or `canvases`")
        return self.seed(
            segments=data.get("segments") or [], campaigns=data.get("campaigns") or [], canvases=data.get("canvases") or []
        )

    def segment(
        self, id: str, *filters: dict[str, Any], any_of: list[list[dict[str, Any]]] | None = None, name: str | None = None
    ) -> str:
        """A segment: all `filters` hold (and one group of `any_of`, if given)."""
        self.seed(segments=[{"id": id, "name": name, "filters": list(filters), "any_of": any_of or []}])
        return id

    def _campaign(self, data: dict[str, Any]) -> str:
        self.seed(campaigns=[{k: v for k, v in data.items() if v is not None}])
        return data["id"]

    def in_app(
        self,
        id: str,
        *,
        trigger: str | dict[str, Any] = "open",
        message: dict[str, Any],
        segment: str | None = None,
        **options: Any,
    ) -> str:
        """An in-app message campaign. `trigger`: "open", {"type": "custom_event", "event", "property_filters"},
        {"type": "purchase", "product_id"}; options: priority, delay, start_time, end_time, re_eligibility,
        min_seconds_since_last_trigger, control, templated, connected_content_url."""
        trig = {"type": trigger} if isinstance(trigger, str) else trigger
        return self._campaign({"kind": "in_app", "id": id, "trigger": trig, "message": message, "segment": segment, **options})

    def content_card(self, id: str, *, card: dict[str, Any], segment: str | None = None, **options: Any) -> str:
        return self._campaign({"kind": "content_card", "id": id, "card": card, "segment": segment, **options})

    def api_triggered(
        self,
        id: str,
        *,
        card: dict[str, Any] | None = None,
        push: dict[str, Any] | None = None,
        segment: str | None = None,
        **options: Any,
    ) -> str:
        """A campaign with API-triggered delivery: a backend sends it with `/campaigns/trigger/send`
        (`braze.rest(...)`); `card` and/or `push` (Braze REST message objects), Liquid reading
        `{{api_trigger_properties.${name}}}`; options: re_eligibility (seconds, None: once)."""
        return self._campaign({"kind": "api_triggered", "id": id, "card": card, "push": push, "segment": segment, **options})

    def feature_flag(
        self, id: str, *, enabled: bool = True, segment: str | None = None, properties: dict[str, Any] | None = None
    ) -> str:
        return self._campaign(
            {"kind": "feature_flag", "id": id, "enabled": enabled, "segment": segment, "properties": properties or {}}
        )

    def banner(self, id: str, *, placement: str, html: str, segment: str | None = None, **options: Any) -> str:
        return self._campaign({"kind": "banner", "id": id, "placement": placement, "html": html, "segment": segment, **options})

    def canvas(
        self,
        id: str,
        *,
        entry: dict[str, Any],
        steps: list[dict[str, Any]],
        segment: str | None = None,
        **options: Any,
    ) -> str:
        """A Canvas (canvas_models.py): `entry` {"type": "custom_event", "event", "property_filters"} or
        {"type": "segment", "segment"}; `steps` of type message (in_app_message / content_card / push), delay, split, exit;
        options: name, re_entry. What a message step sends has the id `step_id(canvas, step)`."""
        data = {"id": id, "entry": entry, "steps": steps, "segment": segment, **options}
        self.seed(canvases=[{k: v for k, v in data.items() if v is not None}])
        return id

    @staticmethod
    def step_id(canvas_id: str, step_id: str) -> str:
        """The id of what a canvas message step sends: pass it to OnScreen (`iam_shown`, `cards_shown`)."""
        return step_message_id(canvas_id, step_id)

    def advance(self, seconds: float) -> float:
        """Move this test's emulator clock on (canvas delays, the card rate limit's refill); the total offset."""
        return self.client.advance_clock(self.scope, seconds)["clock_offset"]

    def canvas_progress(self, canvas_id: str, user: str | None = None) -> dict[str, Any]:
        """Progress through a canvas, walked on to now: every user's (`{user key: ...}`), or one external id's
        (`{"status", "step", "path", "history", "sent"}`; {} when that user never entered)."""
        users = self.client.canvas_progress(self.scope, canvas_id)["users"]
        return users if user is None else users.get(f"user:{user}", {})

    def card_rate_limit(self, limit: bool | dict[str, float] | None = True) -> dict[str, Any] | None:
        """This test's Content Cards refresh rate limit: True (documented 5 per device, +1 per 180 s), a
        {"capacity", "refill_seconds"} dict, False (off) or None (the emulator's setting). The active limit."""
        return self.client.set_messaging_options(self.scope, content_cards_rate_limit=limit)["content_cards_rate_limit"]

    def wait_rate_limited(self, count: int, *, within: float | None = None) -> int:
        """Wait (on journal changes) until `count` Content Cards syncs of this test were refused by the rate limit
        (`within`: default the scope's timeout); how many were. Fails with ExpectationFailed and the traffic."""
        expect = self.context.expect
        return wait_for(
            expect.source,
            expect.default_timeout if within is None else within,
            lambda _: self.seeded()["content_card_syncs_rate_limited"],
            expected=f"at least {count} Content Cards sync(s) refused by the rate limit",
            until=lambda refused: refused >= count,
            show=lambda refused: f"{refused} refused",
        )

    def remove(self, campaign_id: str) -> None:
        """Remove a campaign or a canvas."""
        self.client.remove_campaign(self.scope, campaign_id)

    # -- reading ----------------------------------------------------------------------------------

    @staticmethod
    def trigger_id(campaign_id: str) -> str:
        """The `trigger_id` the SDK echoes in si/sc/sbc/iec for this IAM campaign."""
        return trigger_id(campaign_id)

    def seeded(self) -> dict[str, Any]:
        return self.client.describe_messaging(self.scope)

    def members(self, segment_id: str) -> list[str | None]:
        """External ids (None for anonymous profiles) of the segment's members, now."""
        return [m["external_id"] for m in self.client.segment_members(self.scope, segment_id)]

    def metrics(self, campaign_id: str | None = None) -> dict[str, Any]:
        return self.client.metrics(self.scope, campaign_id)

    def wait_metrics(
        self,
        campaign_id: str,
        *,
        totals: dict[str, int] | None = None,
        uniques: dict[str, int] | None = None,
        within: float | None = None,
    ) -> dict[str, Any]:
        """Wait (on journal changes, no sleep loop) until the campaign's totals/uniques equal these counts
        (`within`: default the scope's timeout): `braze.expect.metrics(campaign_id).totals(...).uniques(...)`."""
        expectation = self.context.expect.metrics(campaign_id).totals(**(totals or {})).uniques(**(uniques or {}))
        try:
            return expectation.within(within)
        except ExpectationFailed as exc:  # no impression is often no serving: say why (the emulator knows)
            raise with_reasons(exc, self.context.expect.source, campaign_id) from None

    def why(self, campaign_id: str | None = None, *, user: str | None = None, channel: str | None = None) -> dict[str, str]:
        """Why campaigns were or weren't served (`GET .../messaging/why`): `{campaign: sentence}`, the latest decision
        of each (one campaign's, one external id's, one channel's: in_app, content_card, feature_flag, banner)."""
        answer = self.client.messaging_why(self.scope, campaign=campaign_id, user_id=user, channel=channel)
        return answer["verdicts"]

    def decisions(self, campaign_id: str | None = None, *, user: str | None = None) -> list[dict[str, Any]]:
        """Every recorded decision (newest last): `{"seq", "channel", "campaign", "served", "reasons", "summary", ...}`."""
        return self.client.messaging_why(self.scope, campaign=campaign_id, user_id=user)["decisions"]
