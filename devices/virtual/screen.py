"""`VirtualScreen`: the screen of a virtual app, a `MessagingScreen` like the web demo's `WebScreen`, so the
messaging suites and `braze_harness.screens.OnScreen` run unchanged on `android-virtual` / `ios-virtual`.

What the app shows, like the web demo app (devices/web/demo/app.js) does on the web:

* the in-app message the SDK displays (`device.messaging.displayed`: kind, header, message, buttons);
* a Content Cards feed once opened (`open_cards()`): the SDK's cards, control cards rendered empty; each card
  shown logs its impression once per opening (`cci`, `ccic` for a control card), like Android's
  `ContentCardsFragment` / Swift's `BrazeContentCardUI`;
* banner slots for the placements it declares (`placements`, default `home` and `sidebar`, the demo's), each
  showing its placement's banner as text and logging `bi` when it appears (a control banner: `bi`, nothing shown);
* one flag-gated element, shown while feature flag `flag_id` (default `new_checkout`, the demo's `FLAG_ID`) is
  enabled, logging its `ffi` when shown (once per session, the SDK's rule).

The app renders when the SDK's data changes (its subscriptions run in `device.messaging.process()`). A virtual
device has no background timers, so the waiting methods poll the device state until the timeout; while the feed
does not show what is awaited, they also pull to refresh (`content_cards/sync`, at most every `refresh_every`
s) as a user or the SDK's periodic/DUST-driven refresh would: without it a card seeded after the session
start would never arrive.
"""

from __future__ import annotations

import html.parser
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from braze_harness.expect.waiting import wait_until
from braze_harness.screens.base import IamView, MessagingScreen, ScreenTimeout

if TYPE_CHECKING:
    from braze_harness.devices.virtual.device import VirtualDevice

POLL = 0.02  # seconds between looks at the device state while waiting


class NotOnScreen(AssertionError):
    """A tap on something that is not displayed."""


class VirtualScreen(MessagingScreen):
    def __init__(
        self,
        device: VirtualDevice,
        *,
        placements: Iterable[str] = ("home", "sidebar"),
        flag_id: str = "new_checkout",
        refresh_every: float = 0.5,
    ) -> None:
        self.device = device
        self.engine = device.messaging
        self.placements = list(placements)
        self.flag_id = flag_id
        self.refresh_every = refresh_every
        self.feed_open = False
        self._impressions: set[str] = set()  # cards whose impression this opening of the feed logged
        self.slots: dict[str, dict[str, Any] | None] = dict.fromkeys(self.placements)
        self.gate_visible = False
        self.gate_label = ""
        self._last_refresh = 0.0
        self.engine.subscribe(self._render)

    # -- rendering (runs inside the engine's process()) ----------------------------------------------

    def _render(self, channels: set[str]) -> None:
        if "feature_flags" in channels:
            flag = self.engine.flag(self.flag_id)
            self.gate_visible = bool(flag and flag.get("enabled"))
            if self.gate_visible:
                label = ((flag or {}).get("properties") or {}).get("label") or {}
                self.gate_label = str(label.get("value") or "New checkout") if isinstance(label, dict) else "New checkout"
                self.engine.log_feature_flag_impression(self.flag_id)
        if "banners" in channels:
            for placement in self.placements:
                banner = self.engine.banners.get(placement)
                self.slots[placement] = None if banner is None or banner.get("is_control") else banner
                if banner is not None and banner.get("id"):
                    self.engine.log_banner_impression(str(banner["id"]))
        if "content_cards" in channels and self.feed_open:
            self._log_card_impressions()

    def _log_card_impressions(self) -> None:
        for card in self.engine.feed():
            card_id = str(card.get("id"))
            if card_id not in self._impressions:
                self._impressions.add(card_id)
                self.engine.log_card_impression(card_id)

    def _poll(self, timeout: float, look: Any, *, refresh_cards: bool = False) -> Any:
        """`look()` (under the device lock, after `process()`) until it returns something truthy (None: it did
        not within `timeout`), through the harness's one wait primitive."""

        def check(_entries: list[Any]) -> Any:
            with self.device.lock:
                self.engine.process()
                found = look()
                if found:
                    return found
                if refresh_cards and self.feed_open and time.monotonic() - self._last_refresh >= self.refresh_every:
                    self._last_refresh = time.monotonic()
                    self.device.request_content_cards_refresh()
                    self.engine.process()
                    return look() or None
            return None

        found, *_ = wait_until(None, timeout, check, every=POLL)
        return found

    def restart(self) -> None:
        """The app process restarted: the UI is rebuilt (feed closed, the message on screen gone)."""
        with self.device.lock:
            self.engine.app_restarted()
            self.feed_open = False
            self._impressions.clear()

    # -- in-app messages ---------------------------------------------------------------------------

    def wait_iam(self, timeout: float) -> IamView:
        message = self._poll(timeout, lambda: self.engine.displayed)
        if message is None:
            raise ScreenTimeout(f"no in-app message displayed within {timeout:g} s ({self._why_no_iam()})")
        data = message.data
        html_like = message.kind == "html"
        return IamView(
            kind=message.kind,
            header="" if html_like else str(data.get("header") or ""),
            message=_text(data.get("message")) if html_like else str(data.get("message") or ""),
            buttons=[str(b.get("text") or "") for b in message.buttons],
        )

    def _why_no_iam(self) -> str:
        triggers = [t.get("id") for t in self.device.triggers]
        return f"device triggers {triggers}; not performed: {self.engine.suppressed[-3:]}"

    def wait_no_iam(self, timeout: float) -> None:
        if self._poll(timeout, lambda: self.engine.displayed is None) is None:
            raise ScreenTimeout(f"an in-app message is still displayed after {timeout:g} s")

    def iam_count(self) -> int:
        with self.device.lock:
            self.engine.process()
            return 0 if self.engine.displayed is None else 1

    def _iam_action(self, action: Any, *args: Any) -> None:
        try:
            action(*args)
        except LookupError as exc:
            raise NotOnScreen(str(exc)) from None

    def click_iam(self) -> None:
        self._iam_action(self.engine.click)

    def click_iam_button(self, index: int) -> None:
        self._iam_action(self.engine.click_button, index)

    def close_iam(self) -> None:
        self._iam_action(self.engine.close)

    # -- content cards -----------------------------------------------------------------------------

    def open_cards(self) -> None:
        """The app's feed screen opens: the SDK's cached cards are shown and their impressions logged."""
        with self.device.lock:
            self.feed_open = True
            self._impressions.clear()
            self.engine.process()
            self._log_card_impressions()

    def close_cards(self) -> None:
        with self.device.lock:
            self.feed_open = False

    def card_ids(self) -> list[str]:
        """The cards the feed shows (control cards render empty: not shown); [] while the feed is closed."""
        with self.device.lock:
            self.engine.process()
            if not self.feed_open:
                return []
            return [str(c.get("id")) for c in self.engine.feed() if c.get("tp") != "control"]

    def wait_cards(self, ids: list[str], timeout: float) -> list[str]:
        if self._poll(timeout, lambda: self.card_ids() == list(ids), refresh_cards=True) is None:
            state = "" if self.feed_open else " (the feed is not open: open_cards())"
            raise ScreenTimeout(f"feed shows {self.card_ids()}, expected {list(ids)}{state}")
        return self.card_ids()

    def click_card(self, card_id: str) -> None:
        """A tap on the card: `ccc` (the mobile SDKs log it whether or not the card has a URL)."""
        with self.device.lock:
            if card_id not in self.card_ids():
                raise NotOnScreen(f"card {card_id!r} is not in the feed {self.card_ids()}")
            self.engine.log_card_click(card_id)

    def dismiss_card(self, card_id: str) -> None:
        """Swipe it away: `ccd`, and it leaves the feed."""
        with self.device.lock:
            if card_id not in self.card_ids():
                raise NotOnScreen(f"card {card_id!r} is not in the feed {self.card_ids()}")
            self._iam_action(self.engine.dismiss_card, card_id)

    # -- banners, feature flags --------------------------------------------------------------------

    def refresh_banners(self) -> None:
        """`requestBannersRefresh(placements)` for the placements this app declares."""
        self.engine.request_banners_refresh(self.placements)

    def banner_text(self, placement: str) -> str:
        banner = self.slots.get(placement)
        return _text(banner.get("html")) if banner else ""

    def wait_banner(self, placement: str, banner_id: str | None, timeout: float) -> str:
        if placement not in self.slots:
            raise NotOnScreen(f"the app has no banner placement {placement!r} (placements: {self.placements})")

        def look() -> bool:
            banner = self.slots.get(placement)
            return (banner is None) if banner_id is None else (banner is not None and banner.get("id") == banner_id)

        if self._poll(timeout, look) is None:
            shown = (self.slots.get(placement) or {}).get("id")
            raise ScreenTimeout(f"placement {placement!r} shows banner {shown!r}, not {banner_id!r} after {timeout:g} s")
        return self.banner_text(placement)

    def click_banner_button(self, placement: str, button_id: str) -> None:
        """A tap on the element with `data-button-id` in the placement's banner: `bc` with that id."""
        with self.device.lock:
            banner = self.slots.get(placement)
            if banner is None:
                raise NotOnScreen(f"placement {placement!r} shows no banner")
            if button_id not in _button_ids(banner.get("html")):
                raise NotOnScreen(f"banner {banner.get('id')!r} has no button {button_id!r}")
            self.engine.log_banner_click(str(banner["id"]), button_id)

    def wait_flag_gate(self, visible: bool, timeout: float) -> None:
        if self._poll(timeout, lambda: self.gate_visible == visible) is None:
            state = "visible" if visible else "hidden"
            raise ScreenTimeout(f"flag-gated element ({self.flag_id}) not {state} after {timeout:g} s")

    def flag_gate_text(self) -> str:
        """The gated element's text: the flag's `label` property (the demo's `new-checkout` element)."""
        with self.device.lock:
            self.engine.process()
            return self.gate_label if self.gate_visible else ""

    # -- telemetry ---------------------------------------------------------------------------------

    def flush(self) -> None:
        self.device.request_immediate_data_flush()


class _Html(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.buttons: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name == "data-button-id" and value is not None:
                self.buttons.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.text.append(data.strip())


def _parse(markup: Any) -> _Html:
    parser = _Html()
    parser.feed(str(markup or ""))
    parser.close()
    return parser


def _text(markup: Any) -> str:
    """What an HTML snippet shows as text (tags dropped)."""
    return " ".join(_parse(markup).text)


def _button_ids(markup: Any) -> list[str]:
    return _parse(markup).buttons
