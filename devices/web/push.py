"""Web push for a page under test: what any web adapter needs to register for push and open a push, whoever calls the
Braze SDK (the demo app itself, or a CDP's Braze integration).

- The site hosts Braze's service worker (npm `@braze/service-worker`) at `/service-worker.js`, the SDK's default
  `serviceWorkerLocation` (`service_worker_files()`, mounted by the site's `StaticSite`).
- The browser's push service is the edge stood in for: `push_stub.js` (an init script) replaces
  `PushManager.subscribe` and the notification permission, since headless Chromium cannot subscribe for real.
- A delivery from the emulator's outbox reaches the service worker through CDP `ServiceWorker.deliverPushMessage`,
  the worker shows the notification, and the user's click is dispatched in the worker (`WebPush.open`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from braze_harness import node_tools
from braze_harness.errors import HarnessError
from playwright.sync_api import Page

PUSH_STUB = Path(__file__).resolve().parent / "push_stub.js"  # stubbed PushSubscription and notification permission
# the Braze service worker, served at the scope root where the SDK registers it by default
SERVICE_WORKER_ROUTE = "/service-worker.js"
PushSource = Callable[[str], list[dict[str, Any]]]


class WebPushError(HarnessError):
    """Web push could not be done as asked (no service worker installed or registered, no push waiting, ...)."""


def service_worker_files() -> dict[str, Path]:
    """The Braze service worker at its route, for a site's `StaticSite` (empty when it is not installed)."""
    worker = node_tools.service_worker()
    return {SERVICE_WORKER_ROUTE: worker} if worker.is_file() else {}


class WebPush:
    """Push for the app at `app_url` in `page`. `push_source(device_id)`: what the browser's push service would hand
    the device with that id (the emulator's outbox); asked with the id the SDK reports (Web SDK < 5.2.0 ignores a
    `device_id` option and makes its own)."""

    def __init__(self, page: Page, app_url: str, *, push_source: PushSource | None = None, timeout_s: float = 10.0) -> None:
        self.page = page
        parts = urlsplit(app_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.push_source = push_source
        self._timeout_ms = timeout_s * 1000
        self._opened: set[Any] = set()

    @staticmethod
    def require_service_worker() -> None:
        """Raise, saying how to install it, when the Braze service worker the site serves is missing."""
        if not (worker := node_tools.service_worker()).is_file():
            raise WebPushError(f"web push needs the Braze service worker (missing {worker}): {node_tools.setup_hint()}")

    def endpoint(self) -> str | None:
        """The (stubbed) push subscription's endpoint: the token the SDK sends."""
        return self.page.evaluate("window.__qaPush.subscription()?.endpoint ?? null")

    def block(self) -> None:
        """Notifications blocked in the browser settings (the subscription goes with them); the SDK notices at its next
        session."""
        self.page.evaluate("window.__qaPush.setPermission('denied')")

    def open(self, delivery: Mapping[str, Any] | None, device_id: str | None) -> dict[str, Any]:
        """`delivery` (default: the newest unopened web push for `device_id`) arrives in the service worker, which shows
        the notification; then the user clicks it: the worker's `notificationclick` handler logs `pc {cid}` itself and
        stores the click for the SDK's next openSession() (the `push_click` IAM triggers). The caller then opens the
        site (a reload: the worker's own openWindow needs a real user gesture). Returns the notification as the worker
        showed it (`title`, `body`, `data`, `click_stored`)."""
        if delivery is None:
            delivery = self._newest_waiting(device_id or "")
        self._opened.add(delivery.get("id"))
        if delivery.get("platform") != "web":
            raise WebPushError(f"delivery {delivery.get('id')} is a {delivery.get('platform')} push, not a web push")
        context = self.page.context
        context.grant_permissions(["notifications"], origin=self.origin)  # the worker's showNotification needs the real one
        # a push for a worker still installing is dropped by the browser: wait for the active one (a loaded machine
        # can take seconds between register() and activation)
        if not self.page.evaluate(_WORKER_ACTIVE, self._timeout_ms):
            raise WebPushError(f"no active service worker for {self.origin} (was enable_push() called?)")
        cdp = context.new_cdp_session(self.page)
        try:
            registration = self._worker_registration(cdp)
            cdp.send(
                "ServiceWorker.deliverPushMessage",
                {"origin": self.origin, "registrationId": registration, "data": json.dumps(delivery["payload"])},
            )
        finally:
            cdp.detach()
        # the newest: a page that served an earlier test (the plugin's warm page) may still list its stopped worker
        worker = next((w for w in reversed(context.service_workers) if w.url.startswith(self.origin)), None)
        if worker is None:
            worker = context.wait_for_event("serviceworker", timeout=self._timeout_ms)
        shown = worker.evaluate(_CLICK_NOTIFICATION, self._timeout_ms)
        if shown is None:
            raise WebPushError(f"the service worker showed no notification for delivery {delivery.get('id')}")
        return shown

    def _newest_waiting(self, device_id: str) -> dict[str, Any]:
        waiting = [
            d
            for d in (self.push_source(device_id) if self.push_source else [])
            if d.get("platform") == "web" and d.get("id") not in self._opened
        ]
        if not waiting:
            raise WebPushError("open_push: no unopened web push is waiting for this device (give the delivery, or send one)")
        return waiting[-1]  # the newest, as a user taps the top notification; the others stay

    def _worker_registration(self, cdp: Any) -> str:
        found: list[dict[str, Any]] = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: found.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        deadline = self._timeout_ms
        while deadline > 0:
            live = [r for r in found if r["scopeURL"].startswith(self.origin) and not r.get("isDeleted")]
            if live:
                return live[-1]["registrationId"]
            self.page.wait_for_timeout(50)
            deadline -= 50
        raise WebPushError(f"no service worker registered for {self.origin} (was enable_push() called?)")


# Runs in the page: whether the registration for its scope has an active worker within the time given.
_WORKER_ACTIVE = """(timeoutMs) => Promise.race([
  navigator.serviceWorker.ready.then((registration) => Boolean(registration.active)),
  new Promise((resolve) => setTimeout(() => resolve(false), timeoutMs)),
])"""
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
