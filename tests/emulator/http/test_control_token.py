"""The control API's token (docs/security.md): with one, every `/_emulator/` call but the health check carries it
(`Authorization: Bearer` or `X-Emulator-Token`), compared in constant time; the SDK endpoints and CORS preflights
never need it; beyond loopback there is always one (generated when none is given); the client, the CLI and the
pytest plugin pass it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import httpx
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator.http.access import presented_token
from braze_harness.emulator.http.server import EmulatorServer, control_token_for, serve_forever
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.errors import HarnessConfigError

from tests.test_cli import COMMAND, free_port

TOKEN = "t0ken-for-the-tests-0123456789"
SDK_BODY = {"api_key": "k-token", "device_id": "d-token", "time": 1795379958, "events": []}

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def guarded() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorSettings(port=0, control_token=TOKEN)) as srv:
        yield srv


@pytest.fixture(scope="module")
def http(guarded: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=guarded.url, trust_env=False, timeout=10) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/_emulator/reset"), ("POST", "/_emulator/scopes"), ("GET", "/_emulator/requests"),
     ("GET", "/_emulator/openapi.json"), ("GET", "/_emulator/config"), ("GET", "/_emulator/nope")],
)  # fmt: skip
def test_a_control_call_without_the_token_is_a_401_naming_it(http: httpx.Client, method: str, path: str) -> None:
    resp = http.request(method, path)
    assert resp.status_code == 401
    answer = resp.json()
    assert answer["error"] == "unauthorized" and answer["field"] == "authorization"
    assert "Authorization: Bearer" in answer["message"] and "X-Emulator-Token" in answer["message"]
    assert resp.headers["www-authenticate"].startswith("Bearer")


def test_the_token_opens_the_control_api_by_either_header(http: httpx.Client) -> None:
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"X-Emulator-Token": TOKEN}):
        resp = http.post("/_emulator/scopes", json={"name": "tok"}, headers=headers)
        assert resp.status_code == 201, resp.text
    for wrong in ({"Authorization": f"Bearer {TOKEN}x"}, {"X-Emulator-Token": TOKEN[:-1]}, {"Authorization": f"Basic {TOKEN}"}):
        resp = http.post("/_emulator/reset", headers=wrong)
        assert resp.status_code == 401, wrong


def test_the_health_check_the_sdk_endpoints_and_preflights_stay_open(http: httpx.Client) -> None:
    assert http.get("/_emulator/health").status_code == 200
    assert http.post("/api/v3/data/", json=SDK_BODY).status_code == 200
    preflight = {"Origin": "http://127.0.0.1:5000", "Access-Control-Request-Method": "POST"}
    assert http.options("/api/v3/data/", headers=preflight).status_code != 401
    assert http.options("/_emulator/requests", headers=preflight).status_code != 401


def test_the_token_is_never_shown(http: httpx.Client) -> None:
    config = http.get("/_emulator/config", headers={"X-Emulator-Token": TOKEN})
    assert config.status_code == 200 and TOKEN not in config.text
    document = http.get("/_emulator/openapi.json", headers={"X-Emulator-Token": TOKEN}).json()
    assert set(document["components"]["securitySchemes"]) == {"bearer", "token"}
    assert "security" not in document["paths"]["/_emulator/health"]["get"]
    assert document["paths"]["/_emulator/reset"]["post"]["security"] == [{"bearer": []}, {"token": []}]


def test_the_client_sends_the_token_given_or_from_the_environment(
    guarded: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRAZE_EMULATOR_TOKEN", raising=False)
    bare = EmulatorClient(guarded.url)
    with pytest.raises(
        HarnessConfigError,
        match=r"refused GET /_emulator/stats: .*needs its token.*--braze-emulator-token, or \$BRAZE_EMULATOR_TOKEN",
    ):
        bare.stats()
    assert bare.health()["status"] == "ok"
    bare.close()
    given = EmulatorClient(guarded.url, token=TOKEN)
    assert given.create_scope("c").startswith("c-")
    given.close()
    monkeypatch.setenv("BRAZE_EMULATOR_TOKEN", TOKEN)
    from_env = EmulatorClient(guarded.url)
    assert "journal" in from_env.stats()
    from_env.close()


def test_beyond_loopback_there_is_always_a_token() -> None:
    assert control_token_for("127.0.0.1", None) == (None, False)
    assert control_token_for("::1", "given-one") == ("given-one", False)
    token, generated = control_token_for("0.0.0.0", None)
    assert generated and token is not None and len(token) >= 32
    assert control_token_for("192.0.2.2", None)[0] != token
    with pytest.raises(HarnessConfigError, match="without a control token"):
        serve_forever(EmulatorSettings(host="0.0.0.0", port=0), allow_remote=True)  # refused before binding


def test_a_short_token_is_refused_with_the_field() -> None:
    with pytest.raises(ValueError, match="control_token"):
        EmulatorSettings(control_token="short")


def test_presented_token_reads_either_header() -> None:
    assert presented_token([(b"Authorization", b"Bearer abc")]) == "abc"
    assert presented_token([(b"x-emulator-token", b" abc ")]) == "abc"
    assert presented_token([(b"authorization", b"Basic abc")]) is None


def test_the_cli_emulator_requires_the_token_it_was_given() -> None:
    port = free_port()
    env = {**os.environ, "BRAZE_EMULATOR_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [*COMMAND, "emulator", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        transport = httpx.HTTPTransport(retries=6)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=5, transport=transport) as client:
            assert client.get("/_emulator/health").status_code == 200
            assert client.get("/_emulator/stats").status_code == 401
            assert client.get("/_emulator/stats", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    assert "control API token: the one given" in out and TOKEN not in out


def test_the_plugin_passes_its_token_option(pytester: pytest.Pytester, guarded: EmulatorServer, monkeypatch) -> None:
    monkeypatch.delenv("BRAZE_EMULATOR_TOKEN", raising=False)
    for name in list(os.environ):
        if name.startswith("PYTEST_XDIST") or name in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"):
            monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_remote="def test_scope(braze):\n    assert braze.entries() == []\n")
    base = ("-p", "no:cacheprovider", "-p", "no:randomly", f"--braze-emulator-url={guarded.url}")
    ok = pytester.runpytest_subprocess(*base, f"--braze-emulator-token={TOKEN}", timeout=120)
    ok.assert_outcomes(passed=1)
    refused = pytester.runpytest_subprocess(*base, timeout=120)
    output = refused.stdout.str() + refused.stderr.str()
    assert refused.ret == 4 and "--braze-emulator-token" in output and "Traceback" not in output
