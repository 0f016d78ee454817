"""Races on the PostgreSQL state, run on purpose and repeated: two replicas (two `PostgresState`s with pools of their
own, one run) receive requests at the same moment, released together by a barrier. Whatever the interleaving, the
outcome is the one the in-memory store gives for the same requests one after the other."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from braze_harness.emulator.state.store_pg import RESEND, PostgresState

from tests.support.fake_sdk import FakeSdk

ITERATIONS = 20


@pytest.fixture
def replicas(postgres_server):
    first = PostgresState(postgres_server.dsn, pool_size=4)
    second = PostgresState(postgres_server.dsn, run=first.run, pool_size=4)
    yield first, second
    first.close()
    second.close()


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call on a thread of its own, all released at once; their results in order (an error re-raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # handed to the test's thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def test_two_devices_identifying_as_one_external_id_at_once_end_in_one_profile(replicas):
    first, second = replicas
    for i in range(ITERATIONS):
        user = f"ada-{i}"
        a, b = FakeSdk(first), FakeSdk(second)
        a.log_event("before")  # each device has an anonymous profile of its own, merged or renamed on identification
        b.log_event("before")
        ra = a.request([a.event("ce", {"n": "login", "p": {}}, user=user)])
        rb = b.request([b.event("ce", {"n": "login", "p": {}}, user=user)])
        applied = together(partial(first.apply, ra, received_at=a.clock), partial(second.apply, rb, received_at=b.clock))
        assert applied == [[], []]
        (profile,) = first.profiles(external_id=user)
        assert profile.custom_events["login"].count == 2
        assert profile.custom_events["before"].count == 2, "both anonymous histories reached the user"
        assert {d for _app, d in profile.devices} == {a.device_id, b.device_id}
        assert second.profiles(device_id=a.device_id) == second.profiles(device_id=b.device_id) == [profile]
    assert first.index_errors() == []


def test_concurrent_increments_array_adds_and_sessions_on_one_user_stay_exact(replicas):
    first, second = replicas
    writers = 4  # two per replica
    per_writer = 5
    for i in range(ITERATIONS):
        user = f"counter-{i}"
        sdks = [FakeSdk(replicas[w % 2]) for w in range(writers)]
        for sdk in sdks:
            sdk.user = user

        def write(sdk: FakeSdk, prefix: str) -> None:
            for n in range(per_writer):
                sdk.session_id = f"{prefix}-{n}"
                sdk.send(
                    [
                        sdk.event("ss", {}),
                        sdk.event("inc", {"key": "plays", "value": 1}),
                        sdk.event("add", {"key": "tags", "value": f"{prefix}-{n}"}),
                        sdk.event("ce", {"n": "played", "p": {}}),
                    ]
                )

        together(*(partial(write, sdk, f"{i}.{w}") for w, sdk in enumerate(sdks)))
        (profile,) = first.profiles(external_id=user)
        total = writers * per_writer
        assert profile.custom["plays"] == total
        assert sorted(profile.custom["tags"]) == sorted(f"{i}.{w}-{n}" for w in range(writers) for n in range(per_writer))
        assert sorted(profile.sessions) == sorted(profile.custom["tags"])
        assert profile.session_count == total
        assert profile.custom_events["played"].count == total
    assert second.index_errors() == []


def test_the_same_request_on_two_replicas_at_once_is_applied_once(replicas):
    first, second = replicas
    for i in range(ITERATIONS):
        sdk = FakeSdk(first)
        sdk.user = f"resend-{i}"
        request = sdk.request([sdk.event("ce", {"n": "checkout", "p": {"i": i}}), sdk.event("inc", {"key": "n", "value": 2})])
        problems = together(
            partial(first.apply, request, received_at=sdk.clock), partial(second.apply, request, received_at=sdk.clock)
        )
        assert sorted(len(p) for p in problems) == [0, 1], "one applied it, the other was told it is a resend"
        (resend,) = problems[0] + problems[1]
        assert (resend.message, resend.severity) == (RESEND, "info")
        (profile,) = second.profiles(external_id=f"resend-{i}")
        assert profile.custom_events["checkout"].count == 1
        assert profile.custom["n"] == 2


def test_a_resend_later_on_another_replica_is_not_applied_again_but_another_request_is(replicas):
    first, second = replicas
    sdk = FakeSdk(first)
    sdk.user = "late"
    request = sdk.request([sdk.event("ce", {"n": "buy", "p": {}})])
    assert first.apply(request, received_at=1.0) == []
    assert [p.message for p in second.apply(request, received_at=2.0)] == [RESEND]
    assert FakeSdk(second, device_id=sdk.device_id).send([sdk.event("ce", {"n": "buy", "p": {}}, user="late")]) == []
    (profile,) = first.profiles(external_id="late")
    assert profile.custom_events["buy"].count == 2
