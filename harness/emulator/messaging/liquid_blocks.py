"""The Liquid block tags of templated messages: `{% if %}` / `{% elsif %}` / `{% else %}` / `{% endif %}` and
`{% abort_message('reason') %}` (Braze: the message is not sent; the reason goes to the Message Activity Log).

Conditions: `a == b`, `!=`, `>`, `>=`, `<`, `<=`, `contains`, a bare value (Liquid truthiness: only nil and
false are false), joined by `and` / `or`; operands are the `{{ }}` lookups (`connected.x.y`, `${first_name}`,
`custom_attribute.${k}`, `event_properties.${k}`, with `.size`), quoted strings, numbers, true/false, nil, blank.
Other tags (e.g. `{% connected_content ... %}`: the campaign's URL is fetched instead) render nothing.

Linear in the template's size: tags are found with `str.find`, never with a regex that can backtrack over what
follows an unclosed `{%`; `{% if %}` blocks nest at most MAX_IF_DEPTH deep (a TemplateError naming the bound).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# every pattern here matches in linear time: no two adjacent quantifiers can share the same characters
_ABORT = re.compile(r"""abort_message\s*(?:\(\s*(?:(?:'([^']*)'|"([^"]*)")\s*)?\))?""")
_OPERATOR = re.compile(r"==|!=|>=|<=|>|<|\bcontains\b")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
MAX_IF_DEPTH = 100  # deeper `{% if %}` nesting is refused, not recursed into


class TemplateError(Exception):
    """A template over one of the renderer's bounds: nothing of it is rendered; the message names the bound."""


class Aborted(Exception):
    """`{% abort_message(reason) %}` was reached: the message must not be sent."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason or "abort_message() without a reason")
        self.reason = reason


Lookup = Callable[[str], Any]


def run_blocks(text: str, lookup: Lookup) -> str:
    """`text` with its block tags evaluated (raises Aborted when an `abort_message` is reached)."""
    if "{%" not in text:
        return text
    parts = _split(text)  # text, tag, text, tag, ...
    nodes, i, stop = _parse(parts, 0, 0)
    while stop is not None:  # a stray elsif/else/endif outside any if renders nothing, like other unknown tags
        more, i, stop = _parse(parts, i, 0)
        nodes.extend(more)
    out: list[str] = []
    _emit(nodes, lookup, out)
    return "".join(out)


def _split(text: str) -> list[str]:
    """`text` cut at its `{% ... %}` tags: text, tag, text, tag, ..., text (each tag without its `{%-`/`-%}` and
    surrounding spaces). An unclosed `{%` is text, like everything after it."""
    parts: list[str] = []
    pos = 0
    while (start := text.find("{%", pos)) >= 0 and (end := text.find("%}", start + 2)) >= 0:
        inner = text[start + 2 : end]
        inner = inner[1:] if inner.startswith("-") else inner
        inner = inner.lstrip()
        inner = inner[:-1] if inner.endswith("-") else inner
        parts += [text[pos:start], inner.rstrip()]
        pos = end + 2
    parts.append(text[pos:])
    return parts


def _parse(parts: list[str], i: int, depth: int) -> tuple[list[Any], int, str | None]:
    """Nodes up to an `elsif`/`else`/`endif` at this level (returned as the stopper)."""
    nodes: list[Any] = []
    while i < len(parts):
        if i % 2 == 0:
            if parts[i]:
                nodes.append(("text", parts[i]))
            i += 1
            continue
        tag = parts[i].strip()
        i += 1
        word = tag.split(None, 1)[0] if tag else ""
        if word in ("elsif", "else", "endif"):
            return nodes, i, tag
        if word == "if":
            if depth >= MAX_IF_DEPTH:
                raise TemplateError(f"{{% if %}} blocks nested more than {MAX_IF_DEPTH} deep (the renderer's limit)")
            branches: list[tuple[str | None, list[Any]]] = []
            cond: str | None = tag[2:].strip()
            while True:
                body, i, stop = _parse(parts, i, depth + 1)
                branches.append((cond, body))
                if stop is None or stop == "endif":
                    break
                cond = stop[5:].strip() if stop.startswith("elsif") else None
            nodes.append(("if", branches))
        elif word.startswith("abort_message") and (m := _ABORT.fullmatch(tag)):
            reason = m.group(1) if m.group(1) is not None else m.group(2)
            nodes.append(("abort", reason))
        # any other tag renders nothing
    return nodes, i, None


def _emit(nodes: list[Any], lookup: Lookup, out: list[str]) -> None:
    for node in nodes:
        match node:
            case ("text", text):
                out.append(text)
            case ("abort", reason):
                raise Aborted(reason)
            case ("if", branches):
                for cond, body in branches:
                    if cond is None or truthy(cond, lookup):
                        _emit(body, lookup, out)
                        break


_LOGIC = re.compile(r"""'[^']*'|"[^"]*"|(?<!\s)\s+(and|or)\s+""")  # (?<!\s): tried once per run of spaces


def truthy(cond: str, lookup: Lookup) -> bool:
    """Liquid's `and`/`or`: no precedence, evaluated right to left (`a and b or c` is `a and (b or c)`);
    an `and`/`or` inside a quoted string is part of the operand."""
    operands, ops, start = [], [], 0
    for m in _LOGIC.finditer(cond):
        if m.group(1):  # not a quoted string
            operands.append(cond[start : m.start()])
            ops.append(m.group(1))
            start = m.end()
    operands.append(cond[start:])
    result = _holds(operands[-1].strip(), lookup)
    for operand, op in zip(reversed(operands[:-1]), reversed(ops), strict=True):
        left = _holds(operand.strip(), lookup)
        result = (left and result) if op == "and" else (left or result)
    return result


_BLANK = object()


def _holds(cond: str, lookup: Lookup) -> bool:
    m = _OPERATOR.search(cond, 1)  # the leftmost operator with something before it
    if not m or not cond[m.end() :].strip():
        value = _operand(cond, lookup)
        return value is not None and value is not False and value is not _BLANK
    left, op, right = _operand(cond[: m.start()].strip(), lookup), m.group(0), _operand(cond[m.end() :].strip(), lookup)
    if right is _BLANK or left is _BLANK:
        other = left if right is _BLANK else right
        empty = other in (None, "", [], {}) or other is _BLANK
        return empty if op == "==" else (not empty if op == "!=" else False)
    try:
        match op:
            case "==":
                return left == right
            case "!=":
                return left != right
            case ">":
                return left > right
            case ">=":
                return left >= right
            case "<":
                return left < right
            case "<=":
                return left <= right
            case _:
                return right in left if left is not None else False
    except TypeError:
        return False


def _operand(expr: str, lookup: Lookup) -> Any:
    if len(expr) >= 2 and expr[0] == expr[-1] and expr[0] in "'\"":
        return expr[1:-1]
    if _NUMBER.fullmatch(expr):
        return float(expr) if "." in expr else int(expr)
    match expr:
        case "true":
            return True
        case "false":
            return False
        case "nil" | "null":
            return None
        case "blank" | "empty":
            return _BLANK
    if expr.endswith(".size"):
        value = lookup(expr[:-5])
        return len(value) if isinstance(value, (str, list, dict)) else None
    return lookup(expr)
