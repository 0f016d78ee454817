"""One warm page per worker for the web demo app, reset between tests instead of a new browser context per test.

Why: on a 2-core machine the suites are CPU-bound, and a fresh context costs Chromium a new renderer process and a
cold compile of the 480 KB SDK every test. Reusing one page measured 2.3-2.7 times less CPU per test for the same
launch / log / flush (same renderer, the SDK's compiled code kept).

Isolation is what a new context gives, so the reset takes away everything a test can leave behind through the
demo app: the SDK's storage of every origin the page visited (localStorage, sessionStorage, IndexedDB, cookies,
service workers and their push data: `Storage.clearDataForOrigin`), granted permissions, and the document itself.
What a reset cannot take back (a listener, a route or a viewport the test put on the page or context) is detected
by comparing the page before and after the test, and such a page is thrown away for a fresh one. Only Chromium
(the reset speaks CDP); `--braze-fresh-contexts`, a `browser_context_args` marker or pytest-playwright's tracing,
video or screenshots give every app its own context as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

_RESET_TIMEOUT_MS = 5000


class WarmPage:
    """Leases one page of a context made by `make_context` to one app at a time; `release` resets or discards it."""

    def __init__(self, make_context: Callable[[], Any]) -> None:
        self._make_context = make_context
        self._visited: set[str] = set()  # origins of every document and frame the page showed since its last reset
        self._context: Any = None
        self._page: Any = None
        self._leased = False
        self._before: tuple[Any, ...] | None = None
        self.reused = 0  # leases served by a page that had already run a test (for the tests of this module)

    def lease(self) -> Any | None:
        """The warm page, or None while another app of the same test holds it."""
        if self._leased:
            return None
        if self._page is None or self._page.is_closed():
            self._discard()
            self._context = self._make_context()
            self._page = self._context.new_page()
            self._page.on("framenavigated", lambda frame: self._visited.update(_origin_of(frame.url)))
        else:
            self.reused += 1
        self._leased = True
        self._before = fingerprint(self._page)
        return self._page

    def release(self, page: Any) -> None:
        """After the test: reset the page for the next one, or throw it away when it cannot be reset faithfully."""
        if page is not self._page:
            return
        self._leased = False
        unchanged = self._before is not None and not page.is_closed() and fingerprint(page) == self._before
        visited, self._visited = self._visited, set()
        if not (unchanged and reset(page, visited)):
            self._discard()

    def close(self) -> None:
        self._discard()

    def _discard(self) -> None:
        context, self._context, self._page = self._context, None, None
        self._visited = set()
        if context is not None:
            with contextlib.suppress(PlaywrightError):  # the browser is already gone
                context.close()


def fingerprint(page: Any) -> tuple[Any, ...] | None:
    """What a test can add to a page or its context that a reset cannot take back: listeners per event, routes, the
    viewport. None when Playwright's internals are not as expected (the page is then never reused)."""
    try:
        page_impl, context_impl = page._impl_obj, page.context._impl_obj
        return (
            _listeners(page_impl),
            _listeners(context_impl),
            len(page_impl._routes),
            len(context_impl._routes),
            page.viewport_size,
        )
    except AttributeError:
        return None


def _listeners(emitter: Any) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((str(name), emitter.listener_count(name)) for name in emitter.event_names()))


def reset(page: Any, origins: Iterable[str] = ()) -> bool:
    """Leave the page blank with no storage, cookies, service workers or permissions left for its origins; False
    when any step failed (the caller then discards the page)."""
    context = page.context
    to_clear = {*origins, *_origin_of(page.url)}  # the page's own origin even when no navigation was seen
    try:
        cdp = context.new_cdp_session(page)
        try:
            # sessionStorage belongs to the tab, not the origin's storage: cleared from the page itself. Leaving the
            # page fires its pagehide flush, as closing a context does
            page.evaluate("() => { try { sessionStorage.clear() } catch (e) {} }")
            page.goto("about:blank", timeout=_RESET_TIMEOUT_MS)
            for origin in sorted(to_clear):
                cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
            # unregistered workers would otherwise idle on; Playwright may still list the stopped ones
            cdp.send("ServiceWorker.enable")
            cdp.send("ServiceWorker.stopAllWorkers")
        finally:
            cdp.detach()
        context.clear_permissions()
        context.clear_cookies()
    except PlaywrightError:
        return False
    return True


def _origin_of(url: str) -> tuple[str, ...]:
    parts = urlsplit(url)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme in ("http", "https") and parts.netloc else ()
