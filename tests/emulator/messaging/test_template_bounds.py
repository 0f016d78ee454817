"""Liquid parsing and rendering are bounded: linear in the template's size (the first renderer was cubic: a 16 KB
template took 55 s under the emulator's lock; python-liquid's own lexer is quadratic: `{{` + 16 K spaces took 11 s,
hence liquid_lexer.py), 64 KB of template at most, blocks nested at most 100 deep, loop iterations, a rendered-size
cap and a 1 s budget. A template over a parse bound is refused when seeded; one over a render bound renders nothing,
is reported by name, and the `/template/` request is answered."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import pytest
from braze_harness.emulator.app import Emulator
from braze_harness.emulator.messaging import templating
from braze_harness.emulator.messaging.braze_liquid import MAX_LOOP_ITERATIONS, MAX_NESTING
from braze_harness.emulator.messaging.models import DefinitionError
from braze_harness.protocol.ids import trigger_id

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
    # python-liquid's regex lexer: quadratic in the spaces after `{{`, in `(` and `[\"` runs of one expression
    "spaces then a lone brace": "'{{' + ' ' * n + '}'",
    "many parentheses": "'{{ ' + '(' * n + ' }}'",
    "many brackets": "'{{ a' + '[\"' * (n // 2) + ' }}'",
    "many outputs": "'{{ a }}' * (n // 7)",
    "many ifs": "'{% if a %}b{% endif %}' * (n // 22)",
}
TIMING = """
import json, sys, time
from braze_harness.emulator.messaging.braze_liquid import compile_template
from braze_harness.emulator.messaging.templating import TemplateError, render, template_data
ctx = template_data({}, {}, {})
out = {}
for name, shape in json.loads(sys.argv[1]).items():
    out[name] = []
    for n in (2048, 16384):
        text = eval(shape)
        took = []
        for _ in range(5):  # CPU time, the least of 5: the machine is shared, others' load says nothing of ours
            compile_template.cache_clear()  # parse every time: the lexer and parser are what is timed
            started = time.process_time()
            try:
                render(text, ctx)
            except TemplateError:  # most of these shapes are syntax errors: refusing them must be fast too
                pass
            took.append(time.process_time() - started)
        out[name].append(min(took))
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
        # 8 times the text: linear is ~8 times the time, quadratic 64 (python-liquid's own lexer: 66)
        assert large < 16 * small + 0.01, f"{name}: 2 KB {small * 1000:.2f} ms, 16 KB {large * 1000:.2f} ms (not linear)"


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


def test_1200_nested_ifs_are_refused_when_seeded(seeded) -> None:
    emu, scope, sdk = seeded
    nested = rf"campaigns\[0\]\.message\.message: line 1, column \d+: blocks nested more than {MAX_NESTING} deep"
    with pytest.raises(DefinitionError, match=nested):
        _template(emu, scope, sdk, "{% if true %}" * 1200 + "deep" + "{% endif %}" * 1200)


def test_100_nested_ifs_render(seeded) -> None:
    emu, scope, sdk = seeded
    status, body = _template(emu, scope, sdk, "{% if true %}" * MAX_NESTING + "deep" + "{% endif %}" * MAX_NESTING)
    assert status == 200 and body["templated_message"]["data"]["message"] == "deep"
    assert _reported(emu) == []


def test_a_render_error_is_reported_with_its_position_and_nothing_is_sent(seeded) -> None:
    emu, scope, sdk = seeded
    status, body = _template(emu, scope, sdk, "Hi\n{% for i in (1..100) %}{% for j in (1..200) %}{% endfor %}{% endfor %}")
    assert status == 200 and body == {"error": "message aborted"}
    [message] = _reported(emu)
    assert message == "campaign 't': message: line 2, column 4: loop iteration limit reached"
    log = emu.messaging.describe(scope)["templates"][-1]
    assert log["aborted"] and log["render_error"] == "message: line 2, column 4: loop iteration limit reached"


def test_loops_one_after_the_other_share_one_iteration_bound(seeded) -> None:
    emu, scope, sdk = seeded
    loop = f"{{% for i in (1..{MAX_LOOP_ITERATIONS // 4}) %}}{{% endfor %}}"
    status, body = _template(emu, scope, sdk, loop * 4 + "ok")
    assert status == 200 and body["templated_message"]["data"]["message"] == "ok"
    status, body = _template(emu, scope, sdk, loop * 5 + "ok")
    assert body == {"error": "message aborted"}
    assert [f"loops ran more than {MAX_LOOP_ITERATIONS} iterations" in m for m in _reported(emu)] == [True]


def test_doubling_a_variable_stops_at_the_namespace_limit(seeded) -> None:
    emu, scope, sdk = seeded
    _, body = _template(emu, scope, sdk, "{% assign x = 'ab' %}" + "{% assign x = x | append: x %}" * 40 + "{{ x | size }}")
    assert body == {"error": "message aborted"}
    assert ["local namespace limit reached" in m for m in _reported(emu)] == [True]


def test_a_template_over_64_kb_is_refused_when_seeded(seeded) -> None:
    emu, scope, sdk = seeded
    with pytest.raises(DefinitionError, match=r"campaigns\[0\]\.message: template of 65537 bytes is over the 64 KB"):
        _template(emu, scope, sdk, "x" * (64 * 1024 + 1))
    status, body = _template(emu, scope, sdk, "{{ a }}" * (64 * 1024 // 7), cid="edge")  # at the limit: rendered
    assert status == 200 and "templated_message" in body  # within the render budget, else it would be aborted


def test_a_template_over_64_kb_is_refused_when_rendered() -> None:
    with pytest.raises(templating.TemplateError, match="over the 64 KB template limit"):
        templating.render_message({"message": "x" * (64 * 1024 + 1)}, templating.template_data({}, {}, {}))


def test_a_template_that_expands_past_the_rendered_size_limit_is_refused(seeded) -> None:
    context = templating.template_data({}, {}, {"x": "a" * (1024 * 1024)})
    with pytest.raises(templating.TemplateError, match="rendered-size limit"):
        templating.render_message({"message": "{{connected.x}}" * 3}, context)


def test_over_the_time_budget_nothing_is_rendered(seeded, monkeypatch) -> None:
    emu, scope, sdk = seeded
    monkeypatch.setattr(templating, "RENDER_BUDGET_S", 0.0)  # any render is over a zero budget
    status, body = _template(emu, scope, sdk, "Hi")
    assert status == 200 and body == {"error": "message aborted"}
    assert ["render budget" in m for m in _reported(emu)] == [True]


def test_a_64_kb_hostile_template_is_refused_within_the_budget(seeded) -> None:
    emu, scope, sdk = seeded
    for hostile in ("{%" + " " * (64 * 1024 - 2), "{{" + " " * (64 * 1024 - 3) + "}", "{{ a" + '["' * 30000 + "}}"):
        started = time.perf_counter()
        with pytest.raises(DefinitionError, match=r"campaigns\[0\]\.message\.message: line 1, column"):
            _template(emu, scope, sdk, hostile)
        assert time.perf_counter() - started < templating.RENDER_BUDGET_S


def test_a_huge_range_given_to_a_filter_is_refused_not_built() -> None:
    data = templating.template_data({}, {}, {})
    started = time.perf_counter()
    with pytest.raises(
        templating.TemplateError, match=rf"line 1, column 22: a range of 1000000000 items is over the {MAX_LOOP_ITERATIONS}"
    ):
        templating.render("{{ (1..1000000000) | sort | join }}", data)
    assert time.perf_counter() - started < 0.5
    assert templating.render("{{ (1..1000000000) | size }}", data) == "1000000000"  # O(1): allowed
