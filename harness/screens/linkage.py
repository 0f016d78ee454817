"""UI-to-telemetry linkage: what is on screen tied to what the SDK logged, in one expectation.

    on = OnScreen(braze.expect, WebScreen(page))
    view = on.iam_shown("welcome")                      # the modal is visible AND exactly one `si` for it
    on.iam_button_clicked("welcome", 0, bid=0)         # click button 1: it closes AND `sbc` bid 0 is logged
    on.cards_shown(["a", "b"])                          # the feed shows a then b AND `cci` covers both
    on.card_dismissed("b")                              # click its close button: gone AND `ccd` for b

The screen part is a `MessagingScreen`, so Appium screens can implement it and reuse these. Every wait fails
with ExpectationFailed: a screen's (`ScreenTimeout`) with the scope's traffic added, since why nothing showed is
often on the wire, and every failure about a campaign with the emulator's reasons it was or wasn't served
(`GET .../messaging/why`: not in the triggers served at request #N, segment, priority, re-eligibility, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from braze_harness.expect import Expect
from braze_harness.expect.report import ExpectationFailed, with_traffic
from braze_harness.expect.waiting import EventExpectation, EventMatch
from braze_harness.expect.why import with_reasons
from braze_harness.protocol.ids import trigger_id
from braze_harness.screens.base import IamView, MessagingScreen, ScreenTimeout

FLUSH_EVERY = 0.4


def _has_id(wanted: str):
    return lambda event: wanted in (_data(event).get("ids") or [])


class OnScreen:
    """`OnScreen(braze.expect, braze_app.screen)`: the scope's expectations and the app's screen."""

    def __init__(self, expect: Expect, screen: MessagingScreen, *, timeout: float | None = None) -> None:
        if not isinstance(expect, Expect):
            raise TypeError(f"OnScreen(expect, screen) takes the scope's Expect (`braze.expect`), not {type(expect).__name__}")
        self.expect = expect
        self.screen = screen
        self.timeout = timeout if timeout is not None else expect.default_timeout

    def _t(self, within: float | None) -> float:
        return self.timeout if within is None else within

    def _logged(
        self, expectation: EventExpectation, within: float | None, campaign: str | None = None, channel: str | None = None
    ) -> list[EventMatch]:
        """Wait for `expectation` on journal changes, asking the app to flush at once and every `FLUSH_EVERY` s:
        the SDK queues an impression a moment after the element appears, and a flush before that sends nothing."""
        try:
            return expectation.nudge(self.screen.flush, every=FLUSH_EVERY).within(self._t(within))
        except ExpectationFailed as exc:
            if campaign is None:
                raise
            raise with_reasons(exc, self.expect.source, campaign, channel) from None

    def _shown[T](
        self, wait: Callable[[float], T], within: float | None, campaign: str | None = None, channel: str | None = None
    ) -> T:
        """A screen wait (`screen.wait_*`); its failure gets the scope's traffic added, and the emulator's reasons
        for `campaign`."""
        try:
            return wait(self._t(within))
        except ScreenTimeout as exc:
            source = self.expect.source
            failed = with_traffic(exc, entries=source.entries(), scope=source.scope)
            raise (with_reasons(failed, source, campaign, channel) if campaign else failed) from None

    # -- in-app messages --
    def iam_shown(self, campaign_id: str, *, within: float | None = None, times: int = 1, **view: Any) -> IamView:
        """The campaign's message is displayed (with these IamView fields, if given) and its impression logged
        once (`times`: the campaign's impressions in this test so far, this one included)."""
        shown = self._shown(self.screen.wait_iam, within, campaign_id, "in_app")
        for key, value in view.items():
            actual = getattr(shown, key)
            assert actual == value, f"in-app message {key}: {actual!r} != {value!r} (shown: {shown})"
        tid = trigger_id(campaign_id)
        self._logged(self.expect.event("si", data={"trigger_ids": [tid]}).exactly(times), within, campaign_id, "in_app")
        return shown

    def iam_button_clicked(self, campaign_id: str, index: int, *, bid: Any, within: float | None = None) -> None:
        """Click button `index`: the message closes and `sbc` with button id `bid` is logged (and no `sc`)."""
        self.screen.click_iam_button(index)
        self._shown(self.screen.wait_no_iam, within)
        tid = trigger_id(campaign_id)
        self._logged(self.expect.event("sbc", data={"trigger_ids": [tid], "bid": bid}).exactly(1), within)

    def iam_clicked(self, campaign_id: str, *, within: float | None = None) -> None:
        self.screen.click_iam()
        self._logged(self.expect.event("sc", data={"trigger_ids": [trigger_id(campaign_id)]}).exactly(1), within)

    def iam_control(self, campaign_id: str, *, within: float | None = None) -> None:
        """A control-group message: `iec` is logged and nothing is displayed."""
        self._logged(
            self.expect.event("iec", data={"trigger_ids": [trigger_id(campaign_id)]}).exactly(1), within, campaign_id, "in_app"
        )
        assert self.screen.iam_count() == 0, "a control-group in-app message must not be displayed"

    def no_iam(self, campaign_id: str, *, within: float = 1.0) -> None:
        """Nothing is displayed and the campaign logs no impression for `within` seconds (from now)."""
        mark = self.expect.mark()
        self.screen.flush()
        self.expect.event("si", data={"trigger_ids": [trigger_id(campaign_id)]}).after(mark).never(within=within)
        assert self.screen.iam_count() == 0, "an in-app message is displayed"

    # -- content cards --
    def cards_shown(self, ids: list[str], *, controls: list[str] = (), within: float | None = None) -> list[str]:
        """The feed shows exactly `ids` in this order; `cci` covers them (and `ccic` the control cards)."""
        try:
            shown = self._shown(lambda t: self.screen.wait_cards(ids, t), within)
        except ScreenTimeout as exc:
            for wanted in ids:  # the reasons of every card expected
                exc = with_reasons(exc, self.expect.source, wanted, "content_card")
            raise exc from None
        for wanted in ids:
            self._logged(self.expect.event("cci", where=_has_id(wanted)).at_least(1), within, wanted, "content_card")
        for wanted in controls:
            self._logged(self.expect.event("ccic", where=_has_id(wanted)).at_least(1), within)
        return shown

    def card_clicked(self, card_id: str, *, within: float | None = None) -> None:
        self.screen.click_card(card_id)
        self._logged(self.expect.event("ccc", data={"ids": [card_id]}).exactly(1), within)

    def card_dismissed(self, card_id: str, *, within: float | None = None) -> None:
        """Dismiss it on screen: it leaves the feed and `ccd` is logged once."""
        before = self.screen.card_ids()
        self.screen.dismiss_card(card_id)
        self._shown(lambda t: self.screen.wait_cards([c for c in before if c != card_id], t), within)
        self._logged(self.expect.event("ccd", data={"ids": [card_id]}).exactly(1), within)

    # -- banners, flags --
    def banner_shown(self, placement: str, banner_id: str, *, within: float | None = None) -> str:
        text = self._shown(lambda t: self.screen.wait_banner(placement, banner_id, t), within, banner_id, "banner")
        self._logged(self.expect.event("bi", where=_has_id(banner_id)).at_least(1), within, banner_id, "banner")
        return text

    def banner_clicked(self, placement: str, banner_id: str, button_id: str, *, within: float | None = None) -> None:
        self.screen.click_banner_button(placement, button_id)
        self._logged(self.expect.event("bc", data={"id": banner_id, "bid": button_id}).exactly(1), within)

    def flag_shown(self, flag_id: str, *, within: float | None = None) -> None:
        """The flag-gated element is visible and the flag's impression (`ffi`) logged once."""
        self._shown(lambda t: self.screen.wait_flag_gate(True, t), within, flag_id, "feature_flag")
        self._logged(self.expect.event("ffi", data={"fid": flag_id}).exactly(1), within, flag_id, "feature_flag")

    def flag_hidden(self, flag_id: str, *, within: float = 1.0) -> None:
        """The flag-gated element stays hidden and this screen's app logs no impression (from now)."""
        mark = self.expect.mark()
        self._shown(lambda t: self.screen.wait_flag_gate(False, t), within)
        self.screen.flush()
        self.expect.event("ffi", data={"fid": flag_id}).after(mark).never(within=within)


def _data(event: Any) -> dict[str, Any]:
    data = event.data
    return data.model_dump() if hasattr(data, "model_dump") else (data or {})
