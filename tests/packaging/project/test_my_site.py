"""A site with its Braze api key and host written in, tested with `braze_page` (a page of a Braze browser context) and `braze`
(docs/your-web-site.md): `pytest.ini` passes the key (`--braze-api-key`) and sends the browser through the
emulator's mitmproxy (`--braze-proxy`); each test sees only its own traffic, also with `-n 2`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from braze_harness.devices.web.static_site import StaticSite

SITE = Path(__file__).parent / "site"


@pytest.fixture(scope="session")
def my_site(braze_web_sdk_bundle: Path) -> Iterator[str]:
    """The site on a loopback port, with the Web SDK bundle the harness built (`--braze-web-sdk-version`)."""
    with StaticSite(SITE, {"/sdk/braze.js": braze_web_sdk_bundle}) as site:
        yield site.url


def test_buying_logs_an_event_on_the_users_profile(braze_page, braze, my_site) -> None:
    user = braze.uid("ada")  # unique per test
    braze_page.goto(f"{my_site}/index.html")
    braze_page.fill("#user", user)
    braze_page.click("#sign-in")
    braze_page.click("#buy")

    braze.expect.custom_event("bought", props={"sku": "sku-1"}, user=user).within(10)
    braze.expect.profile(user).has(custom_events={"bought": 1}).within(5)


def test_each_test_sees_only_its_own_purchases(braze_page, braze, my_site) -> None:
    braze_page.goto(f"{my_site}/index.html")
    for _ in range(3):
        braze_page.click("#buy")

    # the other test's purchase, sent with the same api key, is not in this test's scope
    braze.expect.custom_event("bought").exactly(3).within(10, settle=1)
