"""``WebDemoAdapter``: drives the demo web app (``index.html`` + ``app.js``) with Playwright.

Every action fills the page's visible form fields and clicks its buttons, like a manual
tester would; the outcome is read back from the page's status panel (``status-*``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect

from harness.adapters.base import (
    ATTRIBUTE_KINDS,
    STANDARD_PROFILE_FIELDS,
    AppAdapter,
    AttributeKind,
)
from harness.errors import HarnessError
from harness.screens.web import WebScreen
from harness.webapp_server import StaticSite

DEMO_DIR = Path(__file__).resolve().parent
SDK_ROUTE = "/sdk/braze.js"


class DemoAppError(HarnessError):
    """The demo page refused an action (bad input) or could not initialise the SDK."""


def demo_site(sdk_bundle: Path) -> StaticSite:
    """A (not yet started) ``StaticSite`` serving the demo app with ``sdk_bundle`` as its SDK."""
    return StaticSite(DEMO_DIR, {SDK_ROUTE: sdk_bundle})


class WebDemoAdapter(AppAdapter):
    """The demo web app in one Playwright ``Page``.

    ``site_url`` is where ``demo_site()`` serves the app; ``api_key``/``base_url`` and the
    other keywords become the page's query string (its SDK init options).
    """

    def __init__(
        self,
        page: Page,
        site_url: str,
        *,
        api_key: str,
        base_url: str,
        device_id: str | None = None,
        session_timeout: float | None = None,
        logging: bool = False,
        auto_session: bool = True,
        init_options: Mapping[str, Any] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.page = page
        query: dict[str, str] = {"apiKey": api_key, "baseUrl": base_url}
        if device_id is not None:
            query["deviceId"] = device_id
        if session_timeout is not None:
            query["sessionTimeout"] = f"{session_timeout:g}"
        if logging:
            query["logging"] = "1"
        query["autoSession"] = "1" if auto_session else "0"
        if init_options:
            query["options"] = json.dumps(dict(init_options))
        self.url = f"{site_url.rstrip('/')}/index.html?{urlencode(query)}"
        self._timeout_ms = timeout_s * 1000
        self._clock_installed = False
        self.last_result: Any = None

    # ---- lifecycle ----

    def launch(self) -> None:
        if not self._clock_installed:
            # Before the first navigation, so the SDK's timers run on the controllable clock.
            self.page.clock.install()
            self._clock_installed = True
        self.page.goto(self.url)
        self._wait_ready()

    def reload(self) -> None:
        self.page.reload()
        self._wait_ready()

    def close(self) -> None:
        if not self.page.is_closed():
            self.page.close()

    def advance_time(self, seconds: float) -> None:
        if not self._clock_installed:
            raise RuntimeError("advance_time() needs launch() first (it installs the Playwright clock)")
        self.page.clock.fast_forward(round(seconds * 1000))

    @property
    def device_id(self) -> str | None:
        return self._status("status-device-id") or None

    @property
    def user_id(self) -> str | None:
        """The SDK's current user id (``None`` while anonymous)."""
        return self._status("status-user-id") or None

    # ---- actions ----

    def login(self, user_id: str, signature: str | None = None) -> bool | None:
        """changeUser(user_id[, signature]): the signature is the SDK-auth JWT (init option enableSdkAuthentication)."""
        self._tid("user-id").fill(user_id)
        self._tid("auth-signature").fill(signature or "")
        return self._submit("login")

    def set_sdk_auth_signature(self, signature: str) -> bool | None:
        """setSdkAuthenticationSignature(jwt): a fresh signature for the current user (no request by itself)."""
        self._tid("auth-signature").fill(signature)
        return self._submit("set-signature")

    def sdk_auth_failures(self) -> list[dict[str, Any]]:
        """What subscribeToSdkAuthenticationFailures received so far ({errorCode, reason, userId})."""
        return self.page.evaluate("window.demo.authFailures()")

    def logout(self) -> bool | None:
        return self._submit("logout")

    def set_profile(self, **standard_fields: str) -> Mapping[str, bool] | None:
        unknown = set(standard_fields) - set(STANDARD_PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"unknown profile fields {sorted(unknown)}; known: {', '.join(STANDARD_PROFILE_FIELDS)}")
        for name in STANDARD_PROFILE_FIELDS:  # every input, so stale text is not saved again
            value = standard_fields.get(name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            self._tid(name.replace("_", "-")).fill("" if value is None else str(value))
        return self._submit("save-profile")

    def set_custom_attribute(self, key: str, value: Any, *, kind: AttributeKind = "auto") -> bool | None:
        if kind not in ATTRIBUTE_KINDS:
            raise ValueError(f"unknown attribute kind {kind!r}; known: {', '.join(ATTRIBUTE_KINDS)}")
        no_value = kind == "null" or (kind == "increment" and value is None)
        self._tid("attr-key").fill(key)
        self._tid("attr-value").fill("" if no_value else _to_json(value))
        self._tid("attr-kind").select_option(kind)
        return self._submit("set-attribute")

    def log_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool | None:
        self._tid("event-name").fill(name)
        self._tid("event-props").fill("" if properties is None else _to_json(properties))
        return self._submit("log-event")

    def purchase(
        self,
        product_id: str,
        price: float,
        currency: str = "USD",
        quantity: int = 1,
        properties: Mapping[str, Any] | None = None,
    ) -> bool | None:
        self._tid("product-id").fill(product_id)
        self._tid("price").fill(str(price))
        self._tid("currency").fill(currency)
        self._tid("quantity").fill(str(quantity))
        self._tid("purchase-props").fill("" if properties is None else _to_json(properties))
        return self._submit("purchase")

    def flush(self) -> None:
        self._submit("flush")

    # ---- messaging (the demo's Content Cards feed, banner placements, flag gate) ----

    @property
    def screen(self) -> WebScreen:
        """What the SDK displays (in-app messages, the feed, banners), for `harness.screens.OnScreen`."""
        return WebScreen(self.page)

    def show_content_cards(self) -> None:
        """Open the feed: the SDK's own `showContentCards()` rendering into the page (it syncs cards)."""
        self._submit("show-cards")

    def refresh_content_cards(self) -> None:
        self._submit("refresh-cards")

    def refresh_banners(self) -> None:
        self._submit("refresh-banners")

    # ---- page plumbing ----

    def _tid(self, test_id: str) -> Locator:
        return self.page.locator(f'[data-testid="{test_id}"]')

    def _status(self, test_id: str) -> str:
        return self._tid(test_id).inner_text(timeout=self._timeout_ms).strip()

    def _wait_ready(self) -> None:
        body = self.page.locator("body[data-demo-state]")
        body.wait_for(state="attached", timeout=self._timeout_ms)
        if body.get_attribute("data-demo-state") != "ready":
            raise DemoAppError(f"demo app did not start: {self._status('status-sdk')} ({self.url})")

    def _submit(self, button_test_id: str) -> Any:
        """Click a button and return the SDK's answer the page shows; raise if the page shows an error."""
        seq = self._status("status-seq")
        self._tid(button_test_id).click(timeout=self._timeout_ms)
        # Each click bumps the counter once, so this waits for *this* click's outcome.
        expect(self._tid("status-seq")).not_to_have_text(seq, timeout=self._timeout_ms)
        error = self._status("status-error")
        action = self._status("status-last-action")
        if error:
            raise DemoAppError(f"{action}: {error}")
        shown = self._status("status-last-result")
        self.last_result = None if shown == "undefined" else json.loads(shown)
        return self.last_result


def _to_json(value: Any) -> str:
    return json.dumps(value, default=_encode_extra)


def _encode_extra(value: Any) -> Any:
    # The page revives {"$date": ...} into a JS Date, the type the SDK formats as a date.
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # naive = UTC
        return {"$date": aware.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"cannot send {type(value).__name__} to the demo app: {value!r}")
