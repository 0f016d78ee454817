"""The DSL's defaults that catch bugs: type-strict values, readable failures, the test's own workspace.

Each of these fails on the lenient behaviour it replaced (numbers equal to numeric strings, lambdas printed as
`<function ...>`, expectations reading every workspace of the test)."""

from __future__ import annotations

import json
import warnings

import pytest
from braze_harness import BrazeWorkspaceWarning, Matcher, approx, matcher, numeric
from braze_harness.emulator.app import Emulator
from braze_harness.expect import Expect, ExpectationFailed, JournalSource
from braze_harness.expect.workspaces import warn_stray
from braze_harness.journal import Journal

from tests.support.builders import append, ce, data_body


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def expect(journal: Journal) -> Expect:
    return Expect(JournalSource(journal, "t"), default_timeout=0.1)


def _sent(journal: Journal, *events: dict) -> None:
    append(journal, data_body(events=list(events)), scope="t")


# -- type-strict by default --------------------------------------------------------------------------


def test_a_numeric_string_is_not_a_number_and_the_failure_says_how_to_accept_both(journal, expect):
    _sent(journal, ce("cart", {"total": "19.99"}))
    with pytest.raises(ExpectationFailed) as failed:
        expect.custom_event("cart", props={"total": 19.99}).within(0.05)
    assert "props.total: '19.99' != 19.99 (a string, not a number: Braze keeps the type; numeric(19.99) accepts both)" in str(
        failed.value
    )
    expect.custom_event("cart", props={"total": numeric(19.99)}).within(0.05)  # opted in
    expect.custom_event("cart", props={"total": "19.99"}).within(0.05)  # the string itself


def test_a_bool_is_not_an_int_and_a_number_is_not_a_string(journal, expect):
    _sent(journal, ce("flags", {"on": 1, "n": 3, "label": "3"}))
    for props in ({"on": True}, {"n": "3"}, {"label": 3}):
        with pytest.raises(ExpectationFailed):
            expect.custom_event("flags", props=props).within(0.02)
    expect.custom_event("flags", props={"on": 1, "n": 3.0, "label": "3"}).within(0.02)  # 3 == 3.0: one JSON type


def test_attributes_are_type_strict_too(journal, expect):
    append(journal, data_body(attributes=[{"user_id": "u1", "custom": {"age": "31"}}]), scope="t")
    with pytest.raises(ExpectationFailed, match=r"custom.age: '31' != 31 \(a string, not a number"):
        expect.attributes(user="u1", custom={"age": 31}).within(0.05)
    expect.attributes(user="u1", custom={"age": numeric(31)}).within(0.05)


def test_approx_takes_numbers_only_within_its_tolerance(journal, expect):
    _sent(journal, ce("m", {"a": 10.004, "s": "10.0"}))
    expect.custom_event("m", props={"a": approx(10, abs=0.01)}).within(0.02)
    expect.custom_event("m", props={"a": approx(10, rel=1e-3)}).within(0.02)
    with pytest.raises(ExpectationFailed, match=r"props.a: 10.004 is not approx\(10 ± 0.001\)"):
        expect.custom_event("m", props={"a": approx(10, abs=0.001)}).within(0.02)
    with pytest.raises(ExpectationFailed, match=r"props.s: '10.0' is not approx"):
        expect.custom_event("m", props={"s": approx(10, abs=0.1)}).within(0.02)  # approx does not loosen the type


def test_matcher_is_a_named_predicate_and_failures_never_print_functions(journal, expect):
    _sent(journal, ce("n", {"v": 3}))
    even = matcher(lambda v: v % 2 == 0, "an even number")
    assert isinstance(even, Matcher) and even(4) and not even(3)
    with pytest.raises(ExpectationFailed) as failed:
        expect.custom_event("n", props={"v": even}).within(0.02)
    text = str(failed.value)
    assert "with props ⊇ {'v': an even number}" in text and "props.v: 3 is not an even number" in text
    with pytest.raises(ExpectationFailed) as failed:
        expect.custom_event("n", props={"v": lambda v: v > 5}).within(0.02)
    text = str(failed.value)
    assert "<function" not in text and "<lambda>" not in text
    assert "props.v: 3 does not satisfy lambda v: v > 5" in text
    with pytest.raises(TypeError, match="give a description"):
        matcher(lambda v: True, "")


def test_purchase_price_accepts_string_or_number_as_braze_does_but_nothing_else(journal, expect):
    web = {"name": "p", "time": 1795379909.0, "user_id": "u1", "data": {"pid": "sku", "c": "USD", "p": "19.99", "q": 1}}
    mobile = {"name": "p", "time": 1795379910.0, "user_id": "u2", "data": {"pid": "sku", "c": "USD", "p": 19.99, "q": 1}}
    _sent(journal, web, mobile)
    assert len(expect.purchase("sku", price=19.99).within(0.05)) == 2
    assert len(expect.purchase("sku", price="19.99").within(0.05)) == 2
    with pytest.raises(ExpectationFailed) as failed:
        expect.purchase("sku", price=20).within(0.02)
    text = str(failed.value)
    assert "numeric(20) (a number or numeric string)" in text and "<function" not in text
    with pytest.raises(ExpectationFailed):
        expect.purchase("sku", quantity="1").within(0.02)  # the quantity is a number


# -- workspaces ---------------------------------------------------------------------------------------


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


def _send(emu: Emulator, key: str, user: str, *names: str, device: str = "dev-1") -> None:
    body = {
        "api_key": key,
        "device_id": device,
        "time": 1795379909,
        "user_id": user,
        "events": [
            {"name": "ce", "time": 1795379909.5, "session_id": "s1", "user_id": user, "data": {"n": n, "p": {}}} for n in names
        ],
    }
    answer = emu.handle("POST", "http://127.0.0.1/api/v3/data/", {"X-Braze-Api-Key": key}, json.dumps(body))
    assert answer.status == 200


def test_expectations_read_the_test_workspace_unless_told(emu):
    scope = emu.create_scope("ws")
    test_key = emu.create_app(scope)["api_key"]
    prod_key = emu.create_app(scope, workspace="prod")["api_key"]
    expect = Expect(JournalSource(emu.journal, scope, emu.state), default_timeout=0.1)
    _send(emu, prod_key, "ada", "bought")  # a staging build on the production key
    with pytest.raises(ExpectationFailed) as failed:
        expect.custom_event("bought", user="ada").within(0.05)
    assert (
        "1 matching event(s) in workspace 'prod', not looked in (expectations read 'test' unless told: "
        ".in_workspace('prod') or .in_all_workspaces())" in str(failed.value)
    )
    expect.custom_event("bought", user="ada").in_workspace("prod").within(0.05)
    expect.in_workspace("prod").custom_event("bought").within(0.05)
    expect.custom_event("bought").in_all_workspaces().within(0.05)
    _send(emu, test_key, "ada", "browsed")
    expect.custom_event("browsed", user="ada").within(0.05)
    expect.custom_event("browsed").in_workspace("prod").never(within=0.05)
    assert expect.looked == {"test", "prod", None}


def test_profile_expectations_read_the_test_workspace_and_name_the_profile_that_exists(emu):
    scope = emu.create_scope("ws")
    emu.create_app(scope)
    prod_key = emu.create_app(scope, workspace="prod")["api_key"]
    expect = Expect(JournalSource(emu.journal, scope, emu.state), default_timeout=0.1)
    _send(emu, prod_key, "ada", "bought")
    with pytest.raises(ExpectationFailed) as failed:
        expect.profile("ada").has(custom_events={"bought": 1}).within(0.05)
    text = str(failed.value)
    assert "no profile with external_id 'ada'" in text
    assert 'nearest: profile {"external_id":"ada"' in text and '"workspace":"prod"' in text
    assert "same external id, in workspace 'prod'" in text and "on a device that sent as this user" in text
    assert expect.profile("ada").in_workspace("prod").has(custom_events={"bought": 1}).within(0.05)["external_id"] == "ada"
    expect.profile("ada").in_all_workspaces().has(custom_events={"bought": 1}).within(0.05)


def test_no_profile_lists_similar_external_ids_with_their_key_fields(emu):
    scope = emu.create_scope("near")
    key = emu.create_app(scope)["api_key"]
    expect = Expect(JournalSource(emu.journal, scope, emu.state), default_timeout=0.1)
    _send(emu, key, "ada-1f2e3d", "opened", device="dev-a")
    _send(emu, key, "zed", "opened", device="dev-z")
    with pytest.raises(ExpectationFailed) as failed:
        expect.profile("ada-1f2e3c").within(0.05)
    lines = str(failed.value).splitlines()
    first = next(i for i, line in enumerate(lines) if "nearest:" in line)
    assert '"external_id":"ada-1f2e3d"' in lines[first] and "similar external id" in lines[first]
    assert '"devices":["dev-a"]' in lines[first] and '"custom_events":{"opened":1}' in lines[first]
    assert any('"external_id":"zed"' in line and "recently seen" in line for line in lines[first + 1 :])


def test_traffic_in_a_workspace_nobody_looked_in_warns_with_the_workspace_and_count(emu):
    scope = emu.create_scope("warn")
    test_key = emu.create_app(scope)["api_key"]
    prod_key = emu.create_app(scope, workspace="prod")["api_key"]
    _send(emu, prod_key, "ada", "a", "b")
    _send(emu, prod_key, "ada", "c")
    _send(emu, test_key, "ada", "d")
    entries = emu.journal.query()
    keys = {test_key: "test", prod_key: "prod"}
    with pytest.warns(BrazeWorkspaceWarning, match=r"2 request\(s\) of this test went to workspace 'prod'"):
        assert warn_stray(entries, keys, looked_in={"test"}) == {"prod": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warn_stray(entries, keys, looked_in={"test", "prod"}) == {}  # the test looked there
        assert warn_stray(entries, keys, looked_in={None}) == {}


def test_nothing_lost_reads_the_test_workspace_too(emu):
    scope = emu.create_scope("lost")
    emu.create_app(scope)
    prod_key = emu.create_app(scope, workspace="prod")["api_key"]
    expect = Expect(JournalSource(emu.journal, scope, emu.state), default_timeout=0.1)
    _send(emu, prod_key, "ada", "paid")
    with pytest.raises(ExpectationFailed, match="never sent: ce 'paid'"):
        expect.nothing_lost("ada", ["paid"]).within(0.05)
    assert [d.name for d in expect.nothing_lost("ada", ["paid"]).in_workspace("prod").within(0.05)] == ["paid"]
