"""Liquid rendering is bounded: linear in the template's size (it was cubic: a 16 KB template took 55 s under the
emulator's lock), 64 KB of template at most, `{% if %}` nested at most 100 deep, a rendered-size cap and a 1 s
budget. A template over a bound renders nothing, is reported by name, and the `/template/` request is answered."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest

from harness.emulator.app import Emulator
from harness.emulator.messaging import templating
from harness.emulator.messaging.liquid_blocks import MAX_IF_DEPTH
from harness.protocol.ids import trigger_id
from tests.support.inprocess_sdk import BASE, Sdk
from tests.support.paths import REPO

# templates that made the old regexes backtrack: an unclosed tag followed by spaces, many unclosed tags, a condition
# full of spaces, a default filter after a long run of spaces
SHAPES = {
    "unclosed block": "'{%' + ' ' * n",
    "unclosed tag": "'{{' + ' ' * n",
    "many unclosed blocks": "('{%' + ' ' * 30) * (n // 32)",
    "spaces in a condition": "'{% if a' + ' ' * n + 'b %}x{% endif %}'",
    "spaces before a filter": "'{{ a' + ' ' * n + \"| default: 'x' }}\"",
}
TIMING = """
import json, sys, time
from harness.emulator.messaging.templating import render
ctx = {"profile": {"attributes": {}}, "event_properties": {}, "connected": {}}
out = {}
for name, shape in json.loads(sys.argv[1]).items():
    out[name] = []
    for n in (2048, 16384):
        text = eval(shape)
        started = time.perf_counter()
        for _ in range(3):
            render(text, ctx)
        out[name].append((time.perf_counter() - started) / 3)
print(json.dumps(out))
"""


def test_rendering_is_linear_in_the_template_size() -> None:
    # in a child process: the old renderer would run for minutes, and cannot be interrupted in-process
    done = subprocess.run(
        [sys.executable, "-c", TIMING, json.dumps(SHAPES)],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    for name, (small, large) in json.loads(done.stdout).items():
        assert large < 0.5, f"{name}: 16 KB took {large:.3f} s"
        assert large < 8 * small + 0.005, f"{name}: 2 KB {small * 1000:.2f} ms, 16 KB {large * 1000:.2f} ms (not linear)"


@pytest.fixture
def seeded() -> tuple[Emulator, str, Sdk]:
    emu = Emulator()
    scope = emu.create_scope("bounds")
    sdk = Sdk(emu, emu.create_app(scope)["api_key"])
    sdk.login("ada")
    return emu, scope, sdk


def _template(emu: Emulator, scope: str, sdk: Sdk, message: str, cid: str = "t") -> tuple[int, Any]:
    emu.messaging.seed(
        scope,
        campaigns=[
            {
                "kind": "in_app",
                "id": cid,
                "templated": True,
                "trigger": {"type": "custom_event", "event": "opened"},
                "message": {"type": "MODAL", "message": message},
            }
        ],
    )
    body = {
        "api_key": sdk.api_key,
        "device_id": sdk.device_id,
        "time": int(time.time()),
        "user_id": "ada",
        "template": {"trigger_id": trigger_id(cid), "trigger_event_type": "custom_event", "data": {}},
    }
    answer = emu.handle("POST", BASE + "template/", {"x-braze-api-key": sdk.api_key}, json.dumps(body))
    return answer.status, answer.body


def _reported(emu: Emulator) -> list[str]:
    return [p.message for p in emu.entries()[-1].problems if p.where == "template"]


def test_1200_nested_ifs_are_a_reported_render_error_not_a_500(seeded) -> None:
    emu, scope, sdk = seeded
    status, body = _template(emu, scope, sdk, "{% if true %}" * 1200 + "deep" + "{% endif %}" * 1200)
    assert status == 200 and body == {"error": "message aborted"}
    [message] = _reported(emu)
    assert f"nested more than {MAX_IF_DEPTH} deep" in message
    log = emu.messaging.describe(scope)["templates"][-1]
    assert log["aborted"] and "nested more than" in log["render_error"]


def test_100_nested_ifs_render(seeded) -> None:
    emu, scope, sdk = seeded
    status, body = _template(emu, scope, sdk, "{% if true %}" * MAX_IF_DEPTH + "deep" + "{% endif %}" * MAX_IF_DEPTH)
    assert status == 200 and body["templated_message"]["data"]["message"] == "deep"
    assert _reported(emu) == []


def test_a_template_over_64_kb_renders_nothing_and_is_reported(seeded) -> None:
    emu, scope, sdk = seeded
    status, body = _template(emu, scope, sdk, "x" * (64 * 1024 + 1))
    assert status == 200 and body == {"error": "message aborted"}
    assert ["over the 64 KB template limit" in m for m in _reported(emu)] == [True]
    status, body = _template(emu, scope, sdk, "{{ " * (64 * 1024 // 3), cid="edge")  # at the limit: rendered, fast
    assert status == 200 and "templated_message" in body


def test_a_template_that_expands_past_the_rendered_size_limit_is_refused(seeded) -> None:
    context = {"connected": {"x": "a" * (1024 * 1024)}}
    with pytest.raises(templating.TemplateError, match="rendered-size limit"):
        templating.render_message({"message": "{{connected.x}}" * 3}, context)


def test_over_the_time_budget_nothing_is_rendered(seeded, monkeypatch) -> None:
    emu, scope, sdk = seeded
    monkeypatch.setattr(templating, "RENDER_BUDGET_S", 0.0)  # any render is over a zero budget
    status, body = _template(emu, scope, sdk, "Hi")
    assert status == 200 and body == {"error": "message aborted"}
    assert ["render budget" in m for m in _reported(emu)] == [True]


def test_a_64_kb_hostile_template_answers_within_the_budget(seeded) -> None:
    emu, scope, sdk = seeded
    started = time.perf_counter()
    status, _ = _template(emu, scope, sdk, "{%" + " " * (64 * 1024 - 2))
    assert status == 200 and time.perf_counter() - started < templating.RENDER_BUDGET_S
