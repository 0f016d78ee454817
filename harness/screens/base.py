"""What a messaging test needs to see on a screen, independent of the platform.

`WebScreen` (Playwright, the SDK's own rendering) implements it for the web; an Appium screen for
Android/iOS implements the same methods, and the linkage expectations (`linkage.OnScreen`) work unchanged.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from braze_harness.expect.report import ExpectationFailed


@dataclass
class IamView:
    """An in-app message as displayed."""

    kind: str  # slideup | modal | fullscreen | html
    header: str = ""
    message: str = ""
    buttons: list[str] = field(default_factory=list)


class ScreenTimeout(ExpectationFailed):
    """What was expected on screen did not appear (or disappear) in time: the expect DSL's failure of a screen."""


class MessagingScreen(ABC):
    # -- in-app messages --
    @abstractmethod
    def wait_iam(self, timeout: float) -> IamView:
        """The in-app message on screen, once one is displayed (raise ScreenTimeout otherwise)."""

    @abstractmethod
    def wait_no_iam(self, timeout: float) -> None:
        """Until no in-app message is displayed."""

    @abstractmethod
    def iam_count(self) -> int:
        """How many in-app messages are displayed now."""

    @abstractmethod
    def click_iam(self) -> None: ...

    @abstractmethod
    def click_iam_button(self, index: int) -> None: ...

    @abstractmethod
    def close_iam(self) -> None: ...

    # -- content cards --
    @abstractmethod
    def open_cards(self) -> None:
        """Open the app's Content Cards feed."""

    @abstractmethod
    def wait_cards(self, ids: list[str], timeout: float) -> list[str]:
        """Until the feed shows exactly these card ids (in this order); returns what it shows."""

    @abstractmethod
    def card_ids(self) -> list[str]: ...

    @abstractmethod
    def click_card(self, card_id: str) -> None: ...

    @abstractmethod
    def dismiss_card(self, card_id: str) -> None: ...

    # -- banners, feature flags --
    @abstractmethod
    def wait_banner(self, placement: str, banner_id: str | None, timeout: float) -> str:
        """Until the placement shows this banner (None: shows nothing); returns its text."""

    @abstractmethod
    def click_banner_button(self, placement: str, button_id: str) -> None: ...

    @abstractmethod
    def wait_flag_gate(self, visible: bool, timeout: float) -> None:
        """Until the flag-gated element is visible (or hidden)."""

    # -- telemetry --
    @abstractmethod
    def flush(self) -> None:
        """Make the app send what its SDK has queued (without touching the UI)."""
