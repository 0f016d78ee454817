"""The mitmproxy addon without a network: mitmproxy's own `taddons` context and `tflow` flows
(options, configure errors, emulate answers, refusals, forwarding, observe ingestion, streaming)."""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():  # mitmproxy's dependencies warn about their own dependencies on import
    warnings.simplefilter("ignore", DeprecationWarning)
    from mitmproxy import connection, exceptions, http
    from mitmproxy.proxy.server_hooks import ServerConnectionHookData
    from mitmproxy.test import taddons, tflow

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.journal import Query
from braze_harness.proxy_addons.braze_capture import BrazeCapture, parse_emulator, parse_hosts

from tests.support.paths import REPO

ADDON_FILE = REPO / "proxy_addons" / "braze_capture.py"
BRAZE = "https://sdk.iad-01.braze.com"
ORIGIN = "http://127.0.0.1:5000"


def sdk_body(api_key: str = "k1", device_id: str = "dev-1", **extra: Any) -> bytes:
    event = {"name": "ce", "time": 1795379909.5, "data": {"n": "song_played", "p": {"genre": "jazz"}}, "session_id": "s1"}
    body = {"api_key": api_key, "device_id": device_id, "time": 1795379909, "sdk_version": "6.13.0", "events": [event]}
    return json.dumps({**body, **extra}).encode()


def flow_for(method: str, url: str, body: bytes = b"", **headers: str) -> http.HTTPFlow:
    hdrs = {"content-type": "application/json", "origin": ORIGIN, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return tflow.tflow(req=http.Request.make(method, url, body, hdrs))


def sdk_flow(path: str = "/api/v3/data/", body: bytes | None = None, host: str = BRAZE, **headers: str) -> http.HTTPFlow:
    return flow_for("POST", host + path, sdk_body() if body is None else body, x_braze_api_key="k1", **headers)


def connect_flow(host: str, port: int = 443) -> http.HTTPFlow:
    f = tflow.tflow(req=http.Request.make("CONNECT", f"http://{host}:{port}/"))
    f.request.host, f.request.port = host, port
    return f


class FakeClient:
    """Stands in for EmulatorClient: records what the addon would POST to /_emulator/ingest."""

    def __init__(self) -> None:
        self.ingested: list[dict[str, Any]] = []

    def ingest_many(self, exchanges: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.ingested.extend(exchanges)
        return [{"index": i, "seq": len(self.ingested)} for i in range(len(exchanges))]


def run(hook: Any) -> None:
    """Run one of the addon's async hooks to its end (mitmproxy awaits them on its loop)."""
    asyncio.run(hook)


@pytest.fixture
def emu() -> Emulator:
    return Emulator(EmulatorSettings(port=0))


# -- options --------------------------------------------------------------------------------------


def test_options_defaults_and_parsing(emu: Emulator) -> None:
    addon = BrazeCapture(emu)
    with taddons.context(addon) as tctx:
        assert (tctx.options.braze_mode, tctx.options.braze_emulator, tctx.options.braze_allow_hosts) == ("emulate", "", "")
        tctx.configure(addon, braze_mode="observe", braze_emulator="http://127.0.0.1:9090/", braze_allow_hosts="a.test, *.b.test")
        assert addon.mode == "observe"
        assert addon.target is not None and (addon.target.host, addon.target.port, addon.target.url) == (
            "127.0.0.1",
            9090,
            "http://127.0.0.1:9090",
        )
        assert addon._upstream_allowed("a.test") and addon._upstream_allowed("x.b.test") and addon._upstream_allowed("127.0.0.5")
        assert not addon._upstream_allowed("b.test.evil") and not addon._upstream_allowed("example.com")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("braze_mode", "record", "braze_mode"),
        ("braze_emulator", "127.0.0.1:9090", "braze_emulator: '127.0.0.1:9090' is not an http(s) URL"),
        ("braze_emulator", "http://127.0.0.1:99999", "invalid port"),
        ("braze_allow_hosts", "https://api.example.com", "give host names, not URLs"),
        ("braze_allow_hosts", "a b.com", "not a host name"),
    ],
)
def test_bad_options_are_refused_with_their_name(option: str, value: str, message: str) -> None:
    addon = BrazeCapture()
    with taddons.context(addon) as tctx:
        with pytest.raises(exceptions.OptionsError, match=message.replace("(", r"\(").replace(")", r"\)")):
            tctx.configure(addon, **{option: value})
        assert getattr(tctx.options, option) != value  # rolled back


def test_emulate_makes_connections_lazy() -> None:
    addon = BrazeCapture()
    with taddons.context(addon) as tctx:
        tctx.options.add_option("connection_strategy", str, "eager", "", choices=("eager", "lazy"))
        tctx.configure(addon, braze_mode="emulate")
        assert tctx.options.connection_strategy == "lazy"  # eager would connect to sdk.*.braze.com first


def test_pure_parsers() -> None:
    assert parse_emulator("") is None
    assert parse_emulator("https://emu.test/base/").prefix == "/base"  # type: ignore[union-attr]
    assert parse_hosts(" A.test ,*.b.test,.c.test, [::1] ") == (frozenset({"a.test", "::1"}), (".b.test", ".c.test"))


def test_loads_as_a_mitmdump_script() -> None:
    """`mitmdump -s proxy_addons/braze_capture.py` loads the file as a script: it exports one BrazeCapture."""
    with taddons.context() as tctx:
        module = tctx.script(str(ADDON_FILE))
        [addon] = module.addons
        assert type(addon).__name__ == "BrazeCapture" and addon.mode == "emulate"


# -- emulate ----------------------------------------------------------------------------------------


def test_emulate_answers_braze_from_the_in_process_emulator(emu: Emulator) -> None:
    addon = BrazeCapture(emu)
    with taddons.context(addon):
        f = sdk_flow()
        run(addon.request(f))
        assert f.response is not None and f.response.status_code == 200
        answer = json.loads(f.response.content)
        assert answer["config"]["global_request_rate_limit"] == {"enabled": False}  # the emulator's handshake
        assert f.response.headers["access-control-allow-origin"] == ORIGIN
        assert f.metadata["braze"] == {"sdk": True, "endpoint": "data", "action": "emulated", "journal_seq": 1}
        [entry] = emu.journal.query()
        assert (entry.source, entry.exchange.url, entry.good) == ("proxy", BRAZE + "/api/v3/data/", True)
        assert [e.data.n for e in entry.events] == ["song_played"]
        assert emu.profiles(device_id="dev-1")[0]["custom_events"] == {"song_played": 1}


def test_emulate_preflight_non_post_and_compressed_bodies(emu: Emulator) -> None:
    addon = BrazeCapture(emu)
    with taddons.context(addon):
        pre = flow_for("OPTIONS", BRAZE + "/api/v3/data/", access_control_request_headers="x-braze-api-key")
        run(addon.request(pre))
        assert pre.response is not None and pre.response.status_code == 204
        assert pre.response.headers["access-control-allow-headers"] == "x-braze-api-key"
        assert emu.preflights == 1

        get = flow_for("GET", BRAZE + "/api/v3/data/", x_braze_api_key="k1")
        run(addon.request(get))
        assert get.response is not None and get.response.status_code == 405

        zipped = sdk_flow(body=sdk_body(device_id="dev-gz"), content_encoding="gzip")  # mitmproxy gzips it on the wire
        assert zipped.request.raw_content[:2] == b"\x1f\x8b"
        run(addon.request(zipped))
        assert zipped.response is not None and zipped.response.status_code == 200
        entry = emu.journal.query()[-1]
        # journaled as read: the canonical (expanded) body text next to the headers as sent
        assert entry.good and entry.device_id == "dev-gz" and entry.exchange.body.startswith("{")


def test_emulate_recognises_braze_by_header_on_a_custom_host(emu: Emulator) -> None:
    addon = BrazeCapture(emu)
    with taddons.context(addon):
        f = sdk_flow(path="/braze/data/", host="https://track.customer.example")
        run(addon.request(f))
        assert f.response is not None and f.response.status_code == 200
        assert f.metadata["braze"]["action"] == "emulated"


def test_emulate_refuses_every_other_host(emu: Emulator) -> None:
    addon = BrazeCapture(emu)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_allow_hosts="api.allowed.test")
        phone_home = flow_for("POST", "http://update.googleapis.com/service/update2/json", b"{}")
        run(addon.request(phone_home))
        assert phone_home.response is not None and phone_home.response.status_code == 403
        assert phone_home.metadata["braze"]["action"] == "refused"
        not_sdk = flow_for("GET", BRAZE + "/sse?mite=x")  # a Braze host, but no SDK request: not served
        run(addon.request(not_sdk))
        assert not_sdk.response is not None and not_sdk.response.status_code == 403

        for url in ("http://127.0.0.1:8000/index.html", "http://localhost/x", "https://api.allowed.test/v1"):
            ok = flow_for("GET", url)
            run(addon.request(ok))
            assert ok.response is None and ok.metadata["braze"]["action"] == "passthrough", url
        assert list(addon.refused) == ["update.googleapis.com", "sdk.iad-01.braze.com"]
        assert emu.journal.query() == []


def test_emulate_connect_lets_braze_hosts_in_and_refuses_the_rest() -> None:
    addon = BrazeCapture()
    with taddons.context(addon) as tctx:
        for host in ("sdk.iad-01.braze.com", "sdk-tracking.fra-02.braze.eu", "x.api.appboy.eu", "127.0.0.1"):
            f = connect_flow(host)
            run(addon.http_connect(f))
            assert f.response is None, host
        for host in ("accounts.google.com", "braze.com.evil.test"):
            f = connect_flow(host)
            run(addon.http_connect(f))
            assert f.response is not None and f.response.status_code == 403, host
            assert f.metadata["braze"]["connect"] == "refused"
        tctx.configure(addon, braze_mode="observe")
        f = connect_flow("accounts.google.com")
        run(addon.http_connect(f))
        assert f.response is None


def test_emulate_never_connects_upstream_beyond_loopback_and_allowed_hosts() -> None:
    addon = BrazeCapture()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_emulator="http://emulator.lab.test:9090", braze_allow_hosts="ok.test")

        def attempt(host: str) -> str | None:
            server = connection.Server(address=(host, 443))
            run(addon.server_connect(ServerConnectionHookData(server=server, client=tflow.tclient_conn())))
            return server.error

        assert attempt("sdk.iad-01.braze.com") is not None
        assert attempt("127.0.0.1") is None and attempt("ok.test") is None and attempt("emulator.lab.test") is None
        tctx.configure(addon, braze_mode="observe")
        assert attempt("sdk.iad-01.braze.com") is None


def test_emulate_forwards_to_a_remote_emulator_keeping_the_sdk_host() -> None:
    addon = BrazeCapture()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_emulator="http://127.0.0.1:9090/emu")
        f = sdk_flow()
        run(addon.request(f))
        assert f.response is None  # mitmproxy sends it on, to the emulator
        req = f.request
        assert (req.scheme, req.host, req.port, req.path) == ("http", "127.0.0.1", 9090, "/emu/api/v3/data/")
        assert req.host_header == "sdk.iad-01.braze.com" and req.headers["x-forwarded-proto"] == "https"
        assert f.metadata["braze"]["action"] == "forwarded"


def test_an_emulator_failure_is_a_502_not_a_crash(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("state exploded")

    monkeypatch.setattr(emu, "ingest", boom)
    addon = BrazeCapture(emu)
    with taddons.context(addon):
        f = sdk_flow()
        run(addon.request(f))
        assert f.response is not None and f.response.status_code == 502
        assert b"state exploded" in f.response.content


# -- observe ----------------------------------------------------------------------------------------


def answered(f: http.HTTPFlow, status: int, body: Any, **headers: str) -> http.HTTPFlow:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    f.response = http.Response.make(status, raw, {"content-type": "application/json", **headers})
    return f


def test_observe_passes_through_and_ingests_remotely() -> None:
    client = FakeClient()
    addon = BrazeCapture(client=client)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_mode="observe", braze_emulator="http://127.0.0.1:9090")
        f = sdk_flow(x_braze_req_attempt="2")
        run(addon.request(f))
        assert f.response is None and f.metadata["braze"]["action"] == "observed"
        other = flow_for("GET", "https://www.example.com/")
        run(addon.request(other))
        assert other.response is None and other.metadata["braze"]["action"] == "passthrough"
        addon.response(answered(f, 200, {"config": {"time": 1}}, content_encoding="identity"))
        addon.response(answered(other, 200, b"<html>"))
        assert addon.flush(5)
        [sent] = client.ingested
        assert sent["method"] == "POST" and sent["url"] == BRAZE + "/api/v3/data/" and sent["source"] == "proxy"
        assert sent["status"] == 200 and sent["response"] == {"config": {"time": 1}}
        assert json.loads(sent["body"])["device_id"] == "dev-1"
        assert sent["headers"]["x-braze-req-attempt"] == "2" and sent["received_at"] == f.request.timestamp_start


def test_observe_remote_batches_and_loses_nothing(server) -> None:
    """A burst of observed flows reaches a real remote emulator in a few ingest calls, every one journaled."""
    from braze_harness.client import EmulatorClient

    class Counting(EmulatorClient):
        calls = 0

        def ingest_many(self, exchanges: list[dict[str, Any]]) -> list[dict[str, Any]]:
            Counting.calls += 1
            return super().ingest_many(exchanges)

    client = Counting(server.url)
    key = server.emulator.create_app(server.emulator.create_scope("observe-batch"))["api_key"]
    addon = BrazeCapture(client=client)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_mode="observe", braze_emulator=server.url)
        for i in range(300):
            f = flow_for("POST", BRAZE + "/api/v3/data/", sdk_body(api_key=key, device_id=f"dev-{i}"), x_braze_api_key=key)
            run(addon.request(f))
            addon.response(answered(f, 200, {}))
        assert addon.flush(30)
    entries = server.emulator.journal.query(Query(api_key=key))
    assert sorted(e.device_id for e in entries) == sorted(f"dev-{i}" for i in range(300))
    assert all(e.good and e.source == "proxy" for e in entries)
    assert Counting.calls < 300


def test_ingest_batch_route_keeps_good_items_and_names_bad_ones(server) -> None:
    import httpx

    good = {"method": "POST", "url": BRAZE + "/api/v3/data/", "body": sdk_body().decode(), "status": 200, "response": {}}
    resp = httpx.post(server.url + "/_emulator/ingest/batch", json={"exchanges": [good, {"method": "POST"}, good]})
    assert resp.status_code == 201
    first, bad, third = resp.json()["entries"]
    assert bad == {"index": 1, "error": "exchanges[1].url: Field required"}
    assert third["seq"] == first["seq"] + 1
    wrong = httpx.post(server.url + "/_emulator/ingest/batch", json=[good])
    assert wrong.status_code == 400 and "JSON object" in wrong.json()["message"]


def test_observe_in_process_journals_and_applies_only_accepted_requests(emu: Emulator) -> None:
    addon = BrazeCapture(emu)
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_mode="observe")
        ok = sdk_flow()
        run(addon.request(ok))
        addon.response(answered(ok, 200, {}))
        refused = sdk_flow(body=sdk_body(device_id="dev-2"))
        run(addon.request(refused))
        addon.response(answered(refused, 503, b"busy"))
        dropped = sdk_flow(body=sdk_body(device_id="dev-3"))
        run(addon.request(dropped))
        dropped.error = tflow.terr()
        addon.error(dropped)

        entries = emu.journal.query()
        assert [(e.device_id, e.exchange.status, e.source) for e in entries] == [
            ("dev-1", 200, "proxy"),
            ("dev-2", 503, "proxy"),
            ("dev-3", None, "proxy"),
        ]
        assert entries[1].exchange.response == "busy"
        assert ok.metadata["braze"]["journal_seq"] == 1
        assert emu.profiles(device_id="dev-1")[0]["custom_events"] == {"song_played": 1}
        assert emu.profiles(device_id="dev-2") == [] and emu.profiles(device_id="dev-3") == []  # the SDK resends those


def test_event_streams_are_streamed() -> None:
    addon = BrazeCapture()
    with taddons.context(addon) as tctx:
        tctx.configure(addon, braze_mode="observe")
        f = flow_for("GET", "https://dust.braze.test/sse?mite=abc")
        run(addon.request(f))
        f.response = http.Response.make(200, b"", {"content-type": "text/event-stream; charset=utf-8"})
        addon.responseheaders(f)
        assert f.response.stream is True and f.metadata["braze"]["streamed"] is True
        plain = answered(sdk_flow(), 200, {})
        addon.responseheaders(plain)
        assert not plain.response.stream  # type: ignore[union-attr]
