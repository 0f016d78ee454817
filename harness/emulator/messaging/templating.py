"""Liquid personalisation of templated in-app messages (`/template/`), as Braze renders it: python-liquid with
Braze's dialect on top (braze_liquid.py, liquid_lexer.py), documented in
docs/server-behaviour.md#templated-messages-and-connected-content.

What a template reads: `{{${first_name}}}` and the other standard attributes, `{{custom_attribute.${plan}}}`,
`{{event_properties.${item}}}` (the trigger event's), `{{api_trigger_properties.${x}}}` and
`{{canvas_entry_properties.${x}}}` (empty: an SDK-triggered campaign has none), what `{% connected_content URL
:save name %}` fetched, and `{{connected.<path>}}` (the JSON of the campaign's `connected_content_url`).

A template is checked when its campaign is seeded (`check_message`: a syntax error, an unknown tag or filter, a
`${name}` Braze does not have is a DefinitionError naming the field, line and column). Rendering runs under the
emulator's lock, so it is bounded (`render_message`): the template's size, the rendered size, block nesting, loop
iterations, and a time budget checked while rendering. The lexer is linear in the template's size.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from braze_harness.emulator.messaging import braze_liquid as bl
from braze_harness.emulator.messaging.braze_liquid import RENDERED_MAX_CHARS, Aborted, Fetched, TemplateError
from braze_harness.emulator.messaging.content_blocks import Included, WorkspaceBlocks
from braze_harness.emulator.messaging.liquid_lexer import ROOT_TAGS, mangle

__all__ = [
    "RENDERED_MAX_CHARS",
    "Aborted",
    "Fetched",
    "TemplateError",
    "check_message",
    "check_texts",
    "connected_urls",
    "render",
    "render_message",
    "render_strings",
    "strings_of",
]

# Braze documents no size limit for an in-app message's text (its Creative Details page asks for a few lines);
# these are the emulator's own bounds (docs/server-behaviour.md#templated-messages-and-connected-content)
TEMPLATE_MAX_BYTES = 64 * 1024  # message + header + button texts of one message
RENDER_BUDGET_S = 1.0


def message_texts(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, text) of the texts of a message (as message_json shapes it) that are templates."""
    texts = [(key, message.get(key)) for key in ("message", "header")]
    texts += [(f"buttons[{i}].text", b.get("text")) for i, b in enumerate(message.get("btns", []))]
    return [(where, text) for where, text in texts if text]


def _check_size(texts: list[tuple[str, str]]) -> None:
    size = sum(len(t.encode("utf-8", "surrogatepass")) for _, t in texts)
    if size > TEMPLATE_MAX_BYTES:
        raise TemplateError(f"template of {size} bytes is over the {TEMPLATE_MAX_BYTES // 1024} KB template limit")


def check_message(message: dict[str, Any]) -> None:
    """Raise TemplateError (`<field>: line L, column C: why`) unless every text of the message parses."""
    texts = message_texts(message)
    _check_size(texts)
    for where, text in texts:
        try:
            bl.compile_template(text)
        except TemplateError as exc:
            raise TemplateError(str(exc), field=where) from None


def strings_of(value: Any, where: str = "") -> list[tuple[str, str]]:
    """(path, text) of every string inside a JSON-like value (an API-triggered campaign's push objects and card)."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in strings_of(v, f"{where}.{k}" if where else str(k))]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in strings_of(v, f"{where}[{i}]")]
    return []


def check_texts(value: Any) -> None:
    """Raise TemplateError (with `field`: the path) unless every string inside `value` parses as Liquid."""
    for where, text in strings_of(value):
        if "{" in text:
            try:
                bl.compile_template(text)
            except TemplateError as exc:
                raise TemplateError(str(exc), field=where) from None


def render_strings(value: Any, data: dict[str, Any], where: str = "") -> Any:
    """A copy of a JSON-like value with every string rendered as Liquid with `data` (TemplateError names the path;
    Aborted as `render`)."""
    if isinstance(value, str):
        if "{" not in value:
            return value
        try:
            return render(value, data)
        except TemplateError as exc:
            raise TemplateError(f"{where}: {exc}", field=where) from None
    if isinstance(value, dict):
        return {k: render_strings(v, data, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [render_strings(v, data, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def connected_urls(message: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    """(markup, URL) of each `{% connected_content %}` of the message, the URL's own Liquid rendered with `data`."""
    calls: list[tuple[str, str]] = []
    context = bl.url_context(data)
    for _, text in message_texts(message):
        for node in bl.connected_calls(bl.compile_template(text)):
            url = bl.render_url(node.url, context) if "{" in node.url else node.url
            calls.append((node.markup, url))
    return calls


def template_data(
    profile: dict[str, Any] | None,
    event_properties: dict[str, Any],
    connected: dict[str, Any],
    fetched: dict[str, Fetched] | None = None,
    now: float | None = None,
    blocks: WorkspaceBlocks | None = None,
) -> dict[str, Any]:
    """What a template sees, by the names liquid_lexer.py rewrites `${name}` to; `blocks`: the content blocks of the
    user's workspace (`{{content_blocks.${name}}}`)."""
    profile = profile or {}
    attrs = dict(profile.get("attributes") or {})
    attrs["external_id"], attrs["braze_id"] = profile.get("external_id"), profile.get("braze_id")
    data: dict[str, Any] = {mangle(tag): attrs.get(field) for tag, field in ROOT_TAGS.items() if field}
    data["custom_attribute"] = attrs.get("custom") or {}
    data["event_properties"] = event_properties
    data["api_trigger_properties"] = {}
    data["canvas_entry_properties"] = {}
    data["connected"] = connected
    data[bl.FETCHED] = fetched or {}
    if now is not None:
        data[bl.NOW] = dt.datetime.fromtimestamp(now, dt.UTC)
    data["content_blocks"] = Included(blocks, data)
    return data


def render_message(message: dict[str, Any], data: dict[str, Any]) -> None:
    """Render a message's `message`, `header` and button texts in place, within the bounds above.

    Raises Aborted (`{% abort_message %}`) or TemplateError (a render error or a bound, named with its field and
    position); the caller then sends nothing of the message."""
    _check_size(message_texts(message))
    started = time.perf_counter()
    room = RENDERED_MAX_CHARS
    for key in ("message", "header"):
        message[key] = _render_field(key, message.get(key), data, room, started)
        room -= len(message[key] or "")
    for i, b in enumerate(message.get("btns", [])):
        b["text"] = _render_field(f"buttons[{i}].text", b.get("text"), data, room, started)
        room -= len(b["text"] or "")
    took = time.perf_counter() - started
    if took > RENDER_BUDGET_S:  # the deadline is checked as output is written; this catches the rest
        raise TemplateError(f"rendering took {took:.2f} s, over the {RENDER_BUDGET_S:g} s render budget")


def _render_field(where: str, text: str | None, data: dict[str, Any], room: int, started: float) -> str | None:
    if not text:
        return text
    budget = max(RENDER_BUDGET_S - (time.perf_counter() - started), 0.0)
    try:
        return bl.render(bl.compile_template(text), data, limit=room, budget=budget)
    except TemplateError as exc:
        raise TemplateError(f"{where}: {exc}") from None


def render(text: str | None, data: dict[str, Any]) -> str | None:
    """One text rendered (Aborted, TemplateError as render_message)."""
    if text is None:
        return None
    return bl.render(bl.compile_template(text), data, limit=RENDERED_MAX_CHARS, budget=RENDER_BUDGET_S)
