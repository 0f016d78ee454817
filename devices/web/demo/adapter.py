"""``WebDemoAdapter``: drives the demo web app (``index.html`` + ``app.js``) with Playwright.

Every action fills the page's visible form fields and clicks its buttons, like a manual
tester would; the outcome is read back from the page's status panel (``status-*``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from braze_harness import node_tools
from braze_harness.adapters.base import (
    ATTRIBUTE_KINDS,
    STANDARD_PROFILE_FIELDS,
    AppAdapter,
    AttributeKind,
    check_profile_fields,
)
from braze_harness.devices.web.screen import WebScreen
from braze_harness.devices.web.static_site import StaticSite
from braze_harness.errors import HarnessError
from playwright.sync_api import Locator, Page, expect

DEMO_DIR = Path(__file__).resolve().parent
SDK_ROUTE = "/sdk/braze.js"
# the Braze service worker (npm @braze/service-worker), served at the scope root where the SDK registers it
SERVICE_WORKER_ROUTE = "/service-worker.js"
PUSH_STUB = DEMO_DIR / "push_stub.js"  # stubbed PushSubscription and notification permission (init script)


class DemoAppError(HarnessError):
    """The demo page refused an action (bad input) or could not initialise the SDK."""


def demo_site(sdk_bundle: Path) -> StaticSite:
    """A (not yet started) ``StaticSite`` serving the demo app with ``sdk_bundle`` as its SDK."""
    files = {SDK_ROUTE: sdk_bundle}
    if (worker := node_tools.service_worker()).is_file():
        files[SERVICE_WORKER_ROUTE] = worker
    return StaticSite(DEMO_DIR, files)


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
        push_source: Callable[[str], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.page = page
        # what the browser's push service would hand the device with this id (the emulator outbox); asked with the id the
        # SDK reports, not the `device_id` option: Web SDK < 5.2.0 ignores that option and makes its own id
        self.push_source = push_source
        self._opened_pushes: set[Any] = set()
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
        self._push_stubbed = False
        self.last_result: Any = None

    # ---- lifecycle ----

    def launch(self) -> None:
        if not self._clock_installed:
            # Before the first navigation, so the SDK's timers run on the controllable clock.
            self.page.clock.install()
            self._clock_installed = True
        if not self._push_stubbed:
            self.page.add_init_script(path=str(PUSH_STUB))
            self._push_stubbed = True
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

    # ---- push (web push through the SDK and @braze/service-worker, push service stubbed: push_stub.js) ----

    def enable_push(self) -> str | None:
        """The user clicks "Enable notifications" and allows them: `requestPushPermission()` registers the service
        worker, subscribes (stubbed) and sends the endpoint as `push_token`. Returns the endpoint."""
        if not (worker := node_tools.service_worker()).is_file():
            raise DemoAppError(f"web push needs the Braze service worker (missing {worker}): {node_tools.setup_hint()}")
        self._submit("request-push")
        self._wait_push("granted")
        return self.page.evaluate("window.__qaPush.subscription()?.endpoint ?? null")

    def disable_push_in_os(self) -> None:
        """Notifications blocked in the browser settings; the SDK notices at its next session."""
        self.page.evaluate("window.__qaPush.setPermission('denied')")

    def unregister_push(self) -> None:
        self._submit("unregister-push")
        self._wait_push("unregistered")

    def open_push(self, delivery: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The web push `delivery` (from `braze.push.send()` / `braze.push.outbox(app)`) arrives in the Braze service
        worker (CDP `ServiceWorker.deliverPushMessage`: the browser's push service is the edge we stub), which shows
        the notification; then the user clicks it: the worker's `notificationclick` handler logs `pc {cid}` itself,
        and the site opens (a page reload: the SDK's openSession() then fires the `push_click` IAM triggers).
        Returns the notification as the worker showed it (`title`, `body`, `data`, `click_stored`)."""
        if delivery is None:
            waiting = [
                d
                for d in (self.push_source(self.device_id or "") if self.push_source else [])
                if d.get("platform") == "web" and d.get("id") not in self._opened_pushes
            ]
            if not waiting:
                raise DemoAppError("open_push: no unopened web push is waiting for this device (give the delivery, or send one)")
            delivery = waiting[-1]  # the newest, as a user taps the top notification; the others stay
        self._opened_pushes.add(delivery.get("id"))
        if delivery.get("platform") != "web":
            raise DemoAppError(f"delivery {delivery.get('id')} is a {delivery.get('platform')} push, not a web push")
        origin = self.url.split("/index.html", 1)[0]
        context = self.page.context
        context.grant_permissions(["notifications"], origin=origin)  # the worker's showNotification needs the real one
        cdp = context.new_cdp_session(self.page)
        try:
            registration = self._worker_registration(cdp, origin)
            cdp.send(
                "ServiceWorker.deliverPushMessage",
                {"origin": origin, "registrationId": registration, "data": json.dumps(delivery["payload"])},
            )
        finally:
            cdp.detach()
        worker = next((w for w in context.service_workers if w.url.startswith(origin)), None)
        if worker is None:
            worker = context.wait_for_event("serviceworker", timeout=self._timeout_ms)
        shown = worker.evaluate(_CLICK_NOTIFICATION, self._timeout_ms)
        if shown is None:
            raise DemoAppError(f"the service worker showed no notification for delivery {delivery.get('id')}")
        # the click brings the user to the site (the worker's own openWindow needs a real user gesture)
        self.reload()
        return shown

    def _worker_registration(self, cdp: Any, origin: str) -> str:
        found: list[dict[str, Any]] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: found.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        deadline = self._timeout_ms
        while deadline > 0:
            live = [r for r in found if r["scopeURL"].startswith(origin) and not r.get("isDeleted")]
            if live:
                return live[-1]["registrationId"]
            self.page.wait_for_timeout(50)
            deadline -= 50
        raise DemoAppError(f"no service worker registered for {origin} (was enable_push() called?)")

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


# Runs in the service worker: wait for the notification the push showed, then click it the way the browser
# does (a `notificationclick` on the worker). A script-made event cannot `waitUntil`, so the handler's
# waitUntil may throw after it has already started logging the click; that error is ignored. The handler logs
# `pc`, then stores the click in its IndexedDB (`pushClicks`), where the SDK's next openSession() finds it and
# fires the `push_click` triggers: wait for that record before the page opens.
_CLICK_NOTIFICATION = """async (timeoutMs) => {
  const until = Date.now() + timeoutMs;
  const sleep = () => new Promise((r) => setTimeout(r, 50));
  const storedClicks = () => new Promise((resolve) => {
    const open = indexedDB.open("AppboyServiceWorkerAsyncStorage");
    open.onerror = () => resolve(0);
    open.onsuccess = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains("pushClicks")) { db.close(); resolve(0); return; }
      const count = db.transaction(["pushClicks"], "readonly").objectStore("pushClicks").count();
      count.onsuccess = () => { db.close(); resolve(count.result); };
      count.onerror = () => { db.close(); resolve(0); };
    };
  });
  while (Date.now() < until) {
    const shown = await self.registration.getNotifications();
    if (shown.length) {
      const n = shown[shown.length - 1];
      const seen = {title: n.title, body: n.body, data: n.data, click_stored: false};
      try { self.dispatchEvent(new NotificationEvent("notificationclick", {notification: n})); } catch (e) {}
      while (n.data && n.data.ab_ids && Date.now() < until && !seen.click_stored) {
        seen.click_stored = (await storedClicks()) > 0;
        if (!seen.click_stored) await sleep();
      }
      return seen;
    }
    await sleep();
  }
  return null;
}"""


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
