"""A CDP's servers, answered locally inside a browser context (Playwright routing), each exchange journaled.

A CDP's SDK in the shop page talks to the CDP's real hosts; a route on the browser context answers them here (so
nothing leaves the machine) and hands each exchange to the emulator's one journal (`POST /_emulator/ingest`, with the
CDP's source name and the test's scope) beside Braze's traffic. A subclass says which URLs (`urls`), under which
source (`source`), and what each request is answered (`answer`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from braze_harness.client import EmulatorClient


class CdpService:
    """Answers one browser context's requests to a CDP's hosts and journals them in `scope`."""

    source: str
    urls: re.Pattern[str]

    def __init__(self, client: EmulatorClient, scope: str) -> None:
        self.client = client
        self.scope = scope

    def attach(self, context: Any) -> None:
        """Route the CDP's hosts of `context` here (registered after the loopback block, so it wins for them)."""
        context.route(self.urls, self._handle)

    def answer(self, method: str, url: str, body: str | None) -> tuple[int, Any]:
        """(status, JSON body or None) for one request."""
        raise NotImplementedError

    def _handle(self, route: Any) -> None:
        request = route.request
        body = request.post_data
        status, response = self.answer(request.method, request.url, body)
        self.client.ingest(
            {"method": request.method, "url": request.url, "headers": dict(request.headers), "body": body,
             "status": status, "response": response, "source": self.source, "scope": self.scope}
        )  # fmt: skip
        cors = {"access-control-allow-origin": request.headers.get("origin", "*"), "access-control-allow-credentials": "true",
                "access-control-allow-headers": "*", "access-control-allow-methods": "GET, POST, OPTIONS"}  # fmt: skip
        text = "" if response is None else json.dumps(response)
        route.fulfill(status=status, headers={**cors, "content-type": "application/json"}, body=text)
