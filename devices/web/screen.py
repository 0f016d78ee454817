"""`WebScreen`: the Web SDK's own rendering located with Playwright (`.ab-iam-root`, `.ab-message-button`,
`.ab-feed .ab-card[data-ab-card-id]`), plus the demo app's banner slots and flag gate (data-testids)."""

from __future__ import annotations

import re

from braze_harness.screens.base import IamView, MessagingScreen, ScreenTimeout
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

IAM = ".ab-iam-root .ab-in-app-message"
KINDS = {"ab-slideup": "slideup", "ab-modal": "modal", "ab-fullscreen": "fullscreen", "ab-html-message": "html"}


class WebScreen(MessagingScreen):
    def __init__(self, page: Page, *, cards_container: str = '[data-testid="content-cards-feed"]') -> None:
        self.page = page
        self.cards_container = cards_container

    def _fail(self, what: str, exc: Exception) -> ScreenTimeout:
        return ScreenTimeout(f"{what} (url {self.page.url}): {str(exc).splitlines()[0]}")

    # -- in-app messages --
    def wait_iam(self, timeout: float) -> IamView:
        loc = self.page.locator(IAM).first
        try:
            loc.wait_for(state="visible", timeout=timeout * 1000)
        except PlaywrightError as exc:
            raise self._fail(f"no in-app message displayed within {timeout:g} s", exc) from None
        classes = (loc.get_attribute("class") or "").split()
        kind = next((KINDS[c] for c in classes if c in KINDS), "html" if loc.locator("iframe").count() else "unknown")
        header = loc.locator(".ab-message-header")
        message = loc.locator(".ab-message-text")
        header_text = header.first.inner_text().strip() if header.count() else ""
        message_text = message.first.inner_text().strip() if message.count() else ""
        if header_text and message_text.startswith(header_text):  # the SDK puts the header inside the text block
            message_text = message_text[len(header_text) :].strip()
        return IamView(
            kind=kind,
            header=header_text,
            message=message_text,
            buttons=[b.strip() for b in loc.locator(".ab-message-button").all_inner_texts()],
        )

    def wait_no_iam(self, timeout: float) -> None:
        try:
            expect(self.page.locator(".ab-iam-root")).to_have_count(0, timeout=timeout * 1000)
        except AssertionError as exc:
            raise self._fail(f"an in-app message is still displayed after {timeout:g} s", exc) from None

    def iam_count(self) -> int:
        return self.page.locator(".ab-iam-root").count()

    def click_iam(self) -> None:
        self.page.locator(IAM).first.click()

    def click_iam_button(self, index: int) -> None:
        self.page.locator(f"{IAM} .ab-message-button").nth(index).click()

    def close_iam(self) -> None:
        self.page.locator(f"{IAM} .ab-close-button").first.click()

    # -- content cards --
    def open_cards(self) -> None:
        self.page.locator('[data-testid="show-cards"]').click()

    def _cards(self):
        # control cards are rendered as empty, zero-size .ab-card: they are not "shown"
        return self.page.locator(f"{self.cards_container} .ab-feed .ab-card:not(.ab-control-card)")

    def card_ids(self) -> list[str]:
        return [c.get_attribute("data-ab-card-id") or "" for c in self._cards().all()]

    def wait_cards(self, ids: list[str], timeout: float) -> list[str]:
        try:
            expect(self._cards()).to_have_count(len(ids), timeout=timeout * 1000)
            for i, card_id in enumerate(ids):
                expect(self._cards().nth(i)).to_have_attribute("data-ab-card-id", card_id, timeout=timeout * 1000)
        except AssertionError as exc:
            raise self._fail(f"feed shows {self.card_ids()}, expected {ids}", exc) from None
        return self.card_ids()

    def _card(self, card_id: str):
        return self.page.locator(f'{self.cards_container} .ab-card[data-ab-card-id="{card_id}"]')

    def click_card(self, card_id: str) -> None:
        card = self._card(card_id)
        link = card.locator(".ab-title a, .ab-url-area a")  # the SDK handles clicks on the card's links
        (link.first if link.count() else card.locator(".ab-card-body").first).click()

    def dismiss_card(self, card_id: str) -> None:
        card = self._card(card_id)
        card.hover()  # the close button fades in on hover
        card.locator(".ab-close-button").click()

    # -- banners, feature flags --
    def _slot(self, placement: str):
        return self.page.locator(f'.banner-slot[data-placement="{placement}"]')

    def wait_banner(self, placement: str, banner_id: str | None, timeout: float) -> str:
        slot = self._slot(placement)
        try:
            if banner_id is None:
                expect(slot).not_to_have_attribute("data-banner-id", re.compile(".+"), timeout=timeout * 1000)
            else:
                expect(slot).to_have_attribute("data-banner-id", banner_id, timeout=timeout * 1000)
        except AssertionError as exc:
            raise self._fail(f"placement {placement!r} does not show banner {banner_id!r}", exc) from None
        return slot.inner_text().strip()

    def click_banner_button(self, placement: str, button_id: str) -> None:
        self._slot(placement).locator(f'[data-button-id="{button_id}"]').click()

    def wait_flag_gate(self, visible: bool, timeout: float) -> None:
        gate = self.page.locator('[data-testid="flag-gated"]')
        try:
            if visible:
                expect(gate).to_be_visible(timeout=timeout * 1000)
            else:
                expect(gate).to_be_hidden(timeout=timeout * 1000)
        except AssertionError as exc:
            raise self._fail(f"flag-gated element not {'visible' if visible else 'hidden'}", exc) from None

    def flush(self) -> None:
        self.page.evaluate("window.braze.requestImmediateDataFlush()")
