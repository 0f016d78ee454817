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

from braze_harness.adapters.base import ATTRIBUTE_KINDS, STANDARD_PROFILE_FIELDS, AttributeKind, check_profile_fields
from braze_harness.devices.web.page_app import PageApp
from braze_harness.devices.web.push import PUSH_STUB, PushSource, WebPush, service_worker_files
from braze_harness.devices.web.screen import WebScreen
from braze_harness.devices.web.static_site import StaticSite
from braze_harness.errors import HarnessError
from playwright.sync_api import Locator, Page, expect

DEMO_DIR = Path(__file__).resolve().parent
SDK_ROUTE = "/sdk/braze.js"


class DemoAppError(HarnessError):
    """The demo page refused an action (bad input) or could not initialise the SDK."""


def demo_site(sdk_bundle: Path) -> StaticSite:
    """A (not yet started) ``StaticSite`` serving the demo app with ``sdk_bundle`` as its SDK."""
    return StaticSite(DEMO_DIR, {SDK_ROUTE: sdk_bundle, **service_worker_files()})


class WebDemoAdapter(PageApp):
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
        push_source: PushSource | None = None,
    ) -> None:
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
        url = f"{site_url.rstrip('/')}/index.html?{urlencode(query)}"
        super().__init__(page, url, timeout_s=timeout_s, init_scripts=[PUSH_STUB])
        self.push = WebPush(page, url, push_source=push_source, timeout_s=timeout_s)
        self.last_result: Any = None

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
        check_profile_fields(standard_fields)
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

    # ---- push (web push through the SDK and @braze/service-worker, push service stubbed: devices/web/push.py) ----

    def enable_push(self) -> str | None:
        """The user clicks "Enable notifications" and allows them: `requestPushPermission()` registers the service
        worker, subscribes (stubbed) and sends the endpoint as `push_token`. Returns the endpoint."""
        self.push.require_service_worker()
        self._submit("request-push")
        self._wait_push("granted")
        return self.push.endpoint()

    def disable_push_in_os(self) -> None:
        """Notifications blocked in the browser settings; the SDK notices at its next session."""
        self.push.block()

    def unregister_push(self) -> None:
        self._submit("unregister-push")
        self._wait_push("unregistered")

    def open_push(self, delivery: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The web push `delivery` (from `braze.push.send()` / `braze.push.outbox(app)`; default: the newest unopened
        one) reaches the Braze service worker and the user clicks its notification (`WebPush.open`), then the site
        opens (a page reload: the SDK's openSession() then fires the `push_click` IAM triggers). Returns the
        notification as the worker showed it (`title`, `body`, `data`, `click_stored`)."""
        shown = self.push.open(delivery, self.device_id)
        self.reload()
        return shown

    def _wait_push(self, outcome: str) -> None:
        status = self._tid("status-push")
        expect(status).not_to_have_text("pending", timeout=self._timeout_ms)
        shown = self._status("status-push")
        if shown != outcome:
            raise DemoAppError(f"push: expected {outcome!r}, the page says {shown!r}")

    # ---- messaging (the demo's Content Cards feed, banner placements, flag gate) ----

    @property
    def screen(self) -> WebScreen:
        """What the SDK displays (in-app messages, the feed, banners), for `braze_harness.screens.OnScreen`."""
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
        # One round trip: the page's handlers run during the click, so the outcome is on the page when it returns
        # (Playwright's click waits two animation frames for stability: 40 ms of a 50 ms action, 180 times a run).
        outcome = self.page.evaluate(_CLICK, button_test_id)
        if outcome is None:
            raise DemoAppError(f"the demo app has no button {button_test_id!r}")
        if outcome["disabled"]:
            raise DemoAppError(f"the demo app's button {button_test_id!r} is disabled")
        if not outcome["changed"]:  # an asynchronous handler: wait for *this* click's outcome (one bump per click)
            expect(self._tid("status-seq")).not_to_have_text(outcome["seq"], timeout=self._timeout_ms)
            outcome = self.page.evaluate(_READ_OUTCOME)
        if outcome["error"]:
            raise DemoAppError(f"{outcome['action']}: {outcome['error']}")
        shown = outcome["result"]
        self.last_result = None if shown == "undefined" else json.loads(shown)
        return self.last_result


# The outcome the status panel shows: the action counter, the last action, its result and error.
_OUTCOME_JS = """
  const text = (id) => (document.querySelector(`[data-testid="${id}"]`)?.innerText ?? "").trim();
  const outcome = () => ({seq: text("status-seq"), action: text("status-last-action"),
                          result: text("status-last-result"), error: text("status-error")});
"""
_READ_OUTCOME = f"() => {{ {_OUTCOME_JS} return outcome(); }}"
# A user's click on the button (a submit button submits its form, a required field left empty stops it as it
# would stop the user), then the outcome if the counter moved.
_CLICK = f"""(testId) => {{ {_OUTCOME_JS}
  const button = document.querySelector(`[data-testid="${{testId}}"]`);
  if (!button) return null;
  if (button.disabled) return {{disabled: true}};
  const before = text("status-seq");
  button.click();
  const after = outcome();
  return {{...after, seq: before, changed: after.seq !== before, disabled: false}};
}}"""


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
