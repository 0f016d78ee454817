"""A real demo-app test (real Chromium, real @braze/web-sdk) with `--braze-timeline on` and `--alluredir`: its
`braze-timeline.svg` (and Allure's copy) draws the test's calls on each app — one lane per app, a call that raised in
red with its error — on the requests' time axis, and the attributes it set; the emulator got the calls as the test ran
(the dashboard's picture); an expectation a fixture's teardown waited on is an Allure step of the test."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.support.inner_pytest import run_inner

pytest_plugins = ["pytester"]

SVG = "{http://www.w3.org/2000/svg}"

INNER = """
import pytest


@pytest.fixture
def cart_checked_at_teardown(braze):
    yield
    braze.expect.custom_event("cart_viewed").within()


def test_calls(braze, braze_app, braze_app_factory, cart_checked_at_teardown):
    user = braze.uid("ada")
    braze_app.launch()
    braze_app.login(user)
    braze_app.set_custom_attribute("plan", "pro")
    braze_app.log_event("signed_in", {"via": "email"})
    braze_app.flush()
    braze.expect.custom_event("signed_in", user=user).within()
    with pytest.raises(ValueError):
        braze_app.set_custom_attribute("plan", "x", kind="nope")
    braze_app.log_event("cart_viewed")
    braze_app.flush()
    second = braze_app_factory()
    second.launch()
    assert braze.entries()  # a journal read: the calls so far are posted first
    posted = braze.client.calls(braze.scope)  # what the dashboard's picture of the scope draws
    assert [c["label"] for c in posted] == [c.label for c in braze.calls.all()], posted
    assert type(braze_app).__name__ == "WebDemoAdapter" and braze_app.device_id
"""


def svg_root(text: str) -> ET.Element:
    root = ET.fromstring(text.encode())  # well-formed, or this raises
    assert root.tag == f"{SVG}svg"
    return root


def titled(root: ET.Element, tag: str, kind_prefix: str) -> list[tuple[str, float]]:
    """(hover title, x) of each shape whose class starts with `kind_prefix`."""
    found = []
    for e in root.iter(f"{SVG}{tag}"):
        if (e.get("class") or "").startswith(kind_prefix):
            found.append((e.find(f"{SVG}title").text, float(e.get("x") or e.get("cx"))))
    return found


def request_x(root: ET.Element, event: str) -> float:
    """x of the request bar whose event dots (drawn right after it) include `event`."""
    bar = None
    for e in root.iter():
        if e.tag == f"{SVG}rect" and (e.get("class") or "").startswith("req"):
            bar = float(e.get("x"))
        elif e.tag == f"{SVG}circle" and e.find(f"{SVG}title").text.startswith(event) and bar is not None:
            return bar
    raise AssertionError(f"no request with {event}")


def results(folder: Path) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in (json.loads(p.read_text()) for p in folder.glob("*-result.json"))}


@pytest.mark.integration
def test_a_demo_app_tests_calls_are_on_its_timeline_and_a_teardown_expectation_is_a_step(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = run_inner(pytester, "--braze-timeline", "on", "--alluredir", "allure", timeout=240)
    result.assert_outcomes(passed=1)

    svg = (pytester.path / "test-results" / "test-inner-py-test-calls" / "braze-timeline.svg").read_text(encoding="utf-8")
    root = svg_root(svg)
    calls = [(title.split(" (")[0], x) for title, x in titled(root, "rect", "call")]
    labels = [title for title, _ in calls]
    user = next(t for t in labels if t.startswith("app: login(")).split('"')[1]
    assert labels == [
        "app: launch()",
        f'app: login("{user}")',
        'app: set_custom_attribute("plan", "pro")',
        'app: log_event("signed_in", {"via": "email"})',
        "app: flush()",
        'app: set_custom_attribute("plan", "x", kind="nope") — ValueError: unknown attribute kind \'nope\'; known: '
        "auto, string, number, boolean, date, array, object, object-merge, increment, add-to-array, remove-from-array, "
        "location, null",
        'app: log_event("cart_viewed")',
        "app: flush()",
        # the first app ran in the worker's warm page: released for the next test, not closed
        "app 2: launch()",
        "app 2: close()",  # the factory closes what it made, before the braze fixture's teardown draws the picture
    ]
    [bad] = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "call bad"]
    assert 'kind="nope"' in bad.find(f"{SVG}title").text
    x = dict(calls)
    signed_in, cart = request_x(root, "ce 'signed_in'"), request_x(root, "ce 'cart_viewed'")
    # one time axis: each event's request comes after the call that logged it, and the second call lies between them
    assert x['app: log_event("signed_in", {"via": "email"})'] <= signed_in <= x['app: log_event("cart_viewed")'] <= cart
    assert signed_in < cart

    lines = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "Test calls (10)" in lines
    listed = re.compile(r'\+\d+\.\d\d s app: log_event\("signed_in", \{"via": "email"\}\) \d+ ms')
    assert [t for t in lines if listed.fullmatch(t)], lines  # listed under the axis: when, which app, how long
    assert any(t.endswith(f"{user}: custom.plan=pro") for t in lines), "the attribute the test set, on the timeline"
    assert [t.text for t in root.iter(f"{SVG}path") if t.get("class") == "attr" for t in [t.find(f"{SVG}title")]] == [
        f"{user}: custom.plan=pro"
    ]

    test = results(pytester.path / "allure")["test_calls"]
    steps = {s["name"]: s for s in test["steps"]}
    teardown = steps["custom event 'cart_viewed'"]
    params = {p["name"]: p["value"] for p in teardown["parameters"]}
    assert teardown["status"] == "passed" and params["verdict"] == "held"
    assert params["during"] == "teardown of cart_checked_at_teardown" and params["matched"].startswith("#")
    assert "during" not in {p["name"] for p in steps[f"custom event 'signed_in' from user '{user}'"]["parameters"]}
    [attached] = [a for a in test["attachments"] if a["name"] == "Braze timeline"]
    assert (pytester.path / "allure" / attached["source"]).read_text(encoding="utf-8") == svg


def test_the_handle_sends_calls_in_batches_warns_once_when_refused_and_leaves_an_unrecordable_app_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from braze_harness.client import EmulatorClient
    from braze_harness.emulator.http.server import EmulatorServer
    from braze_harness.errors import HarnessError
    from braze_harness.plugin.handle import BrazeHandle

    class Flusher:
        def flush(self) -> None:
            pass

    class Slotted:
        __slots__ = ()

        def flush(self) -> None:
            pass

    with EmulatorServer() as server:
        client = EmulatorClient(server.url)
        handle = BrazeHandle(client, name="batches")
        app = handle.record(Flusher())
        for _ in range(1200):
            app.flush()
        assert handle.entries() == []  # a journal read sends the calls first, 500 a request (the emulator takes 1000)
        assert len(client.calls(handle.scope)) == 1000  # the newest kept

        slotted = Slotted()
        with pytest.warns(UserWarning, match="cannot record the calls of Slotted: .* its calls are not on the timeline"):
            assert handle.record(slotted) is slotted

        def refuse(*_: Any) -> None:
            raise HarnessError("emulator refused POST /_emulator/scopes/x/calls: 404 not found")

        monkeypatch.setattr(client, "post_calls", refuse)
        app.flush()
        with pytest.warns(UserWarning, match="the emulator's dashboard will not show this test's calls: emulator refused"):
            handle.publish_calls()
        app.flush()
        handle.publish_calls()  # warned once: nothing more is tried
        assert [c.label for c in handle.calls.all()[-2:]] == ["flush()", "flush()"]  # the test's own timeline has them
        handle.close()
        client.close()
