"""`AppiumScreen`: what a phone shows (in-app messages, Content Cards, banners, the flag gate), through Appium.

It reads from one page-source snapshot per look (the XML every driver returns, parsed here), so a wait costs one
round trip per poll whatever the number of elements; it taps through the driver. A phone's screen is not in the
journal, so its waits poll (every `POLL_S`) through the expect DSL's one wait (`braze_harness.expect.waiting.wait_for`)
and fail with its ScreenTimeout (an ExpectationFailed). Where things are is declared in
`ScreenLocators`; how the platform's XML names ids, text and visibility in a `SourceDialect`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from braze_harness.devices.targets.locators import DIALECTS, Locator, ScreenLocators, SourceDialect
from braze_harness.errors import HarnessConfigError
from braze_harness.expect.waiting import wait_for
from braze_harness.screens.base import IamView, MessagingScreen, ScreenTimeout

POLL_S = 0.2


def source_path(locator: Locator, dialect: SourceDialect) -> str:
    """The ElementTree path (relative to a node) of a locator, for searching the page source."""
    value = locator.value
    quote = '"' if "'" in value else "'"
    match locator.by:
        case "id":
            return f".//*[@{dialect.id_attribute}={quote}{value}{quote}]"
        case "accessibility id":
            return f".//*[@{dialect.accessibility_attribute}={quote}{value}{quote}]"
        case "class name":
            return f".//{value}"
        case "xpath" if value.startswith("//"):
            return f".{value}"
        case "xpath" if value.startswith(".//"):
            return value
    raise HarnessConfigError(
        f"locator {locator} cannot be read from the page source: use id, accessibility id, class name or an xpath "
        "starting with // (ElementTree's XPath subset: tags, *, [@attr], [@attr='v'], [n])"
    )


class AppiumScreen(MessagingScreen):
    def __init__(
        self,
        driver: Any,
        locators: ScreenLocators | None = None,
        *,
        dialect: SourceDialect | str = "fake",
        flush: Callable[[], None] | None = None,
    ) -> None:
        self.driver = driver
        self.locators = locators or ScreenLocators()
        self.dialect = DIALECTS[dialect] if isinstance(dialect, str) else dialect
        self._flush = flush

    # -- reading the page source --
    def source(self) -> ET.Element:
        text = self.driver.page_source
        try:
            return ET.fromstring(text.encode() if isinstance(text, str) else text)
        except ET.ParseError as exc:
            raise ScreenTimeout(f"the page source is not XML ({exc}): {text[:200]!r}") from None

    def _find(self, node: ET.Element, locator: Locator) -> list[ET.Element]:
        path = source_path(locator, self.dialect)
        try:
            found = node.findall(path)
        except (SyntaxError, KeyError) as exc:
            raise HarnessConfigError(f"locator {locator}: not an XPath ElementTree can read ({exc})") from None
        return [n for n in found if self.dialect.is_visible(n)]

    def _wait[T](self, what: str, look: Callable[[ET.Element], T | None], timeout: float, seen: Callable[[], str]) -> T:
        """Until `look` at the page source finds something: `what` (expected) on screen; `seen()`: what is, instead."""
        found = wait_for(
            None,
            timeout,
            lambda _: look(self.source()),
            expected=f"{what} (on screen)",
            show=lambda _: f"on screen: {seen()}",
            every=POLL_S,
            error=ScreenTimeout,
        )
        assert found is not None
        return found

    def _tap(self, locator: Locator, what: str) -> None:
        found = self.driver.find_elements(locator.by, locator.value)
        if not found:
            raise ScreenTimeout(f"{what}: nothing on screen matches {locator}")
        found[0].click()

    # -- in-app messages --
    def _iam_view(self, root: ET.Element) -> IamView | None:
        iams = self._find(root, self.locators.iam)
        if not iams:
            return None
        iam = iams[0]
        loc = self.locators
        kind = (iam.get(loc.iam_kind_attribute) if loc.iam_kind_attribute else None) or "unknown"

        def text(locator: Locator) -> str:
            nodes = self._find(iam, locator)
            return self.dialect.text(nodes[0]) if nodes else ""

        buttons = [self.dialect.text(b) for b in self._find(iam, loc.iam_button)]
        return IamView(kind=kind, header=text(loc.iam_header), message=text(loc.iam_message), buttons=buttons)

    def wait_iam(self, timeout: float) -> IamView:
        return self._wait("an in-app message displayed", self._iam_view, timeout, lambda: "no in-app message")

    def wait_no_iam(self, timeout: float) -> None:
        def gone(root: ET.Element) -> bool | None:
            return True if not self._find(root, self.locators.iam) else None

        self._wait("no in-app message displayed", gone, timeout, lambda: f"{self.iam_count()} in-app message(s)")

    def iam_count(self) -> int:
        return len(self._find(self.source(), self.locators.iam))

    def click_iam(self) -> None:
        self._tap(self.locators.iam, "click_iam")

    def click_iam_button(self, index: int) -> None:
        # the button is picked in the page source (inside the IAM), then tapped as the same match of a search of the
        # whole screen: a search from the IAM element would do, but the fake driver answers it with detached copies
        root = self.source()
        iams = self._find(root, self.locators.iam)
        if not iams:
            raise ScreenTimeout(f"click_iam_button({index}): no in-app message matches {self.locators.iam}")
        path = source_path(self.locators.iam_button, self.dialect)
        inside = [b for b in iams[0].findall(path) if self.dialect.is_visible(b)]
        if not 0 <= index < len(inside):
            raise ScreenTimeout(f"click_iam_button({index}): the in-app message has {len(inside)} button(s)")
        position = root.findall(path).index(inside[index])
        buttons = self.driver.find_elements(self.locators.iam_button.by, self.locators.iam_button.value)
        if position >= len(buttons):
            raise ScreenTimeout(f"click_iam_button({index}): the screen changed while looking for the button")
        buttons[position].click()

    def close_iam(self) -> None:
        self._tap(self.locators.iam_close, "close_iam")

    # -- content cards --
    def open_cards(self) -> None:
        self._tap(self.locators.cards_open, "open_cards")

    def _card_ids(self, root: ET.Element) -> list[str]:
        return [c.get(self.locators.card_id_attribute) or "" for c in self._find(root, self.locators.card)]

    def card_ids(self) -> list[str]:
        return self._card_ids(self.source())

    def wait_cards(self, ids: list[str], timeout: float) -> list[str]:
        def shows(root: ET.Element) -> list[str] | None:
            now = self._card_ids(root)
            return now if now == list(ids) else None

        return self._wait(f"the feed showing cards {ids}", shows, timeout, lambda: f"cards {self.card_ids()}")

    def click_card(self, card_id: str) -> None:
        self._tap(self.locators.card_by_id.format(card_id=card_id), f"click_card({card_id!r})")

    def dismiss_card(self, card_id: str) -> None:
        self._tap(self.locators.card_dismiss.format(card_id=card_id), f"dismiss_card({card_id!r})")

    # -- banners, feature flags --
    def _banners(self, root: ET.Element, placement: str) -> list[ET.Element]:
        return self._find(root, self.locators.banner.format(placement=placement))

    def wait_banner(self, placement: str, banner_id: str | None, timeout: float) -> str:
        attribute = self.locators.banner_id_attribute

        def shows(root: ET.Element) -> str | None:
            banners = self._banners(root, placement)
            if banner_id is None:
                return "" if not banners else None
            match = [b for b in banners if b.get(attribute) == banner_id]
            return self.dialect.text(match[0]) if match else None

        def seen() -> str:
            return f"placement {placement!r} shows {[b.get(attribute) for b in self._banners(self.source(), placement)]}"

        want = "nothing" if banner_id is None else f"banner {banner_id!r}"
        return self._wait(f"placement {placement!r} showing {want}", shows, timeout, seen)

    def click_banner_button(self, placement: str, button_id: str) -> None:
        locator = self.locators.banner_button.format(placement=placement, button_id=button_id)
        self._tap(locator, f"click_banner_button({placement!r}, {button_id!r})")

    def wait_flag_gate(self, visible: bool, timeout: float) -> None:
        def state(root: ET.Element) -> bool | None:
            return True if bool(self._find(root, self.locators.flag_gate)) == visible else None

        what = "the flag-gated element visible" if visible else "the flag-gated element hidden"
        self._wait(what, state, timeout, lambda: f"flag gate {self.locators.flag_gate}")

    # -- telemetry --
    def flush(self) -> None:
        if self._flush is None:
            raise HarnessConfigError("this AppiumScreen has no flush hook (use AppiumAdapter.screen)")
        self._flush()
