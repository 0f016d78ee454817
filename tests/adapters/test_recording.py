"""The test's calls on its app, recorded for the timeline (braze_harness.adapters.recording): the test keeps the very
object it had (its class, isinstance, properties, attributes), each outermost call is noted with its times, its
label (arguments abbreviated, secrets never) and what it raised."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from braze_harness.adapters.base import AppAdapter
from braze_harness.adapters.recording import CallLog, record_calls

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"


class Shop(AppAdapter):
    """An adapter with everything a real one has: properties, plain attributes, an extra public method, a call that
    makes another (login sets the SDK-auth signature), input it refuses."""

    def __init__(self) -> None:
        self.page = object()
        self.done: list[str] = []
        self._device = "dev-1"

    @property
    def device_id(self) -> str | None:
        return self._device

    @property
    def screen(self) -> str:
        return f"screen of {self._device}"

    def launch(self) -> None:
        self.done.append("launch")

    def login(self, user_id: str, signature: str | None = None) -> bool | None:
        if signature is not None:
            self.set_sdk_auth_signature(signature)
        self.done.append(f"login {user_id}")
        return True

    def set_sdk_auth_signature(self, signature: str) -> bool | None:
        self.done.append("signature")
        return True

    def logout(self) -> bool | None:
        return None

    def set_profile(self, **standard_fields: str) -> Mapping[str, bool] | None:
        return dict.fromkeys(standard_fields, True)

    def set_custom_attribute(self, key: str, value: Any, *, kind: str = "auto") -> bool | None:  # type: ignore[override]
        return True

    def log_event(self, name: str, properties: Mapping[str, Any] | None = None) -> bool | None:
        if not name:
            raise ValueError("an event needs a name\nsecond line of the message")
        time.sleep(0.01)
        return True

    def purchase(self, product_id: str, price: float, currency: str = "USD", quantity: int = 1, properties=None) -> bool | None:
        return True

    def flush(self) -> None:
        pass

    def reload(self) -> None:
        pass

    def close(self) -> None:
        self.done.append("close")

    def advance_time(self, seconds: float) -> None:
        pass

    def show_content_cards(self) -> None:
        self.done.append("cards")

    def _private(self) -> str:
        return "not recorded"


def recorded(app: Any = None, lane: str = "app") -> tuple[Any, CallLog]:
    log = CallLog()
    return record_calls(app if app is not None else Shop(), log, lane), log


def test_the_test_keeps_its_object_its_class_properties_and_attributes():
    original = Shop()
    app, _ = recorded(original)
    assert app is original and type(app) is Shop and isinstance(app, AppAdapter)
    assert app.device_id == "dev-1" and app.screen == "screen of dev-1" and app.page is original.page
    app._device = "dev-2"  # attributes stay writable, properties follow them
    assert app.device_id == "dev-2"
    assert app._private() == "not recorded"
    assert app.log_event.__name__ == "log_event" and app.log_event.__doc__ == Shop.log_event.__doc__


def test_each_call_has_its_label_and_times_in_order_and_nested_calls_are_part_of_theirs():
    app, log = recorded()
    before = time.time()
    with app:  # __enter__ launches, __exit__ closes: recorded as the test's calls
        assert app.login("ada", JWT) is True
        app.log_event("signed_in", {"plan": "pro", "seats": 3})
        app.set_custom_attribute("age", 42, kind="number")
        app.set_profile(first_name="Ada", email="ada@example.com")
        app.purchase("sku-1", 9.99)
        app.show_content_cards()
        app.advance_time(1800)
    calls = log.all()
    assert [c.label for c in calls] == [
        "launch()",
        'login("ada", signature=…)',  # the signature is a secret, and its own call is part of login
        'log_event("signed_in", {"plan": "pro", "seats": 3})',
        'set_custom_attribute("age", 42, kind="number")',
        'set_profile(first_name="Ada", email="ada@example.com")',
        'purchase("sku-1", 9.99)',
        "show_content_cards()",  # an adapter's own public method
        "advance_time(1800)",
        "close()",
    ]
    assert app.done == ["launch", "signature", "login ada", "cards", "close"]
    assert all(c.lane == "app" and c.error is None for c in calls)
    assert before <= calls[0].start and all(c.start <= c.end for c in calls)  # the journal's clock: unix seconds
    assert all(a.end <= b.start for a, b in itertools.pairwise(calls))
    event = calls[2]
    assert event.end - event.start >= 0.01
    assert event.as_json() == {
        "lane": "app", "name": "log_event", "label": event.label, "start": event.start, "end": event.end, "error": None,
    }  # fmt: skip


def test_a_call_that_raised_is_recorded_with_its_errors_first_line_and_still_raises():
    app, log = recorded()
    with pytest.raises(ValueError, match="an event needs a name"):
        app.log_event("")
    [call] = log.all()
    assert call.error == "ValueError: an event needs a name" and call.end is not None


@pytest.mark.parametrize(
    ("call", "hidden"),
    [
        (lambda app: app.login("ada", signature=JWT), JWT),
        (lambda app: app.set_sdk_auth_signature(JWT), JWT),
        (lambda app: app.log_event("token", {"auth_token": "s3cr3t-value"}), "s3cr3t-value"),
        (lambda app: app.log_event("jwt", {"list": [JWT]}), JWT[:20]),
        (lambda app: app.set_custom_attribute("pem", "-----BEGIN PRIVATE KEY-----\nMIIE"), "MIIE"),
        (lambda app: app.set_profile(first_name=JWT), JWT[:20]),
    ],
)
def test_secrets_never_reach_a_label(call, hidden):
    app, log = recorded()
    call(app)
    [recorded_call] = log.all()
    assert hidden not in recorded_call.label and "…" in recorded_call.label, recorded_call.label


def test_long_arguments_are_abbreviated():
    app, log = recorded()
    app.log_event("x" * 100, {f"k{i}": i for i in range(10)})
    [call] = log.all()
    assert len(call.label) <= 80 and call.label.startswith('log_event("xxxxxxxx') and call.label.endswith("…)")


def test_any_object_has_its_app_adapter_actions_recorded_and_nothing_else():
    class Duck:
        def launch(self) -> str:
            return "launched"

        def helper(self) -> str:  # not an AppAdapter action
            return "helped"

    app, log = recorded(Duck(), lane="app 2")
    assert app.launch() == "launched" and app.helper() == "helped"
    assert [(c.lane, c.label) for c in log.all()] == [("app 2", "launch()")]


def test_a_frozen_dataclass_is_recorded_and_an_object_without_attributes_is_refused():
    @dataclass(frozen=True)
    class Frozen:
        name: str

        def flush(self) -> str:
            return self.name

    app, log = recorded(Frozen("f"))
    assert app.flush() == "f" and [c.label for c in log.all()] == ["flush()"] and app == Frozen("f")

    class Slotted:
        __slots__ = ()

        def flush(self) -> None:
            pass

    with pytest.raises(TypeError, match="cannot record the calls of Slotted: its instances take no attribute"):
        record_calls(Slotted(), CallLog())


def test_unsent_gives_each_ended_call_once_in_order():
    log = CallLog()
    app = record_calls(Shop(), log)
    app.launch()
    app.flush()
    assert [c.name for c in log.unsent()] == ["launch", "flush"]
    assert log.unsent() == []
    app.logout()
    assert [c.name for c in log.unsent()] == ["logout"]
