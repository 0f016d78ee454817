"""`PageApp`: an app under test that is one web page in Playwright, and its lifecycle on a controllable clock.

What every web adapter (the demo app, the CDP shops) does the same way: the Playwright clock installed before the first
navigation (so the SDK's timers run on it and `advance_time` makes time pass without waiting), the page's init scripts
(e.g. the push stand-in, `push.py`) added once, launch / reload / close. A subclass says when its page is ready
(`_wait_ready`) and implements the actions.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from pathlib import Path
from weakref import WeakKeyDictionary

from braze_harness.adapters.base import AppAdapter
from playwright.sync_api import Page

# The init scripts each page already has: a page can serve one app after another (the plugin's warm page), and a
# script added twice would run twice in every document.
_PAGE_SCRIPTS: WeakKeyDictionary[Page, set[Path]] = WeakKeyDictionary()


class PageApp(AppAdapter):
    """The app at `url` in `page`; `init_scripts` run before each document's own scripts, from the first launch on."""

    def __init__(self, page: Page, url: str, *, timeout_s: float = 10.0, init_scripts: Sequence[Path] = ()) -> None:
        self.page = page
        self.url = url
        self._timeout_ms = timeout_s * 1000
        self._init_scripts = tuple(init_scripts)
        self._clock_installed = False

    @abstractmethod
    def _wait_ready(self) -> None:
        """Wait until the page says its SDK is initialised; raise naming what the page shows when it failed."""

    def launch(self) -> None:
        if not self._clock_installed:
            # before the first navigation, so the SDK's timers run on the controllable clock
            self.page.clock.install()  # again on a page that served an app before: its clock restarts at now
            added = _PAGE_SCRIPTS.setdefault(self.page, set())
            for script in self._init_scripts:
                if script not in added:
                    self.page.add_init_script(path=str(script))
                    added.add(script)
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
