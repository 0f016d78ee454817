"""The local stand-in for Segment's servers: what each call is answered (no browser)."""

from __future__ import annotations

from braze_harness.devices.cdp.segment.service import BRAZE_CDN_URLS, SegmentService
from braze_harness.protocol.cdp import cdp_of


def test_the_tracking_api_is_accepted_and_anything_else_answered_empty() -> None:
    service = SegmentService(client=None, scope="s")  # type: ignore[arg-type]  # answer() needs no emulator
    assert service.answer("POST", "https://api.segment.io/v1/t", "{}") == (200, {"success": True})
    assert service.answer("POST", "https://api.segment.io/v1/batch", "{}") == (200, {"success": True})
    assert service.answer("GET", "https://cdn.segment.com/v1/projects/key/settings", None) == (200, {})
    assert service.answer("OPTIONS", "https://api.segment.io/v1/i", None) == (204, None)
    assert service.urls.match("https://api.segment.io/v1/i") and not service.urls.match("https://api.segment.io.evil/v1")
    assert cdp_of("https://api.segment.io/v1/t") == "segment" and cdp_of("https://identity.mparticle.com/v1/login") == "mparticle"


def test_only_the_destinations_braze_script_url_is_answered_from_the_local_bundle() -> None:
    assert BRAZE_CDN_URLS.match("https://js.appboycdn.com/web-sdk/4.6/braze.no-module.min.js")
    assert not BRAZE_CDN_URLS.match("https://js.appboycdn.com/web-sdk/4.6/appboy.no-amd.min.js")
    assert not BRAZE_CDN_URLS.match("https://use.fontawesome.com/7f85a56ba4.css")
