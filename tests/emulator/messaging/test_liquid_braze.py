"""Braze's Liquid dialect in templated messages: `${...}` personalization tags, `{% connected_content %}`,
`{% abort_message %}`, Braze's filters (expected values: the examples of Braze's advanced filters page,
https://www.braze.com/docs/user_guide/personalization_and_dynamic_content/liquid/advanced_filters/), and what the
emulator cannot render refused when the campaign is seeded, with the field, line and column."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.messaging.models import DefinitionError
from braze_harness.emulator.messaging.templating import Aborted, render, template_data
from braze_harness.protocol.ids import trigger_id

from tests.support.inprocess_sdk import Sdk


class Api:
    """A loopback JSON API: `/users/<id>` answers that user's tier, `/down` a 503; the paths asked are kept."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api.hits.append(self.path)
                if self.path.startswith("/users/"):
                    body = json.dumps({"tier": "gold", "user": self.path.rsplit("/", 1)[1], "items": [1, 2, 3]}).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.wfile.write(body)
                    return
                self.send_response(503)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def api() -> Iterator[Api]:
    a = Api()
    threading.Thread(target=a.server.serve_forever, daemon=True).start()
    yield a
    a.server.shutdown()
    a.server.server_close()


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


def _seed(emu: Emulator, scope: str, message: dict[str, Any], cid: str = "t") -> None:
    campaign = {
        "kind": "in_app",
        "id": cid,
        "templated": True,
        "trigger": {"type": "custom_event", "event": "opened"},
        "message": {"type": "MODAL", **message},
    }
    emu.messaging.seed(scope, campaigns=[campaign])


def _ask(sdk: Sdk, cid: str = "t", props: dict[str, Any] | None = None) -> dict[str, Any]:
    data = {"name": "opened", "data": {"p": props or {}}}
    return sdk.post("template/", template={"trigger_id": trigger_id(cid), "trigger_event_type": "custom_event", "data": data})


def _user(emu: Emulator) -> tuple[str, Sdk]:
    scope = emu.create_scope("liquid")
    sdk = Sdk(emu, emu.create_app(scope)["api_key"])
    attributes = {"user_id": "ada", "first_name": "Ada", "email": "ada@example.com", "custom": {"plan": "pro", "Plan Type": "x"}}
    sdk.login("ada", attributes=[attributes])
    return scope, sdk


def test_personalization_tags_custom_attributes_and_event_properties(emu: Emulator) -> None:
    scope, sdk = _user(emu)
    _seed(
        emu,
        scope,
        {
            "header": "Hi {{${first_name} | upcase}} ({{${email_address}}}, {{${user_id}}})",
            "message": "{{custom_attribute.${plan}}}/{{custom_attribute.${Plan Type}}}: {{event_properties.${item}}}"
            "{{api_trigger_properties.${x}}}{{canvas_entry_properties.${x}}}{{${last_name} | default: '!'}}",
            "buttons": [{"id": 1, "text": "{{ event_properties.${count} | plus: 1 }} more"}],
        },
    )
    data = _ask(sdk, props={"item": "sunglasses", "count": 2})["templated_message"]["data"]
    assert data["header"] == "Hi ADA (ada@example.com, ada)"
    assert data["message"] == "pro/x: sunglasses!"
    assert data["btns"][0]["text"] == "3 more"


def test_nested_keys_are_keys_whatever_their_characters() -> None:
    custom = {"address": {"city": "Lyon"}, "Plan Type": "gold"}
    data = template_data({"attributes": {"custom": custom}}, {"order": {"total": 5}}, {})
    text = "{{custom_attribute.${address}.${city}}}/{{custom_attribute.${address}.city}}/{{custom_attribute . ${Plan Type}}}"
    assert render(text + "/{{event_properties.${order}.total}}/{{ '${not a tag}' }}", data) == "Lyon/Lyon/gold/5/${not a tag}"


def test_braze_writes_liquid_inside_tag_conditions() -> None:
    # Braze's conditional-logic page: `{% if {{custom_attribute.${total_spend}}} >0 %}`
    data = template_data({"attributes": {"custom": {"total_spend": 5}}}, {}, {})
    assert render("{% if {{custom_attribute.${total_spend}}} >0 %}Thanks{% else %}Buy{% endif %}", data) == "Thanks"


def test_connected_content_tag_is_fetched_before_rendering_and_saved(emu: Emulator, api: Api) -> None:
    scope, sdk = _user(emu)
    _seed(
        emu,
        scope,
        {
            "message": f"{{% connected_content {api.url}/users/{{{{${{user_id}}}}}} :save profile :cache_max_age 60 %}}"
            "{{profile.user}} is {{profile.tier}} with {{profile.items | size}} items",
        },
    )
    assert _ask(sdk)["templated_message"]["data"]["message"] == "ada is gold with 3 items"
    assert api.hits == ["/users/ada"]  # the URL's own Liquid rendered with the user's profile
    assert [p for p in emu.entries()[-1].problems if p.where in ("connected_content", "template")] == []


def test_a_failed_connected_content_renders_empty_and_is_reported(emu: Emulator, api: Api) -> None:
    scope, sdk = _user(emu)
    _seed(emu, scope, {"message": f"{{% connected_content {api.url}/down :save w %}}[{{{{ w.tier | default: 'none' }}}}]"})
    assert _ask(sdk)["templated_message"]["data"]["message"] == "[none]"
    [problem] = [p for p in emu.entries()[-1].problems if p.where == "connected_content"]
    assert problem.message == "HTTP 503"
    assert emu.messaging.describe(scope)["templates"][-1]["connected_content_error"] == "HTTP 503"


def test_a_connected_content_url_made_of_the_templates_own_variables_is_reported_not_guessed(emu: Emulator, api: Api) -> None:
    scope, sdk = _user(emu)
    _seed(
        emu,
        scope,
        {"message": f"{{% assign id = 'bob' %}}{{% connected_content {api.url}/users/{{{{id}}}} :save u %}}{{{{u.user}}}}"},
    )
    assert _ask(sdk) == {"error": "message aborted"}
    [problem] = [p for p in emu.entries()[-1].problems if p.where == "template"]
    assert "line 1, column 27" in problem.message and "depends on the template's own variables" in problem.message
    assert api.hits == ["/users/"]  # fetched before rendering, when `id` was not assigned yet: never rendered


def test_abort_message_sends_nothing_and_logs_the_reason(emu: Emulator) -> None:
    scope, sdk = _user(emu)
    _seed(emu, scope, {"message": "{% if custom_attribute.${plan} == 'pro' %}{% abort_message('pros know') %}{% endif %}Tips"})
    assert _ask(sdk) == {"error": "message aborted"}
    assert emu.messaging.describe(scope)["templates"][-1]["abort_reason"] == "pros know"
    with pytest.raises(Aborted) as raised:
        render('{% abort_message("why") %}', template_data({}, {}, {}))
    assert raised.value.reason == "why"


BRAZE_FILTER_EXAMPLES = [
    ("{{'hey' | md5}}", "6057f13c496ecf7fd777ceb9e79ae285"),
    ("{{'hey' | sha1}}", "7f550a9f4c44173a37664d938f1355f0f92a47a7"),
    ("{{'hey' | sha2}}", "fa690b82061edfd2852629aeba8a8977b57e40fcb77d1a7a28b26cba62591204"),
    ("{{'blah' | base64_encode}}", "YmxhaA=="),
    ("{{'hey' | hmac_sha1_hex: 'secret_key'}}", "2a3969bed25bfeefb00aca4063eb9590b4df8f0e"),
    ("{{'hey' | hmac_sha1_base64: 'secret_key'}}", "KjlpvtJb/u+wCspAY+uVkLTfjw4="),
    ("{{'hey' | hmac_sha256_hex: 'secret_key'}}", "8df897f8da3d7992fe57c8dbc6f27578cfbf2dcc4d0fbb4000b8c924841d508e"),
    ("{{'hey' | hmac_sha256_base64: 'secret_key'}}", "jfiX+No9eZL+V8jbxvJ1eM+/LcxND7tAALjJJIQdUI4="),
    ("{{'hey<>hi' | url_escape}}", "hey%3C%3Ehi"),
    ("{{'hey<&>hi' | url_param_escape}}", "hey%3C%26%3Ehi"),
    ("{{ 'google search' | url_encode }}", "google+search"),
    ("{{ 'say \"hi\"' | json_escape }}", 'say \\"hi\\"'),
    ("{{ 1234567 | number_with_delimiter }}", "1,234,567"),
    ("{{ event_properties | property_with_name: 'item' }}", "hat"),
    ("{{ 'now' | time_zone: 'America/New_York' | date: '%Y-%m-%d %H:%M' }}", "2023-11-14 17:13"),
    # one instant in two zones (python-liquid's own date filter caches dates by equality: it gave 22 twice)
    ("{{ 'now' | date: '%H' }} {{ 'now' | time_zone: 'America/New_York' | date: '%H' }}", "22 17"),
]


@pytest.mark.parametrize(("text", "expected"), BRAZE_FILTER_EXAMPLES, ids=[c[0] for c in BRAZE_FILTER_EXAMPLES])
def test_braze_filters_render_as_braze_documents_them(text: str, expected: str) -> None:
    assert render(text, template_data({}, {"item": "hat"}, {}, now=1_700_000_000.0)) == expected


CC = "{% connected_content http://127.0.0.1/x"
REFUSED = [
    ({"message": "Hi {{ ${nickname} }}"}, "message: line 1, column 7: ${nickname} is not a Braze personalization tag"),
    ({"header": "{{${most_recent_locale}}}"}, "header: line 1, column 3: ${most_recent_locale}: the emulator keeps no"),
    ({"message": "x", "header": "{{campaign.${name}}}"}, "header: line 1, column 12: campaign.${name}: campaign"),
    ({"message": CC + " %}"}, "message: line 1, column 22: connected_content without :save"),
    ({"message": CC + " :save a :method post %}"}, "message: line 1, column 22: connected_content :method post"),
    ({"message": CC + " :save a :headers {} %}"}, "message: line 1, column 22: connected_content option :headers"),
    ({"message": "ok", "buttons": [{"id": 1, "text": "{{ 1 | nope }}"}]}, "buttons[0].text: line 1, column 8: unknown filter"),
]


@pytest.mark.parametrize(("message", "error"), REFUSED)
def test_what_the_emulator_cannot_render_is_refused_when_seeded(emu: Emulator, message: dict[str, Any], error: str) -> None:
    scope = emu.create_scope("seed")
    with pytest.raises(DefinitionError) as raised:
        _seed(emu, scope, message)
    assert str(raised.value).startswith(f"campaigns[0].message.{error}")
    assert emu.messaging.describe(scope)["campaigns"] == []  # nothing half-seeded


def test_seed_errors_over_the_control_api_are_a_400_naming_field_and_position(braze) -> None:
    url = f"{braze.emulator_url}/_emulator/scopes/{braze.scope}/messaging"
    campaign = {
        "kind": "in_app",
        "id": "t",
        "templated": True,
        "trigger": {"type": "open"},
        "message": {"type": "HTML", "html": "<p>\n  {{ ${first_name} | shout }}</p>"},
    }
    r = httpx.post(url, json={"campaigns": [campaign]}, trust_env=False)
    assert r.status_code == 400
    assert r.json()["message"] == "campaigns[0].message.html: line 2, column 22: unknown filter 'shout'"
    campaign["templated"] = False  # not templated: sent as written, never rendered, so not checked
    assert httpx.post(url, json={"campaigns": [campaign]}, trust_env=False).status_code == 201
