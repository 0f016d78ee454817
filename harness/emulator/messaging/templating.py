"""Liquid-style personalisation for templated in-app messages (`/template/`), with Connected Content.

Supported: `{{${first_name}}}` (standard attributes), `{{custom_attribute.${plan}}}`,
`{{event_properties.${item}}}`, `{{connected.<path>}}` (the campaign's Connected Content JSON),
each with an optional `| default: 'text'`. Unknown or missing values render as the default or ''.
Connected Content that cannot be fetched renders as '' (Braze renders nothing in its place).
Block tags (`{% if %}`, `{% abort_message('why') %}`) are evaluated first (liquid_blocks.py).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from harness.emulator.messaging.liquid_blocks import Aborted, run_blocks

__all__ = ["Aborted", "fetch_connected", "render"]

_TAG = re.compile(r"\{\{\s*((?:\$\{[^}]*\}|[^}])+?)\s*\}\}")
_DEFAULT = re.compile(r"""^(.*?)\s*\|\s*default:\s*(?:'([^']*)'|"([^"]*)")\s*$""")
_VAR = re.compile(r"\$\{([^}]+)\}")
CONNECTED_TIMEOUT_S = 2.0


def fetch_connected(url: str) -> tuple[dict[str, Any], str | None]:
    """GET the Connected Content URL: (json, None), or ({}, why) when the fetch fails."""
    try:
        resp = httpx.get(url, timeout=CONNECTED_TIMEOUT_S, trust_env=False)
        if resp.status_code >= 400:
            return {}, f"HTTP {resp.status_code}"
        value = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        return {}, f"{type(exc).__name__}: {exc}"
    return (value if isinstance(value, dict) else {"value": value}), None


def render(text: str | None, context: dict[str, Any]) -> str | None:
    """The text personalised; raises Aborted when it reaches `{% abort_message(...) %}` (liquid_blocks.py)."""
    if text is None:
        return None
    text = run_blocks(text, lambda expr: _lookup(expr.strip(), context))

    def one(m: re.Match[str]) -> str:
        expr, default = m.group(1), ""
        d = _DEFAULT.match(expr)
        if d:
            expr, default = d.group(1), d.group(2) if d.group(2) is not None else d.group(3)
        value = _lookup(expr.strip(), context)
        return default if value in (None, "") else str(value)

    return _TAG.sub(one, text)


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
