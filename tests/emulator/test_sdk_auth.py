"""SDK authentication (harness/emulator/sdk_auth.py, harness/sdk_auth.py): token verification and its error
codes, the emulator's modes (disabled / optional / required) and what is stored, the control API and handle,
and a replay of the real SDK's recorded auth traffic (i_sdk_auth)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from braze_harness.client import EmulatorClient
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.server import EmulatorServer
from braze_harness.emulator.sdk_auth import SdkAuthSpec, parse_sdk_auth, verify
from braze_harness.emulator.settings import EmulatorSettings
from braze_harness.errors import HarnessError
from braze_harness.expect import Expect, JournalSource
from braze_harness.sdk_auth import KeyPair, malformed, mint

from tests.support.builders import ce, data_body, ss
from tests.support.paths import CAPTURES

DATA_URL = "http://127.0.0.1/api/v3/data/"
CAPTURES = CAPTURES


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="module")
def other_keys() -> KeyPair:
    return KeyPair.generate()


def _pub(keys: KeyPair):
    return keys.private_key.public_key()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- tokens ---------------------------------------------------------------------------------------


def test_a_minted_token_verifies(keys: KeyPair) -> None:
    token = keys.mint("ada")
    assert verify(token, "ada", [_pub(keys)]) is None
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "RS256", "typ": "JWT"}


def test_any_of_three_keys_verifies(keys: KeyPair, other_keys: KeyPair) -> None:
    third = KeyPair.generate()
    assert verify(third.mint("ada"), "ada", [_pub(keys), _pub(other_keys), _pub(third)]) is None


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda k, o: None, 26),
        (lambda k, o: "", 26),
        (lambda k, o: malformed(), 20),
        (lambda k, o: "a.b.c", 20),
        (lambda k, o: k.mint("ada", alg="HS256"), 24),
        (lambda k, o: k.mint("ada", no_exp=True), 10),
        (lambda k, o: k.expired("ada"), 22),
        (lambda k, o: k.mint("bob"), 21),
        (lambda k, o: o.mint("ada"), 27),
        (lambda k, o: k.mint(None), 23),
        (lambda k, o: k.mint("ada", claims={"exp": "soon"}), 23),
    ],
    ids=["missing", "empty", "malformed", "not-json", "alg", "no-exp", "expired", "wrong-user", "wrong-key", "no-sub", "bad-exp"],
)
def test_rejections_carry_the_documented_codes(keys: KeyPair, other_keys: KeyPair, make, code: int) -> None:
    failure = verify(make(keys, other_keys), "ada", [_pub(keys)])
    assert failure is not None and failure.error_code == code
    assert failure.body()["auth_error"]["error_code"] == code


def test_payload_that_is_not_an_object(keys: KeyPair) -> None:
    head = _b64(orjson.dumps({"alg": "RS256"}))
    token = f"{head}.{_b64(b'[1]')}.{_b64(b'sig')}"
    assert verify(token, "ada", [_pub(keys)]).error_code == 23  # type: ignore[union-attr]


def test_no_public_key_is_a_key_error(keys: KeyPair) -> None:
    assert verify(keys.mint("ada"), "ada", []).error_code == 25  # type: ignore[union-attr]


def test_expiry_is_checked_against_now(keys: KeyPair) -> None:
    token = mint("ada", key=keys, exp=time.time() + 60)
    assert verify(token, "ada", [_pub(keys)]) is None
    assert verify(token, "ada", [_pub(keys)], now=time.time() + 120).error_code == 22  # type: ignore[union-attr]


def test_spec_validation(keys: KeyPair) -> None:
    assert parse_sdk_auth({"mode": "required", "public_keys": [keys.public_pem]}).mode == "required"
    with pytest.raises(ValueError, match="mode"):
        parse_sdk_auth({"mode": "enforced"})
    with pytest.raises(ValueError, match="public_keys"):
        parse_sdk_auth({"mode": "required", "public_keys": ["nope"]})
    with pytest.raises(ValueError, match="public_keys"):
        parse_sdk_auth({"mode": "required", "public_keys": [keys.public_pem] * 4})
    with pytest.raises(ValueError, match="extra"):
        parse_sdk_auth({"mode": "required", "extra": 1})


# -- the emulator ---------------------------------------------------------------------------------


def _app(mode: str, keys: KeyPair) -> tuple[Emulator, str, str]:
    emu = Emulator()
    scope = emu.create_scope("auth")
    key = emu.create_app(scope)["api_key"]
    emu.sdk_auth.set(key, SdkAuthSpec(mode=mode, public_keys=[keys.public_pem]))  # type: ignore[arg-type]
    return emu, scope, key


def _post(emu: Emulator, key: str, *events, signature: str | None = None):
    headers = {"x-braze-api-key": key}
    if signature:
        headers["x-braze-auth-signature"] = signature
    return emu.handle("POST", DATA_URL, headers, data_body(api_key=key, events=events).encode())


def test_required_rejects_and_stores_nothing_then_accepts_a_fresh_signature(keys: KeyPair) -> None:
    emu, scope, key = _app("required", keys)
    event = ce("e", user="ada", t=1.0)
    rejected = _post(emu, key, event, signature=keys.expired("ada"))
    assert rejected.status == 200 and rejected.body["auth_error"]["error_code"] == 22
    assert emu.profiles(scope=scope, external_id="ada") == []
    entry = emu.journal.query()[-1]
    assert not entry.good and entry.problems[-1].where == "sdk_auth"
    assert _post(emu, key, event, signature=keys.mint("ada")).body.get("auth_error") is None
    delivered = Expect(JournalSource(emu.journal, scope, emu.state)).nothing_lost("ada", ["e"]).within(0.5)
    assert [d.applied for d in delivered[0].deliveries] == [False, True]


def test_anonymous_requests_are_not_checked(keys: KeyPair) -> None:
    emu, scope, key = _app("required", keys)
    assert "auth_error" not in _post(emu, key, ss(), ce("anon")).body
    assert emu.profiles(scope=scope, device_id="dev-1")[0]["custom_events"] == {"anon": 1}


def test_a_request_for_two_users_is_a_payload_mismatch(keys: KeyPair) -> None:
    emu, _, key = _app("required", keys)
    answer = _post(emu, key, ce("a", user="ada"), ce("b", user="bob"), signature=keys.mint("ada"))
    assert answer.body["auth_error"]["error_code"] == 28


def test_optional_accepts_and_records(keys: KeyPair) -> None:
    emu, scope, key = _app("optional", keys)
    answer = _post(emu, key, ce("e", user="ada"))
    assert "auth_error" not in answer.body
    assert emu.profiles(scope=scope, external_id="ada")[0]["custom_events"] == {"e": 1}
    entry = emu.journal.query()[-1]
    assert entry.good and [(p.where, p.severity) for p in entry.problems] == [("sdk_auth", "info")]
    assert "26 MISSING_TOKEN" in entry.problems[0].message


def test_disabled_checks_nothing(keys: KeyPair) -> None:
    emu, _, key = _app("disabled", keys)
    assert "auth_error" not in _post(emu, key, ce("e", user="ada"), signature="garbage").body
    assert emu.journal.query()[-1].problems == []


def test_replayed_sdk_auth_capture(keys: KeyPair) -> None:
    # i_sdk_auth: the real SDK sent opaque lab tokens ("jwt-token-1"): in required mode they do not decode
    data = json.loads((CAPTURES / "i_sdk_auth.json").read_text())
    emu = Emulator()
    answers = []
    for ex in data["exchanges"]:
        if ex["method"] != "POST" or not ex["path"].endswith("/data/"):
            continue
        body = ex["body"] if isinstance(ex["body"], str) else json.dumps(ex["body"])
        key = json.loads(body)["api_key"]
        emu.sdk_auth.set(key, SdkAuthSpec(mode="required", public_keys=[keys.public_pem]))
        answers.append(emu.handle("POST", f"http://sdk{ex['path']}", ex["headers"], body.encode()))
    codes = [a.body.get("auth_error", {}).get("error_code") for a in answers]
    assert 20 in codes
    assert all(a.status == 200 for a in answers)


# -- over HTTP ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorSettings(port=0)) as srv:
        yield srv


def test_control_api_and_wire(server: EmulatorServer, keys: KeyPair) -> None:
    client = EmulatorClient(server.url)
    try:
        scope = client.create_scope("auth-http")
        key = client.create_app(scope)["api_key"]
        assert client.sdk_auth(key)["mode"] == "disabled"
        assert client.set_sdk_auth(key, mode="required", public_keys=[keys.public_pem])["public_keys"] == 1
        assert client.sdk_auth(key)["mode"] == "required"
        with pytest.raises(HarnessError, match="mode"):
            client.set_sdk_auth(key, mode="always")
        body = data_body(api_key=key, device_id="d1", events=[ce("e", user="ada")])
        with httpx.Client(base_url=server.url, trust_env=False) as http:
            rejected = http.post("/api/v3/data/", content=body, headers={"x-braze-auth-signature": keys.mint("bob")})
            assert rejected.status_code == 200 and rejected.json()["auth_error"]["error_code"] == 21
            ok = http.post("/api/v3/data/", content=body, headers={"x-braze-auth-signature": keys.mint("ada")})
            assert ok.status_code == 200 and "auth_error" not in ok.json()
        assert client.profiles(external_id="ada", scope=scope)[0]["custom_events"] == {"e": 1}
        client.drop_scope(scope)
        assert client.sdk_auth(key)["mode"] == "disabled"  # a dropped scope's apps forget their settings
    finally:
        client.close()


def test_handle_sdk_auth(server: EmulatorServer, keys: KeyPair) -> None:
    from braze_harness.plugin.handle import BrazeHandle

    client = EmulatorClient(server.url)
    braze = BrazeHandle(client, name="h")
    try:
        assert braze.sdk_auth("optional", [keys.public_pem])["mode"] == "optional"
        assert client.sdk_auth(braze.api_key)["mode"] == "optional"
    finally:
        braze.close()
        client.close()
