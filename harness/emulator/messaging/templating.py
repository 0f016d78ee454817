"""Liquid-style personalisation for templated in-app messages (`/template/`), with Connected Content.

Supported: `{{${first_name}}}` (standard attributes), `{{custom_attribute.${plan}}}`,
`{{event_properties.${item}}}`, `{{connected.<path>}}` (the campaign's Connected Content JSON),
each with an optional `| default: 'text'`. Unknown or missing values render as the default or ''.
Connected Content that cannot be fetched renders as '' (Braze renders nothing in its place); the fetch and its
guard are in connected_content.py. Block tags (`{% if %}`, `{% abort_message('why') %}`) are evaluated first
(liquid_blocks.py).

Rendering runs under the emulator's lock, so it is bounded (`render_message`, around whichever engine renders):
the template's size, the rendered size, `{% if %}` nesting, and a time budget. The renderer is linear in the
template's size (no backtracking regex over user text), so the budget holds far below the size limit.
"""

from __future__ import annotations

import re
import time
from typing import Any

from harness.emulator.messaging.liquid_blocks import Aborted, TemplateError, run_blocks

__all__ = ["Aborted", "TemplateError", "render", "render_message"]

# Braze documents no size limit for an in-app message's text (its Creative Details page asks for a few lines);
# these are the emulator's own bounds (docs/server-behaviour.md#templated-messages-and-connected-content)
TEMPLATE_MAX_BYTES = 64 * 1024  # message + header + button texts of one message
RENDERED_MAX_CHARS = 2 * 1024 * 1024  # what the tags may expand to (a 1 MB Connected Content value fits)
RENDER_BUDGET_S = 1.0

_VAR = re.compile(r"\$\{([^}]+)\}")
_DEFAULT_WORD = "default:"


def render_message(message: dict[str, Any], context: dict[str, Any]) -> None:
    """Render a message's `message`, `header` and button texts in place, within the bounds above.

    Raises Aborted (`{% abort_message %}`) or TemplateError (a bound exceeded, named); the caller then sends
    nothing of the message."""
    texts = [message.get("message"), message.get("header"), *(b.get("text") for b in message.get("btns", []))]
    size = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts if t)
    if size > TEMPLATE_MAX_BYTES:
        raise TemplateError(f"template of {size} bytes is over the {TEMPLATE_MAX_BYTES // 1024} KB template limit")
    started = time.perf_counter()
    for key in ("message", "header"):
        message[key] = render(message.get(key), context)
    for b in message.get("btns", []):
        b["text"] = render(b.get("text"), context)
    took = time.perf_counter() - started
    if took > RENDER_BUDGET_S:  # cannot be interrupted in-process; refused so an over-budget template never passes
        raise TemplateError(f"rendering took {took:.2f} s, over the {RENDER_BUDGET_S:g} s render budget")


def render(text: str | None, context: dict[str, Any]) -> str | None:
    """The text personalised; raises Aborted when it reaches `{% abort_message(...) %}` (liquid_blocks.py) and
    TemplateError past a bound."""
    if text is None:
        return None
    text = run_blocks(text, lambda expr: _lookup(expr.strip(), context))
    out: list[str] = []
    size, pos = 0, 0
    for start, end, expr in _tags(text):
        piece = text[pos:start] + _value(expr, context)
        size += len(piece)
        if size > RENDERED_MAX_CHARS:
            raise TemplateError(f"rendered text over the {RENDERED_MAX_CHARS // (1024 * 1024)} MB rendered-size limit")
        out.append(piece)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _tags(text: str) -> Any:
    """(start, end, expression) of each `{{ ... }}`, left to right, in one pass. Inside, `${...}` may hold a `}`;
    any other lone `}` means the `{{` before it opens no tag (it is text)."""
    pos, n = 0, len(text)
    while (start := text.find("{{", pos)) >= 0:
        i = start + 2
        while i < n:
            if text.startswith("${", i):
                close = text.find("}", i + 2)
                if close < 0:
                    return  # no `}` anywhere after: no tag can close
                i = close + 1
            elif text[i] == "}":
                break
            else:
                i += 1
        if i >= n:
            return
        if text.startswith("}}", i) and i > start + 2:
            yield start, i + 2, text[start + 2 : i]
            pos = i + 2
        else:
            pos = max(i, start + 1)  # every `{{` up to this lone `}` would stop at it too


def _value(expr: str, context: dict[str, Any]) -> str:
    expr, default = _split_default(expr)
    value = _lookup(expr.strip(), context)
    return default if value in (None, "") else str(value)


def _split_default(expr: str) -> tuple[str, str]:
    """`x | default: 'text'` → (`x`, `text`); found from the end, without backtracking."""
    tail = expr.rstrip()
    if len(tail) < 2 or tail[-1] not in "'\"":
        return expr, ""
    opening = tail.rfind(tail[-1], 0, len(tail) - 1)
    head = tail[:opening].rstrip() if opening >= 0 else ""
    if not head.endswith(_DEFAULT_WORD):
        return expr, ""
    head = head[: -len(_DEFAULT_WORD)].rstrip()
    if not head.endswith("|"):
        return expr, ""
    return head[:-1], tail[opening + 1 : -1]


def _lookup(expr: str, context: dict[str, Any]) -> Any:
    path = [_VAR.sub(lambda m: m.group(1), part) for part in expr.split(".")]
    profile = context.get("profile") or {}
    attrs = profile.get("attributes", {})
    match path:
        case [name] if expr.startswith("${"):
            return attrs.get(name) if name != "custom" else None
        case ["custom_attribute", name]:
            return attrs.get("custom", {}).get(name)
        case ["event_properties", name]:
            return (context.get("event_properties") or {}).get(name)
        case ["connected", *rest]:
            value: Any = context.get("connected") or {}
            for key in rest:
                value = value.get(key) if isinstance(value, dict) else None
            return value
    return None
