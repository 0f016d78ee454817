"""Segment's servers, answered locally inside the browser context (`CdpService`), each exchange journaled.

The shop's analytics-next talks to Segment's real hosts (`SEGMENT_HOSTS`): its tracking API (`api.segment.io/v1/i`,
`/t`, `/p`, `/batch`, metrics `/m`) and its CDN (settings, which the shop passes in code, so normally never asked).
A route on the browser context answers them here, so nothing leaves the machine, and journals each exchange with
source `segment`. The tracking API answers 200 `{"success": true}`, as Segment's does.

Not Segment's traffic but the destination's: the Braze Web SDK it loads from Braze's CDN
(`https://js.appboycdn.com/web-sdk/{version}/braze.no-module.min.js`) is answered with the bundle of the destination's
own `@braze/web-sdk` dependency (`serve_braze_sdk`), a static script, not journaled.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from braze_harness.devices.cdp.service import CdpService
from braze_harness.protocol.cdp import SEGMENT_SOURCE, SEGMENT_URLS

BRAZE_CDN_URLS = re.compile(r"^https://js\.appboycdn\.com/web-sdk/[^/]+/braze\.no-module(?:\.min)?\.js(?:\?.*)?$")


class SegmentService(CdpService):
    """Answers one browser context's Segment requests and journals them in `scope`."""

    source = SEGMENT_SOURCE
    urls = SEGMENT_URLS

    def answer(self, method: str, url: str, body: str | None) -> tuple[int, Any]:
        if method == "OPTIONS":
            return 204, None
        return 200, {"success": True} if "//api.segment.io/" in url else {}


def serve_braze_sdk(context: Any, script: Path) -> None:
    """Answer the destination's Braze CDN script URL in `context` with `script` (the locally bundled Web SDK)."""
    body = script.read_bytes()
    context.route(BRAZE_CDN_URLS, lambda route: route.fulfill(status=200, content_type="text/javascript", body=body))
