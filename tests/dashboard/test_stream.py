"""What the dashboard reads, over real HTTP: `/_emulator/requests/stream` (server-sent events: the backlog, then each
new entry as the journal's listeners wake it, filtered, resumable after a sequence number; it never holds the event
loop) and `/_emulator/requests/{seq}` (one entry and its request decoded)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator.http.server import EmulatorServer

from tests.support.builders import ce, data_body

STREAM = "/_emulator/requests/stream"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer() as srv:
        yield srv


@pytest.fixture
def scoped(server: EmulatorServer) -> Iterator[tuple[str, str]]:
    """(scope, api key) of this test's own."""
    client = EmulatorClient(server.url)
    scope = client.create_scope("stream")
    yield scope, client.create_app(scope)["api_key"]
    client.close()


def send(server: EmulatorServer, api_key: str, name: str, user: str = "u") -> None:
    body = data_body(api_key=api_key, events=[ce(name, user=user)])
    answer = httpx.post(server.url + "/api/v3/data/", content=body, headers={"content-type": "application/json"}, trust_env=False)
    assert answer.status_code == 200


def events(text: str) -> list[dict]:
    """The `entry` events of a stream's text, parsed."""
    found = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        if "event: entry" in lines:
            found.append(json.loads(next(ln for ln in lines if ln.startswith("data: "))[6:]))
    return found


def names(entries: list[dict]) -> list[str]:
    return [e["events"][0]["data"]["n"] for e in entries]


def test_without_follow_it_sends_the_newest_matching_entries_and_ends(server: EmulatorServer, scoped: tuple[str, str]) -> None:
    scope, api_key = scoped
    for name in ("a", "b", "c"):
        send(server, api_key, name, user="ann" if name != "b" else "bob")
    params = {"scope": scope, "follow": "false"}
    whole = httpx.get(server.url + STREAM, params=params, trust_env=False)
    assert whole.headers["content-type"].startswith("text/event-stream")
    assert names(events(whole.text)) == ["a", "b", "c"]
    newest = httpx.get(server.url + STREAM, params={**params, "limit": "2"}, trust_env=False)
    assert names(events(newest.text)) == ["b", "c"]
    anns = httpx.get(server.url + STREAM, params={**params, "user_id": "ann"}, trust_env=False)
    assert names(events(anns.text)) == ["a", "c"]
    first = events(whole.text)[0]["seq"]
    resumed = httpx.get(server.url + STREAM, params={**params, "after_seq": str(first)}, trust_env=False)
    assert names(events(resumed.text)) == ["b", "c"]


def test_following_it_sends_each_new_entry_as_it_is_journaled_and_the_loop_stays_free(
    server: EmulatorServer, scoped: tuple[str, str]
) -> None:
    scope, api_key = scoped
    other = EmulatorClient(server.url)
    elsewhere = other.create_scope("stream-other")
    other_key = other.create_app(elsewhere)["api_key"]
    other.close()
    got: list[tuple[float, dict]] = []
    ready = threading.Event()

    def read() -> None:
        with (
            httpx.Client(trust_env=False, timeout=10) as client,
            client.stream("GET", server.url + STREAM, params={"scope": scope}) as s,
        ):
            block: list[str] = []
            for line in s.iter_lines():
                if line == "event: ready":
                    ready.set()
                if line:
                    block.append(line)
                    continue
                if "event: entry" in block:
                    got.append((time.monotonic(), json.loads(block[-1][6:])))
                    if len(got) == 2:
                        return
                block = []

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(10)
    # while the stream waits, the server answers at once: it waits on an event, not on the loop or a lock
    started = time.monotonic()
    assert httpx.get(server.url + "/_emulator/health", trust_env=False).status_code == 200
    assert time.monotonic() - started < 1.0
    send(server, other_key, "not_mine")
    sent = time.monotonic()
    send(server, api_key, "first")
    send(server, api_key, "second")
    reader.join(10)
    assert names([e for _, e in got]) == ["first", "second"], "another scope's entry is not sent"
    latency = got[0][0] - sent
    print(f"stream latency {latency * 1000:.1f} ms")
    assert latency < 1.0


def test_one_entry_is_answered_decoded_and_a_wrong_number_is_a_clear_error(
    server: EmulatorServer, scoped: tuple[str, str]
) -> None:
    scope, api_key = scoped
    send(server, api_key, "one_of_them")
    [entry] = httpx.get(server.url + "/_emulator/requests", params={"scope": scope}, trust_env=False).json()["entries"]
    one = httpx.get(server.url + f"/_emulator/requests/{entry['seq']}", trust_env=False).json()
    assert one["entry"]["seq"] == entry["seq"]
    assert one["decoded"]["endpoint"] == "data"
    assert one["decoded"]["body"]["events"][0]["data"]["n"] == "one_of_them"
    missing = httpx.get(server.url + "/_emulator/requests/999999", trust_env=False)
    assert missing.status_code == 404 and "no journal entry 999999" in missing.json()["message"]
    bad = httpx.get(server.url + "/_emulator/requests/x1", trust_env=False)
    assert bad.status_code == 400 and bad.json()["field"] == "seq"
    too_many = httpx.get(server.url + STREAM, params={"limit": "501"}, trust_env=False)
    assert too_many.status_code == 400 and too_many.json()["field"] == "limit"
    assert httpx.get(server.url + "/_emulator/ui/nothing.js", trust_env=False).status_code == 404
    assert httpx.get(server.url + "/_emulator/ui", trust_env=False, follow_redirects=True).url.path == "/_emulator/ui/"
