"""Braze's Liquid dialect on python-liquid: the environment templated messages are parsed and rendered with.

On top of standard Liquid (python-liquid's tags and filters, Liquid's semantics: undefined renders empty):
- `${name}` personalization tags (liquid_lexer.py rewrites them; the lexer is linear, python-liquid's is not);
- `{% connected_content URL :save name %}` (fetched before rendering, outside the emulator's lock: the node
  binds what was fetched; `connected_calls` lists a template's URLs for that);
- `{% abort_message('why') %}` (raises Aborted: the message is not sent);
- Braze's own filters (hashes, HMACs, URL and JSON escapes, `time_zone`, `property_with_name`, ...) and a `date`
  filter that reads `now` from the scope's clock, in UTC as Braze does.
`include` and `render` are removed (Braze messages have no partials), as is `find_index` (Braze's filter page marks
it unsupported): using them is an "unknown tag/filter" error.

Every failure is a TemplateError naming its line and column: parse errors when the campaign is seeded
(`compile_template`), render errors (a filter given the wrong argument, a bound reached) when it is rendered.
Rendering is bounded: nesting, loop iterations, the local namespace, the output's size and a deadline checked as
the output is written and as loops start.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import re
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from braze_harness.emulator.messaging import liquid_lexer
from liquid import BoundTemplate, Environment, RenderContext
from liquid.ast import Node
from liquid.builtin.filters.misc import date as liquid_date
from liquid.exceptions import BlockNestingError, FilterArgumentError, LiquidError, LiquidSyntaxError
from liquid.filter import string_filter, with_context
from liquid.stream import TokenStream
from liquid.tag import Tag
from liquid.token import TOKEN_EXPRESSION, TOKEN_TAG, Token

MAX_NESTING = 100  # blocks (`if`, `for`, `case`, ...) nested deeper are refused when the campaign is seeded
MAX_LOOP_ITERATIONS = 10_000  # all `for` loops of one render together
NOW = "braze now"  # globals the template cannot name (a space is not in a Liquid identifier)
FETCHED = "braze connected content"


class TemplateError(Exception):
    """A template that cannot be rendered faithfully: nothing of it is sent; the message names why and where
    (`field`: which text of the message, when known)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Aborted(Exception):
    """`{% abort_message(reason) %}` was reached: the message must not be sent."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(reason or "abort_message() without a reason")
        self.reason = reason


def position(source: str, index: int) -> str:
    line = source.count("\n", 0, index) + 1
    return f"line {line}, column {index - (source.rfind('\n', 0, index) + 1) + 1}"


def _explain(err: LiquidError, source: str) -> TemplateError:
    message = str(err.message) if err.message is not None else type(err).__name__
    token = err.token
    if token is not None and token.start_index >= 0 and token.source == source:
        return TemplateError(f"{position(source, token.start_index)}: {message}")
    # python-liquid knows no position for what it met at the end (a block never closed): the end is named
    return TemplateError(f"{position(source, len(source))} (the end of the template): {message}")


# -- Braze tags ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetched:
    """What the prefetch got for one `{% connected_content %}`: the URL it rendered to, the JSON, or why not."""

    url: str
    value: dict[str, Any] | None
    failure: str | None


class ConnectedContentNode(Node):
    __slots__ = ("markup", "save", "url")

    def __init__(self, token: Token, markup: str, url: str, save: str) -> None:
        super().__init__(token)
        self.markup, self.url, self.save = markup, url, save

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        fetched: dict[str, Fetched] = context.globals.get(FETCHED) or {}  # type: ignore[assignment]
        got = fetched.get(self.markup)
        if got is None:
            raise LiquidError(f"connected_content {self.url}: not fetched before rendering", token=self.token)
        if "{" in self.url and (now := render_url(self.url, context)) != got.url:
            raise LiquidError(
                f"connected_content URL is {now!r} here but was {got.url!r} before rendering (it depends on the "
                "template's own variables, which the emulator cannot know before it renders)",
                token=self.token,
            )
        if got.value is not None:  # a failed fetch leaves the name undefined: it renders empty, as on Braze
            context.assign(self.save, got.value)
        return 0


_OPTION_WITH_VALUE = {"save", "cache_max_age", "method", "cache"}
_IGNORED_OPTIONS = {"cache_max_age", "no_cache", "cache"}  # the emulator never caches: every render fetches


class ConnectedContentTag(Tag):
    """`{% connected_content URL :save name [:cache_max_age N] [:no_cache] [:method get] %}`; other options (POST
    bodies, headers, basic auth, retries) are refused: the emulator's fetch is a plain GET."""

    name = "connected_content"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token = stream.eat(TOKEN_TAG)
        if stream.current.kind != TOKEN_EXPRESSION:
            raise LiquidSyntaxError("connected_content needs a URL", token=token)
        expr = stream.current
        url, options = parse_connected(expr.value, expr)
        if "save" not in options:
            raise LiquidSyntaxError(
                "connected_content without :save (the emulator binds the response to a name only)", token=expr
            )
        return ConnectedContentNode(token, expr.value, url, options["save"])


def parse_connected(markup: str, token: Token) -> tuple[str, dict[str, str]]:
    words = markup.split()
    first_option = next((i for i, w in enumerate(words) if w.startswith(":")), len(words))
    url = " ".join(words[:first_option])
    if not url:
        raise LiquidSyntaxError("connected_content needs a URL before its options", token=token)
    options: dict[str, str] = {}
    i = first_option
    while i < len(words):
        option = words[i][1:]
        value = words[i + 1] if option in _OPTION_WITH_VALUE and i + 1 < len(words) else ""
        if option == "save" and not re.fullmatch(r"\w+", value):
            raise LiquidSyntaxError("connected_content :save needs a variable name", token=token)
        if option == "method" and value.lower() != "get":
            raise LiquidSyntaxError(f"connected_content :method {value or '?'}: the emulator fetches with GET only", token=token)
        if option not in _IGNORED_OPTIONS | {"save", "method"}:
            raise LiquidSyntaxError(
                f"connected_content option :{option} is not supported by the emulator (a plain GET, :save, "
                ":cache_max_age, :no_cache)",
                token=token,
            )
        options[option] = value
        i += 2 if value else 1
    return url, options


class AbortNode(Node):
    __slots__ = ("reason",)

    def __init__(self, token: Token, reason: str | None) -> None:
        super().__init__(token)
        self.reason = reason

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        raise Aborted(self.reason)


_ABORT_ARGS = re.compile(r"""\(\s*(?:'([^']*)'|"([^"]*)")?\s*\)""")


class AbortMessageTag(Tag):
    """`{% abort_message('reason') %}`, `{% abort_message() %}`."""

    name = "abort_message"
    block = False

    def parse(self, stream: TokenStream) -> Node:
        token = stream.eat(TOKEN_TAG)
        if stream.current.kind != TOKEN_EXPRESSION:
            return AbortNode(token, None)
        m = _ABORT_ARGS.fullmatch(stream.current.value)
        if m is None:
            raise LiquidSyntaxError("abort_message takes ('reason') or ()", token=stream.current)
        return AbortNode(token, m.group(1) if m.group(1) is not None else m.group(2))


# -- Braze filters (https://www.braze.com/docs/user_guide/personalization_and_dynamic_content/liquid/advanced_filters/)


def _digest(name: str) -> Any:
    return string_filter(lambda value: hashlib.new(name, value.encode()).hexdigest())


def _hmac(name: str, encode: Any) -> Any:
    return string_filter(lambda value, key: encode(hmac.new(str(key).encode(), value.encode(), name).digest()))


def _when(value: Any, context: RenderContext) -> Any:
    """`now` is the scope's clock; a Unix time is UTC (Braze renders in UTC)."""
    if value in ("now", "today"):
        return context.globals.get(NOW) or dt.datetime.now(dt.UTC)
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    return value


@with_context
def date(value: Any, fmt: Any, *, context: RenderContext) -> str:
    when = _when(value, context)
    if isinstance(when, dt.datetime) and isinstance(fmt, str):
        # formatted here: python-liquid's date caches its dates by equality, and 22:13 UTC equals 17:13 in New York
        try:
            return when.strftime(fmt)
        except ValueError as err:
            raise FilterArgumentError(str(err), token=None) from None
    return liquid_date(when, fmt, environment=context.env)


@with_context
def time_zone(value: Any, zone: Any, *, context: RenderContext) -> Any:
    """`{{ 'now' | time_zone: 'America/New_York' | date: '%H:%M' }}`."""
    when = _when(value, context)
    if isinstance(when, str):
        when = _parse_date(when)
    if not isinstance(when, dt.datetime):
        raise FilterArgumentError(f"time_zone expected a date, found {value!r}", token=None)
    try:
        tz = ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise FilterArgumentError(f"time_zone: unknown time zone {zone!r}", token=None) from None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(tz)


def _parse_date(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


@string_filter
def json_escape(value: str) -> str:
    return json.dumps(value)[1:-1]


@string_filter
def url_escape(value: str) -> str:
    return urllib.parse.quote(value, safe="/:?=&#@!$'()*+,;[]~")


@string_filter
def url_param_escape(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def number_with_delimiter(value: Any) -> str:
    try:
        number = float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,}"


def property_with_name(value: Any, name: Any) -> Any:
    """Braze: the property `name` of an object (`{{ event_properties | property_with_name: 'x' }}`)."""
    return value.get(str(name)) if isinstance(value, dict) else None


BRAZE_FILTERS: dict[str, Any] = {
    "md5": _digest("md5"),
    "sha1": _digest("sha1"),
    "sha2": _digest("sha256"),
    "hmac_sha1": _hmac("sha1", bytes.hex),
    "hmac_sha1_hex": _hmac("sha1", bytes.hex),
    "hmac_sha1_base64": _hmac("sha1", lambda d: base64.b64encode(d).decode()),
    "hmac_sha256": _hmac("sha256", bytes.hex),
    "hmac_sha256_hex": _hmac("sha256", bytes.hex),
    "hmac_sha256_base64": _hmac("sha256", lambda d: base64.b64encode(d).decode()),
    "url_escape": url_escape,
    "url_param_escape": url_param_escape,
    "json_escape": json_escape,
    "number_with_delimiter": number_with_delimiter,
    "property_with_name": property_with_name,
    "time_zone": time_zone,
    "date": date,
}
REMOVED_TAGS = ("include", "render")
REMOVED_FILTERS = ("find_index",)


# -- the environment, with its bounds -----------------------------------------------------------------------------


RENDERED_MAX_CHARS = 2 * 1024 * 1024  # what one message's texts may expand to together (a 1 MB Connected Content value fits)


class _Bounded(io.StringIO):
    """An output buffer that refuses to grow past `limit` characters (what is left of RENDERED_MAX_CHARS) or to be
    written after `deadline`."""

    def __init__(self, limit: int, deadline: float, budget: float) -> None:
        super().__init__()
        self.limit, self.deadline, self.budget, self.size = limit, deadline, budget, 0

    def write(self, text: str) -> int:
        self.size += len(text)
        if self.size > self.limit:
            raise LiquidError(
                f"rendered text over the {RENDERED_MAX_CHARS // (1024 * 1024)} MB rendered-size limit (all texts together)",
                token=None,
            )
        _check_deadline(self.deadline, self.budget)
        return super().write(text)


class RenderBudgetExceeded(LiquidError):
    pass


def _check_deadline(deadline: float, budget: float) -> None:
    if time.perf_counter() > deadline:
        raise RenderBudgetExceeded(f"rendering went over the {budget:g} s render budget", token=None)


class BrazeContext(RenderContext):
    """Counts every loop iteration of the render (python-liquid bounds nested loops only) and checks the deadline."""

    deadline = float("inf")
    budget = 0.0
    limit = 0
    iterations = 0

    def raise_for_loop_limit(self, length: int = 1) -> None:
        super().raise_for_loop_limit(length)
        root = self.parent_context or self
        root.iterations += length
        if root.iterations > MAX_LOOP_ITERATIONS:
            raise LiquidError(f"loops ran more than {MAX_LOOP_ITERATIONS} iterations in one render", token=None)
        _check_deadline(root.deadline, root.budget)

    def get_buffer(self, buf: TextIO | None = None) -> io.StringIO:
        root = self.parent_context or self
        return _Bounded(root.limit, root.deadline, root.budget)


class BrazeTemplate(BoundTemplate):
    context_class = BrazeContext


class BrazeEnvironment(Environment):
    block_nesting_limit = MAX_NESTING
    loop_iteration_limit = MAX_LOOP_ITERATIONS
    local_namespace_limit = 8 * 1024 * 1024  # `{% assign x = x | append: x %}` doubles: stopped here
    template_class = BrazeTemplate

    def tokenizer(self) -> Any:
        return liquid_lexer.tokenize

    def error(self, exc: Any, msg: str | None = None, token: Token | None = None) -> None:
        # an error at "end of expression" has no position of its own: it gets its enclosing tag's or output's
        if isinstance(exc, LiquidError) and token is not None and (exc.token is None or exc.token.start_index < 0):
            exc.token = token
        super().error(exc, msg, token)

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=extra)
        for tag in REMOVED_TAGS:
            del self.tags[tag]
        for name in REMOVED_FILTERS:
            del self.filters[name]
        self.add_tag(ConnectedContentTag)
        self.add_tag(AbortMessageTag)
        for name, func in BRAZE_FILTERS.items():
            self.add_filter(name, func)
        for name, func in list(self.filters.items()):
            if name not in _RANGE_SAFE:
                self.filters[name] = _bounded_ranges(func)


_RANGE_SAFE = frozenset({"size", "first", "last", "default"})  # O(1) on a range


def _bounded_ranges(func: Any) -> Any:
    """`(1..1000000000) | join` would build a billion strings under the lock: a range over the loop bound is refused
    (a `for` over it is refused by the loop bound itself)."""

    @functools.wraps(func)  # keeps python-liquid's with_context / with_environment marks
    def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
        for arg in (value, *args):
            if isinstance(arg, range) and len(arg) > MAX_LOOP_ITERATIONS:
                raise FilterArgumentError(f"a range of {len(arg)} items is over the {MAX_LOOP_ITERATIONS} limit", token=None)
        return func(value, *args, **kwargs)

    return guarded


ENV = BrazeEnvironment()


@functools.lru_cache(maxsize=512)
def compile_template(source: str) -> BrazeTemplate:
    """The parsed template; TemplateError (with line and column) for what Braze's Liquid cannot render."""
    try:
        template = ENV.from_string(source)
    except BlockNestingError as err:
        where = f"{position(source, err.token.start_index)}: " if err.token and err.token.start_index >= 0 else ""
        raise TemplateError(f"{where}blocks nested more than {MAX_NESTING} deep") from None
    except LiquidError as err:
        raise _explain(err, source) from None
    except RecursionError:
        raise TemplateError(f"blocks nested more than {MAX_NESTING} deep") from None
    analysis = template.analyze(include_partials=False)
    for name, spans in analysis.filters.items():
        if name not in ENV.filters:
            raise TemplateError(f"{position(source, spans[0].index)}: unknown filter {name!r}")
    assert isinstance(template, BrazeTemplate)
    return template


def _walk(nodes: Any, context: RenderContext) -> Iterator[Node]:
    for node in nodes:
        yield node
        yield from _walk(node.children(context, include_partials=False), context)


def connected_calls(template: BrazeTemplate) -> list[ConnectedContentNode]:
    """The template's `{% connected_content %}` tags, in order."""
    context = RenderContext(template)
    return [node for node in _walk(template.nodes, context) if isinstance(node, ConnectedContentNode)]


def render_url(url: str, context: RenderContext) -> str:
    """A connected_content URL with its Liquid (`https://x/{{${user_id}}}`) rendered in `context`."""
    sub = compile_template(url)
    buf = io.StringIO()
    sub.render_with_context(context, buf)
    return buf.getvalue()


def render(template: BrazeTemplate, data: dict[str, Any], *, limit: int, budget: float) -> str:
    """Render within `limit` characters and `budget` seconds; raises Aborted, or TemplateError naming the position."""
    context = BrazeContext(template, globals=template.make_globals(data))
    context.deadline, context.budget, context.limit = time.perf_counter() + budget, budget, limit
    buf = _Bounded(limit, context.deadline, budget)
    try:
        template.render_with_context(context, buf)
    except LiquidError as err:
        raise _explain(err, _source(template)) from None
    return buf.getvalue()


def _source(template: BrazeTemplate) -> str:
    for node in template.nodes:
        return node.token.source
    return ""


def url_context(data: dict[str, Any]) -> RenderContext:
    """A context to render connected_content URLs in before the template (the prefetch)."""
    template = compile_template("")
    return RenderContext(template, globals=template.make_globals(data))
