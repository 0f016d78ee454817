"""The warm page the web demo app reuses between tests: after `release` nothing of the previous test is left, and a
page the reset cannot restore is thrown away. Real Chromium on a small local site that leaves every kind of trace."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from braze_harness.plugin.warm_page import WarmPage
from playwright.sync_api import Browser

from tests.support.chromium import loopback_chromium

PAGE = b"""<!doctype html><title>traces</title><script>
window.leaveTraces = async () => {
  localStorage.setItem("ls", "1");
  sessionStorage.setItem("ss", "1");
  document.cookie = "c=1; path=/";
  await new Promise((resolve) => {
    const open = indexedDB.open("traces", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("s");
    open.onsuccess = () => { open.result.close(); resolve(); };
  });
  const registration = await navigator.serviceWorker.register("/sw.js");
  await navigator.serviceWorker.ready;
  return Boolean(registration.active || registration.waiting || registration.installing);
};
window.traces = async () => ({
  ls: localStorage.getItem("ls"),
  ss: sessionStorage.getItem("ss"),
  cookie: document.cookie,
  idb: (await indexedDB.databases()).map((d) => d.name),
  workers: (await navigator.serviceWorker.getRegistrations()).length,
  notifications: (await navigator.permissions.query({ name: "notifications" })).state,
});
addEventListener("pagehide", () => navigator.sendBeacon("/beacon", "bye"));
</script>"""


class TraceSite(ThreadingHTTPServer):
    hits: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: TraceSite

    def _answer(self) -> None:
        self.server.hits.append(self.path)
        worker = self.path == "/sw.js"
        body, kind = (b"self.addEventListener('fetch', () => {});", "text/javascript") if worker else (PAGE, "text/html")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[TraceSite]:
    server = TraceSite(("127.0.0.1", 0), _Handler)
    server.hits = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with loopback_chromium() as b:
        yield b


@pytest.fixture
def warm(browser: Browser) -> Iterator[WarmPage]:
    pool = WarmPage(browser.new_context)
    yield pool
    pool.close()


def _url(site: TraceSite) -> str:
    return f"http://127.0.0.1:{site.server_address[1]}/page.html"


def test_a_released_page_keeps_nothing_of_its_test(warm: WarmPage, site: TraceSite) -> None:
    page = warm.lease()
    page.goto(_url(site))
    page.context.grant_permissions(["notifications"])
    assert page.evaluate("leaveTraces()")
    left = page.evaluate("traces()")
    assert left == {"ls": "1", "ss": "1", "cookie": "c=1", "idb": ["traces"], "workers": 1, "notifications": "granted"}

    warm.release(page)
    again = warm.lease()

    assert again is page and warm.reused == 1  # the same warm page...
    again.goto(_url(site))
    after = again.evaluate("traces()")
    # ...with none of the previous test's storage, cookies, service worker or permission
    assert after == {"ls": None, "ss": None, "cookie": "", "idb": [], "workers": 0, "notifications": "prompt"}
    warm.release(again)


def test_a_page_with_a_listener_of_the_test_is_replaced(warm: WarmPage, site: TraceSite) -> None:
    page = warm.lease()
    page.on("console", lambda message: None)  # the reset cannot take this back
    warm.release(page)

    fresh = warm.lease()

    assert fresh is not page and page.is_closed() and warm.reused == 0
    warm.release(fresh)


def test_a_route_or_a_viewport_of_the_test_also_replaces_the_page(warm: WarmPage, site: TraceSite) -> None:
    page = warm.lease()
    page.route("**/never", lambda route: route.abort())
    warm.release(page)
    second = warm.lease()
    assert second is not page
    second.set_viewport_size({"width": 400, "height": 300})
    warm.release(second)
    assert warm.lease() is not second


def test_one_lease_at_a_time_and_a_closed_page_is_replaced(warm: WarmPage) -> None:
    page = warm.lease()
    assert warm.lease() is None  # a second app of the same test gets a context of its own
    page.close()  # the app closed it itself
    warm.release(page)
    assert warm.lease() is not page
