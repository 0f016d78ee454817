"""Content Blocks through the REST API (create, update, list, info with Braze's messages) and included by templates
with `{{content_blocks.${name}}}`, rendered with the including message's user; a missing or draft block is named."""

from __future__ import annotations

import json
from typing import Any

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.messaging import DefinitionError

from tests.support.inprocess_sdk import Sdk


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def scoped(emu: Emulator) -> tuple[str, Sdk, str]:
    scope = emu.create_scope("blocks")
    return scope, Sdk(emu, emu.create_app(scope)["api_key"]), emu.rest.create_key(scope).key


def call(emu: Emulator, key: str, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    text = json.dumps(body) if body is not None else None
    answer = emu.handle(method, f"http://127.0.0.1{path}", {"Authorization": f"Bearer {key}"}, text)
    return answer.status, answer.body


def test_create_update_list_info(emu, scoped):
    _, _, key = scoped
    status, made = call(emu, key, "POST", "/content_blocks/create", {"name": "footer", "content": "<p>Bye {{${first_name}}}</p>"})
    assert status == 201 and made["liquid_tag"] == "{{content_blocks.${footer}}}" and made["message"] == "success"
    block_id = made["content_block_id"]
    status, listed = call(emu, key, "GET", "/content_blocks/list?limit=10")
    assert status == 200 and listed["count"] == 1
    assert listed["content_blocks"][0] | {"created_at": "-", "last_edited": "-"} == {
        "content_block_id": block_id, "name": "footer", "content_type": "html", "liquid_tag": made["liquid_tag"],
        "inclusion_count": 0, "created_at": "-", "last_edited": "-", "tags": [],
    }  # fmt: skip
    status, _ = call(emu, key, "POST", "/content_blocks/update", {"content_block_id": block_id, "content": "Bye now"})
    status, info = call(emu, key, "GET", f"/content_blocks/info?content_block_id={block_id}")
    assert status == 200 and info["content"] == "Bye now" and info["content_type"] == "text"
    assert call(emu, key, "POST", "/content_blocks/list")[0] == 405  # list is a GET


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "a b", "content": "x"}, "Content Block name can only contain alphanumeric characters."),
        ({"name": "x" * 100, "content": "x"}, "Content Block name must be a shorter than 100 characters."),
        ({"name": "ok"}, "Content cannot be blank."),
        ({"name": "ok", "content": "{% if %}"}, "Content contains malformed liquid."),
        ({"name": "ok", "content": "{{content_blocks.${ok}}}"}, "Content Block cannot be referenced within itself."),
        ({"name": "ok", "content": "x", "state": "live"}, "Content Block state must be either Active or Draft."),
        ({"name": "ok", "content": "x" * 51_200}, "Content must be smaller than 50kb."),
    ],
)
def test_braze_refusals(emu, scoped, body, message):
    _, _, key = scoped
    assert call(emu, key, "POST", "/content_blocks/create", body) == (400, {"message": message})


def test_a_template_includes_a_block_rendered_for_its_user_and_names_a_missing_one(emu, scoped):
    scope, sdk, key = scoped
    call(emu, key, "POST", "/content_blocks/create", {"name": "greeting", "content": "Hi {{${first_name}}}"})
    call(emu, key, "POST", "/content_blocks/create", {"name": "wrapper", "content": "[{{content_blocks.${greeting}}}]"})
    call(emu, key, "POST", "/content_blocks/create", {"name": "wip", "content": "soon", "state": "draft"})
    emu.messaging.seed(scope, campaigns=[
        {"kind": "api_triggered", "id": "hello", "card": {"title": "{{content_blocks.${wrapper}}}", "description": "d"}},
        {"kind": "api_triggered", "id": "missing", "card": {"title": "{{content_blocks.${nope}}}"}},
        {"kind": "api_triggered", "id": "draft", "card": {"title": "{{content_blocks.${wip}}}"}},
    ])  # fmt: skip
    sdk.login("gus", attributes=[{"user_id": "gus", "first_name": "Gus"}])
    sent = {}
    for campaign in ("hello", "missing", "draft"):
        _, answer = call(
            emu, key, "POST", "/campaigns/trigger/send", {"campaign_id": campaign, "recipients": [{"external_user_id": "gus"}]}
        )
        sent[campaign] = emu.push.dispatch(scope, answer["dispatch_id"]).to_json()
    assert sent["hello"]["cards"][0]["card"]["tt"] == "[Hi Gus]"  # nested blocks, rendered with the recipient's data
    assert "no content block named 'nope'" in sent["missing"]["skipped"][0]["reason"]
    assert "the content block is a draft, not active" in sent["draft"]["skipped"][0]["reason"]


def test_a_seeded_template_may_name_content_blocks(emu):
    scope = emu.create_scope("defs")
    emu.messaging.seed(scope, campaigns=[{"kind": "api_triggered", "id": "x", "card": {"title": "{{content_blocks.${later}}}"}}])
    with pytest.raises(DefinitionError, match="most_recently_used_device is not emulated"):
        emu.messaging.seed(
            scope, campaigns=[{"kind": "api_triggered", "id": "y", "card": {"title": "{{most_recently_used_device.${model}}}"}}]
        )
