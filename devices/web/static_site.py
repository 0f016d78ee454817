"""Serve a static web app (e.g. the demo page plus the SDK bundle) on loopback.

The site gets its own ephemeral port, so its origin always differs from the emulator's
and the browser performs real CORS checks, as on a customer's site.
"""

from __future__ import annotations

import hashlib
import os
import stat as stat_mode
import threading
from collections.abc import Mapping
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self


class _Handler(SimpleHTTPRequestHandler):
    extra_files: Mapping[str, Path] = {}

    def translate_path(self, path: str) -> str:
        route = path.split("?", 1)[0].split("#", 1)[0]
        if route in self.extra_files:
            return str(self.extra_files[route])
        return super().translate_path(path)

    def send_head(self) -> Any:
        # Revalidated on every load (tests swap SDK versions behind the same URL), by an ETag naming the file, its
        # size and mtime: an unchanged file answers 304 and the browser keeps its copy and the compiled code of it
        # (a warm page loads the 480 KB SDK once per test).
        self._etag = None
        path = self.translate_path(self.path)
        try:
            stat = os.stat(path)
        except OSError:
            return super().send_head()
        if not stat_mode.S_ISREG(stat.st_mode):
            return super().send_head()
        self._etag = etag = f'"{hashlib.sha1(path.encode()).hexdigest()[:16]}-{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.end_headers()
            return None
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        if getattr(self, "_etag", None):
            self.send_header("ETag", self._etag)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class StaticSite:
    """A directory served over HTTP on 127.0.0.1, plus extra files mounted at fixed URL paths.

    >>> with StaticSite(demo_dir, {"/sdk/braze.js": bundle}) as site:
    ...     page.goto(site.url + "/index.html")
    """

    def __init__(
        self,
        root: Path,
        extra_files: Mapping[str, Path] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.root = Path(root)
        self.extra_files: dict[str, Path] = {}
        for route, file in (extra_files or {}).items():
            self.add_file(route, file)
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add_file(self, route: str, file: Path) -> None:
        """Serve ``file`` at URL path ``route`` (works before or after ``start``)."""
        if not route.startswith("/"):
            raise ValueError(f"route must start with '/': {route!r}")
        self.extra_files[route] = Path(file).resolve()

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:41234``."""
        if self._server is None:
            raise RuntimeError("StaticSite is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        if self._server is not None:
            return self.url
        handler = type("SiteHandler", (_Handler,), {"extra_files": self.extra_files})
        self._server = ThreadingHTTPServer(self._address, partial(handler, directory=str(self.root)))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # short poll: stop() returns quickly
            name=f"static-site:{self.url}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
