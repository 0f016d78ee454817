"""The template lexer of the Braze Liquid dialect, plugged into python-liquid (`BrazeEnvironment.tokenizer`).

Why not python-liquid's own lexer: its regexes backtrack (`{{` followed by 16 K spaces took 11 s, quadratic), and
they cut `{{${first_name}}}` at the first `}}`, inside Braze's `${...}`. This one finds delimiters with `str.find`
(every scan moves forward: linear in the template's size), skips over `${...}` inside `{{ }}`, and yields the tokens
python-liquid's parser expects (content, output + expression, tag + expression, comment, raw as content), with
the same whitespace control (`{{-`, `-%}`).

Braze's `${name}` is not Liquid syntax: each is rewritten, in place and at the same length, so that error
positions stay the template's: `${first_name}` becomes the identifier `__first_name_` (`mangle`), `.${plan}`
becomes `["plan"]` (a key, whatever its characters: `.${Plan Type}`, nested `.${a}.${b}`). Which names are allowed
where is checked here, with their position: a `${name}` at the root must be a personalization tag the emulator knows
(`ROOT_TAGS`), after a dot it must follow one of `OBJECTS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from liquid.exceptions import LiquidSyntaxError
from liquid.token import TOKEN_COMMENT, TOKEN_CONTENT, TOKEN_EOF, TOKEN_EXPRESSION, TOKEN_OUTPUT, TOKEN_TAG, Token

# Braze's standard-attribute personalization tags and the profile field each reads (None: Braze has it, the emulator
# keeps no such data). https://www.braze.com/docs/user_guide/personalization_and_dynamic_content/liquid/supported_personalization_tags/
ROOT_TAGS: dict[str, str | None] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email_address": "email",
    "phone_number": "phone",
    "gender": "gender",
    "date_of_birth": "dob",
    "city": "home_city",
    "country": "country",
    "language": "language",
    "time_zone": "time_zone",
    "user_id": "external_id",
    "braze_id": "braze_id",
    "last_used_app_date": None,
    "most_recent_app_version": None,
    "most_recent_locale": None,
    "most_recent_location": None,
    "random_bucket_number": None,
    "set_user_to_unsubscribed_url": None,
    "unsubscribe_url": None,
}
# objects whose keys are `${name}`: what the emulator binds (the trigger event's properties, the profile's custom
# attributes; API-trigger and Canvas-entry properties are empty for an SDK-triggered campaign)
OBJECTS = frozenset(
    {"custom_attribute", "event_properties", "api_trigger_properties", "canvas_entry_properties", "content_blocks"}
)
NOT_EMULATED_OBJECTS = frozenset(
    {"most_recently_used_device", "targeted_device", "subscribed_state", "campaign", "canvas", "sms"}
)

MAX_BRACKETS = 64  # per tag or output: each `(` / `[` / `${` makes an expression lexer scan what follows or precedes
_TAG_NAME = re.compile(r"\s*(#|\w+)")
_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


def mangle(name: str) -> str:
    """The identifier `${name}` becomes (same length): `first_name` -> `__first_name_`."""
    return f"__{name}_"


def tokenize(source: str) -> Iterator[Token]:
    """python-liquid tokens for `source`; raises LiquidSyntaxError (with its position) for what cannot be lexed."""
    return _Lexer(source).tokens()


class _Lexer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.next_out = -1  # cached positions of the next `{{` / `{%` (each `find` moves forward only)
        self.next_tag = -1
        self.next_brace = -1
        self.strip_next = False  # the previous markup ended with `-`

    def _find(self, pos: int) -> tuple[int, str]:
        s = self.source
        if self.next_out < pos and self.next_out != len(s):
            found = s.find("{{", pos)
            self.next_out = len(s) if found < 0 else found
        if self.next_tag < pos and self.next_tag != len(s):
            found = s.find("{%", pos)
            self.next_tag = len(s) if found < 0 else found
        return (self.next_out, "{{") if self.next_out < self.next_tag else (self.next_tag, "{%")

    def _brace(self, pos: int) -> int:
        """The next `${` at or after `pos` (cached like the delimiters: never searched twice over the same text)."""
        if self.next_brace < pos and self.next_brace != len(self.source):
            found = self.source.find("${", pos)
            self.next_brace = len(self.source) if found < 0 else found
        return self.next_brace

    def _error(self, message: str, at: int, value: str) -> LiquidSyntaxError:
        return LiquidSyntaxError(message, token=Token(TOKEN_EOF, value, start_index=at, source=self.source))

    def _content(self, start: int, end: int, rstrip: bool) -> Iterator[Token]:
        text = self.source[start:end]
        if self.strip_next:
            text = text.lstrip()
        if rstrip:
            text = text.rstrip()
        self.strip_next = False
        if text:
            yield Token(TOKEN_CONTENT, text, start_index=start, source=self.source)

    def tokens(self) -> Iterator[Token]:
        s, pos, n = self.source, 0, len(self.source)
        while pos < n:
            at, kind = self._find(pos)
            if at >= n:
                yield from self._content(pos, n, False)
                return
            yield from self._content(pos, at, s.startswith("-", at + 2))
            pos = yield from (self._output(at) if kind == "{{" else self._tag(at))

    def _output(self, start: int) -> Iterator[Token]:
        s = self.source
        close, i = -1, start + 2
        while True:
            if close < i:
                close = s.find("}}", i)
            if close < 0:
                raise self._error("expected '}}', found end of file", start, s[start : start + 2])
            brace = self._brace(i)
            if brace < close:  # `${name}` holds a `}`: skip it
                end = s.find("}", brace + 2)
                if end < 0:
                    raise self._error("`${` is never closed by `}`", brace, "${")
                i = end + 1
                continue
            break
        inner_start, inner_end, right_strip = _inner(s, start, close)
        expr, at = _stripped(s, inner_start, inner_end)
        yield Token(TOKEN_OUTPUT, s[start : close + 2], start_index=start, source=s)
        yield Token(TOKEN_EXPRESSION, rewrite(expr, at, s), start_index=at, source=s)
        self.strip_next = right_strip
        return close + 2

    def _tag(self, start: int) -> Iterator[Token]:
        s = self.source
        close = s.find("%}", start + 2)
        if close < 0:
            raise self._error("missing tag name or closing delimiter", start, s[start : start + 2])
        inner_start, inner_end, right_strip = _inner(s, start, close)
        name_match = _TAG_NAME.match(s, inner_start, inner_end)
        if name_match is None:
            raise self._error("missing tag name", start, s[start : close + 2])
        name = name_match.group(1)
        expr, at = _stripped(s, name_match.end(), inner_end)
        self.strip_next = right_strip
        if name == "raw":
            end = _ENDRAW.search(s, close + 2)
            if end is None:
                raise self._error("'raw' tag was never closed", start, s[start : close + 2])
            if s[close + 2 : end.start()]:
                yield Token(TOKEN_CONTENT, s[close + 2 : end.start()], start_index=close + 2, source=s)
            self.strip_next = end.group().endswith("-%}")
            return end.end()
        yield Token(TOKEN_TAG, name, start_index=name_match.start(1), source=s)
        if expr:
            # Braze accepts `{% if {{custom_attribute.${x}}} > 0 %}`: the braces are blanked (a connected_content
            # URL keeps its own, they are Liquid to render)
            blank = name not in ("connected_content", "raw", "comment", "#", "liquid")
            yield Token(TOKEN_EXPRESSION, rewrite(expr, at, s, blank_braces=blank), start_index=at, source=s)
        if name == "comment":
            return (yield from self._comment(start, close + 2))
        return close + 2

    def _comment(self, start: int, pos: int) -> Iterator[Token]:
        """Everything up to the matching `{% endcomment %}` (comments nest) is one comment token."""
        s, depth, body, close = self.source, 1, pos, pos - 1
        while True:
            at = s.find("{%", pos)
            if at >= 0 and close < at + 2:  # cached: many `{%` before one `%}` must not rescan the same text
                close = s.find("%}", at + 2)
            if at < 0 or close < 0:
                raise self._error("'comment' tag was never closed", start, s[start:pos])
            name_match = _TAG_NAME.match(s, at + 2 + s.startswith("-", at + 2), close)
            name = name_match.group(1) if name_match else ""
            depth += (name == "comment") - (name == "endcomment")
            if depth == 0:
                yield Token(TOKEN_COMMENT, s[body:at], start_index=body, source=s)
                assert name_match is not None
                yield Token(TOKEN_TAG, name, start_index=name_match.start(1), source=s)
                self.strip_next = s[close - 1] == "-"
                return close + 2
            pos = close + 2


def _inner(s: str, start: int, close: int) -> tuple[int, int, bool]:
    """The span between `{{`/`{%` at `start` and `}}`/`%}` at `close`, without the `-` whitespace-control marks;
    and whether the closing one had its `-` (strip the whitespace after)."""
    inner_start, inner_end = start + 2, close
    if s.startswith("-", inner_start):
        inner_start += 1
    right_strip = inner_end > inner_start and s[inner_end - 1] == "-"
    if right_strip:
        inner_end -= 1
    return inner_start, inner_end, right_strip


def _stripped(s: str, start: int, end: int) -> tuple[str, int]:
    text = s[start:end]
    stripped = text.lstrip()
    return stripped.rstrip(), start + len(text) - len(stripped)


def rewrite(expr: str, at: int, source: str, *, blank_braces: bool = False) -> str:
    """`expr` with each `${name}` outside quoted strings rewritten (same length; see the module's docstring)."""
    if max(expr.count("("), expr.count("["), expr.count("${")) > MAX_BRACKETS:
        raise LiquidSyntaxError(
            f"more than {MAX_BRACKETS} `(`, `[` or `${{` in one tag (the expression lexers are quadratic in them)",
            token=Token(TOKEN_EOF, expr[:1], at, source),
        )
    if "${" not in expr and not (blank_braces and ("{{" in expr or "}}" in expr)):
        return expr
    out: list[str] = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "'\"":
            end = expr.find(c, i + 1)
            end = n - 1 if end < 0 else end
            out.append(expr[i : end + 1])
            i = end + 1
        elif expr.startswith("${", i):
            end = expr.find("}", i + 2)
            if end < 0:
                raise LiquidSyntaxError("`${` is never closed by `}`", token=Token(TOKEN_EOF, "${", at + i, source))
            name = expr[i + 2 : end]
            owner = _owner(expr, i)
            _check(name, owner, Token(TOKEN_EOF, expr[i : end + 1], at + i, source))
            if owner is None:
                out.append(mangle(name))
            else:  # `.${Plan Type}` -> `["Plan Type"]`: a key, whatever its characters (the dot goes: same length)
                out[-1] = out[-1].rstrip()[:-1] + out[-1][len(out[-1].rstrip()) :]
                quote = "'" if '"' in name else '"'
                out.append(f"[{quote}{name}{quote}]")
            i = end + 1
        elif blank_braces and (expr.startswith("{{", i) or expr.startswith("}}", i)):
            out.append("  ")
            i += 2
        else:
            j = i + 1
            while j < n and expr[j] not in "'\"${}":
                j += 1
            out.append(expr[i:j])
            i = j
    return "".join(out)


def _owner(expr: str, i: int) -> str | None:
    """The object before `.${`: None when `${` starts a path (a root personalization tag)."""
    j = i - 1
    while j >= 0 and expr[j] in " \t":
        j -= 1
    if j < 0 or expr[j] != ".":
        return None
    if j > 0 and expr[:j].rstrip().endswith("}") and (k := expr.rfind("${", 0, j)) >= 0:
        return _owner(expr, k)  # `custom_attribute.${a}.${b}`: a nested key, owned by what owns `${a}`
    j -= 1
    while j >= 0 and expr[j] in " \t":
        j -= 1
    end = j + 1
    while j >= 0 and (expr[j].isalnum() or expr[j] in "_-"):
        j -= 1
    return expr[j + 1 : end] or "?"


def _check(name: str, owner: str | None, token: Token) -> None:
    if owner is None:
        if name not in ROOT_TAGS:
            raise LiquidSyntaxError(
                f"${{{name}}} is not a Braze personalization tag (custom attributes are custom_attribute.${{{name}}})",
                token=token,
            )
        if ROOT_TAGS[name] is None:
            raise LiquidSyntaxError(f"${{{name}}}: the emulator keeps no data for this personalization tag", token=token)
    elif owner in NOT_EMULATED_OBJECTS:
        raise LiquidSyntaxError(f"{owner}.${{{name}}}: {owner} is not emulated", token=token)
    elif owner not in OBJECTS:
        raise LiquidSyntaxError(f"{owner}.${{{name}}}: `${{...}}` keys belong to {', '.join(sorted(OBJECTS))}", token=token)
    if not name:
        raise LiquidSyntaxError("`${}` names nothing", token=token)
