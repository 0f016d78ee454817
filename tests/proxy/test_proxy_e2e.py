"""The addon in the real mitmproxy, over real sockets, loopback only: in process (DumpMaster) and as
`mitmdump -s proxy_addons/braze_capture.py`; HTTPS to `sdk.iad-01.braze.com` answered by the emulator,
everything else refused; observe mode journaling into a remote emulator; event streams streamed;
the real Web SDK in Chromium through the proxy, trusting the run's CA by SPKI flag or NSS db.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from braze_harness.devices.web.chromium import CHROMIUM_ARGS, find_chromium
from braze_harness.devices.web.demo.adapter import WebDemoAdapter, demo_site
from braze_harness.devices.web.sdk_bundle import ensure_bundle
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.errors import HarnessConfigError
from braze_harness.expect import Expect, JournalSource
from braze_harness.proxy import ca
from braze_harness.proxy.runner import InProcessProxy, MitmdumpProcess, ProxyError
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from tests.support.paths import REPO

BRAZE = "https://sdk.iad-01.braze.com"
REPO = REPO


def sdk_request(device_id: str = "dev-1", api_key: str = "k-e2e", name: str = "song_played") -> dict:
    event = {
        "name": "ce",
        "time": 1795379909.5,
        "data": {"n": name, "p": {"genre": "jazz"}},
        "session_id": "s1",
        "user_id": "ada",
    }
    return {"api_key": api_key, "device_id": device_id, "time": 1795379909, "sdk_version": "6.13.0", "events": [event]}


def through(proxy: InProcessProxy | MitmdumpProcess) -> httpx.Client:
    """An HTTP client using the proxy and trusting (only) its CA."""
    return httpx.Client(proxy=proxy.url, verify=ssl.create_default_context(cafile=proxy.ca_cert), trust_env=False, timeout=10)


def post_sdk(client: httpx.Client, base: str = BRAZE, **kw: str) -> httpx.Response:
    body = sdk_request(**kw)
    return client.post(f"{base}/api/v3/data/", json=body, headers={"X-Braze-Api-Key": body["api_key"]})


def test_emulate_in_process_answers_braze_over_https_and_refuses_the_rest() -> None:
    emu = Emulator(EmulatorSettings(port=0))
    with InProcessProxy(emulator=emu) as proxy, through(proxy) as client:
        resp = post_sdk(client)
        assert resp.status_code == 200 and resp.json()["config"]["global_request_rate_limit"] == {"enabled": False}
        with pytest.raises(httpx.ProxyError, match="403"):
            client.get("https://update.googleapis.com/service/update2/json")  # CONNECT refused
        plain = client.get("http://connectivitycheck.gstatic.com/generate_204")
        assert plain.status_code == 403 and b"braze_capture" in plain.content
        assert proxy.addon.counts["emulated"] == 1 and "update.googleapis.com" in proxy.addon.refused
    [entry] = emu.journal.query()
    assert (entry.source, entry.exchange.url, entry.good) == ("proxy", f"{BRAZE}/api/v3/data/", True)
    Expect(JournalSource(emu.journal, state=emu.state)).profile("ada").has(custom_events={"song_played": 1}).within(0)


def test_reverse_mode_serves_a_build_pointed_at_the_proxy_without_any_ca() -> None:
    """`--mode reverse:https://sdk.iad-01.braze.com`: a build whose endpoint is http://<proxy> needs no proxy settings."""
    emu = Emulator(EmulatorSettings(port=0))
    with (
        InProcessProxy(emulator=emu, proxy_mode=f"reverse:{BRAZE}") as proxy,
        httpx.Client(trust_env=False, timeout=10) as client,
    ):
        assert post_sdk(client, base=proxy.url, device_id="dev-rev").status_code == 200
        assert client.get(f"{proxy.url}/").status_code == 403  # not an SDK request: refused, not sent to Braze
    [entry] = emu.journal.query()
    assert entry.exchange.url == f"{BRAZE}/api/v3/data/" and entry.device_id == "dev-rev"


def test_mitm_it_still_serves_the_ca_to_devices_in_emulate_mode() -> None:
    with InProcessProxy(emulator=Emulator()) as proxy, through(proxy) as client:
        for scheme in ("http", "https"):
            resp = client.get(f"{scheme}://mitm.it/cert/pem")
            assert resp.status_code == 200 and resp.content == proxy.ca_cert.read_bytes()


def test_in_process_proxy_frees_its_port_and_is_one_per_process() -> None:
    first = InProcessProxy(emulator=Emulator()).start()
    port = first.port
    with pytest.raises(ProxyError, match="one per process"):
        InProcessProxy(emulator=Emulator()).start()
    first.stop()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(ProxyError, match="address already in use"):
            InProcessProxy(emulator=Emulator(), port=busy.getsockname()[1]).start()
    # the listening socket is closed at stop (mitmproxy's shutdown alone leaves it bound)
    again = InProcessProxy(emulator=Emulator(), port=port).start()
    try:
        assert again.port == port
        with through(again) as client:
            assert post_sdk(client).status_code == 200
    finally:
        again.stop()


def test_the_ca_lives_in_a_private_per_run_confdir() -> None:
    proxy = InProcessProxy(emulator=Emulator())
    confdir = proxy.confdir
    assert REPO not in confdir.parents and stat.S_IMODE(confdir.stat().st_mode) == 0o700
    assert stat.S_IMODE((confdir / "mitmproxy-ca.pem").stat().st_mode) == 0o600
    assert proxy.spki == ca.spki_hash(proxy.ca_cert.read_bytes()) and len(proxy.spki) == 44
    proxy.start()
    proxy.stop()
    assert not confdir.exists()
    with pytest.raises(HarnessConfigError, match="inside the repository"):
        ca.check_confdir(REPO / "tmp-ca")


def test_mitmdump_script_emulate_forwards_to_a_running_emulator() -> None:
    """Plain `mitmdump -s proxy_addons/braze_capture.py`, as a user runs it; the emulator journals the SDK's URL."""
    with EmulatorServer() as server, MitmdumpProcess(emulator_url=server.url) as proxy, through(proxy) as client:
        assert post_sdk(client).status_code == 200
        with pytest.raises(httpx.ProxyError, match="403"):
            client.get("https://accounts.google.com/")
    assert proxy.process is not None and proxy.process.returncode == 0  # SIGTERM: a clean exit
    [entry] = server.emulator.journal.query()
    assert entry.exchange.url == f"{BRAZE}/api/v3/data/" and entry.good
    assert entry.exchange.headers["host"] == "sdk.iad-01.braze.com"


def test_mitmdump_script_observe_journals_into_a_remote_emulator() -> None:
    """Observe: the (loopback stand-in for the) real Braze answers; the exchange lands in another emulator's journal
    through `POST /_emulator/ingest`, decoded and applied to its profiles."""
    with (
        EmulatorServer() as real_braze,
        EmulatorServer() as harness_emulator,
        MitmdumpProcess(mode="observe", emulator_url=harness_emulator.url) as proxy,
        through(proxy) as client,
    ):
        expect = Expect(JournalSource(harness_emulator.emulator.journal, state=harness_emulator.emulator.state))
        resp = post_sdk(client, base=real_braze.url, device_id="dev-observed")
        assert resp.status_code == 200 and "config" in resp.json()
        [match] = expect.custom_event("song_played", user="ada", device="dev-observed").within(10)
        assert match.entry.source == "proxy" and match.entry.exchange.response == resp.json()
        expect.profile("ada").has(custom_events={"song_played": 1}).within(5)
    [answered] = real_braze.emulator.journal.query()
    assert answered.source == "emulator"


class _EventStream(BaseHTTPRequestHandler):
    release = threading.Event()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(b"event: cir\ndata: ready\n\n")
        self.wfile.flush()
        self.release.wait(10)  # the second event only after the client has read the first
        self.wfile.write(b"event: ffr\ndata: refresh\n\n")
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


def test_event_streams_pass_through_unbuffered() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EventStream)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sse?mite=abc&attempts=1"
    _EventStream.release.clear()
    try:
        with (
            InProcessProxy(mode="observe", emulator=Emulator()) as proxy,
            httpx.Client(proxy=proxy.url, trust_env=False, timeout=5) as client,
            client.stream("GET", url) as resp,
        ):
            lines = resp.iter_lines()
            assert next(lines) == "event: cir"  # a buffering proxy would hold this until the stream ends
            assert next(lines) == "data: ready"
            _EventStream.release.set()
            assert [line for line in lines if line] == ["event: ffr", "data: refresh"]
    finally:
        _EventStream.release.set()
        server.shutdown()
        server.server_close()


# -- the real Web SDK in Chromium ------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    with demo_site(ensure_bundle("6.13.0")) as site:
        yield site.url


@pytest.fixture(scope="module")
def playwright() -> Iterator[object]:
    with sync_playwright() as pw:
        yield pw


def launch(pw: object, proxy: InProcessProxy, *args: str, env: dict[str, str] | None = None) -> object:
    return pw.chromium.launch(  # type: ignore[attr-defined]
        executable_path=find_chromium(),
        args=[*CHROMIUM_ARGS, *args],  # the host-resolver rule stays: only the proxy resolves sdk.iad-01.braze.com
        proxy={"server": proxy.url, "bypass": "127.0.0.1,localhost"},
        env=env,
    )


@pytest.mark.integration
def test_web_sdk_through_the_proxy_with_https_to_a_real_braze_host(playwright: object, site_url: str) -> None:
    with EmulatorServer() as server, InProcessProxy(emulator_url=server.url) as proxy:
        browser = launch(playwright, proxy, *proxy.chromium_args())
        try:
            page = browser.new_context().new_page()  # type: ignore[attr-defined]
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            app = WebDemoAdapter(page, site_url, api_key="k-web", base_url=BRAZE, device_id="dev-web")
            app.launch()
            app.login("ada-web")
            app.log_event("song_played", {"genre": "jazz"})
            app.purchase("sku-42", 9.99, "EUR", 2)
            app.flush()
            expect = Expect(JournalSource(server.emulator.journal, state=server.emulator.state))
            expect.custom_event("song_played", props={"genre": "jazz"}, user="ada-web").within(10)
            expect.profile("ada-web").has(custom_events={"song_played": 1}, purchases={"sku-42": 2}).within(5)
            blocked = page.evaluate("fetch('https://www.example.com/').then(r => r.status, e => 'blocked')")
            assert blocked == "blocked" and "www.example.com" in proxy.addon.refused
            assert not errors
        finally:
            browser.close()  # type: ignore[attr-defined]
    urls = {e.exchange.url.split("/api/v3/")[0] for e in server.emulator.journal.query()}
    assert urls == {BRAZE}
    assert proxy.addon.counts["forwarded"] >= 3 and proxy.addon.counts["passthrough"] == 0


@pytest.mark.integration
def test_chromium_trusts_the_ca_from_an_nss_db_and_nothing_else(playwright: object, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with InProcessProxy(emulator=Emulator()) as proxy:
        ca.build_nss_db(proxy.ca_cert, home)
        assert (home / ".pki" / "nssdb" / "cert9.db").is_file()
        trusted = launch(playwright, proxy, env={**os.environ, "HOME": str(home)})
        untrusted = launch(playwright, proxy, env={**os.environ, "HOME": str(tmp_path / "empty")})
        try:
            page = trusted.new_page()  # type: ignore[attr-defined]
            resp = page.goto(f"{BRAZE}/api/v3/data/")  # a GET: the emulator answers 405, over a trusted TLS session
            assert resp is not None and resp.status == 405 and json.loads(resp.text())["error"] == "method_not_allowed"
            with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
                untrusted.new_page().goto(f"{BRAZE}/api/v3/data/")  # type: ignore[attr-defined]
        finally:
            trusted.close()  # type: ignore[attr-defined]
            untrusted.close()  # type: ignore[attr-defined]


def test_ingest_route_journals_decodes_and_validates() -> None:
    body = sdk_request(device_id="dev-ingest")
    raw = json.dumps(body).encode()
    with EmulatorServer() as server, httpx.Client(base_url=server.url, trust_env=False) as http:
        ok = http.post(
            "/_emulator/ingest",
            json={
                "method": "POST",
                "url": f"{BRAZE}/api/v3/data/",
                "headers": [["X-Braze-Api-Key", "k-e2e"], ["Content-Encoding", "gzip"]],
                "body": base64.b64encode(gzip.compress(raw)).decode(),
                "body_encoding": "base64",
                "status": 200,
                "response": {},
                "source": "har",
            },
        )
        assert ok.status_code == 201 and ok.json()["good"] is True
        refused = http.post("/_emulator/ingest", json={"method": "POST", "url": f"{BRAZE}/api/v3/data/", "body": raw.decode(),
                                                       "status": 401, "response": {"error": "unauthorized"}})  # fmt: skip
        assert refused.status_code == 201
        for bad, message in [
            ({"url": "x"}, "method: Field required"),
            ({"method": "POST", "url": "x", "status": 999}, "status: Input should be less than or equal to 599"),
            ({"method": "POST", "url": "x", "source": "me"}, "source: Input should be 'proxy'"),
            ({"method": "POST", "url": "x", "extra": 1}, "extra: Extra inputs are not permitted"),
            ({"method": "P O", "url": "x"}, "method must be an HTTP method"),
        ]:
            resp = http.post("/_emulator/ingest", json=bad)
            assert resp.status_code == 400 and message in resp.json()["message"], (bad, resp.text)
    entries = server.emulator.journal.query()
    assert [(e.source, e.exchange.status, e.device_id) for e in entries] == [
        ("har", 200, "dev-ingest"),
        ("proxy", 401, "dev-ingest"),
    ]
    assert server.emulator.profiles(external_id="ada")[0]["custom_events"] == {"song_played": 1}  # the 401 one not applied
