"""What every control-API route shares: the JSON response, one-line errors, and the one way a route reads its input
(`route`: the JSON body and the query string validated by pydantic models, a mistake answered 400 naming the field;
the same models describe the route in the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from braze_harness.errors import HarnessConfigError
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# the `error` code of a control answer by status; `message` is the one line a person reads
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 409: "conflict"}


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=str)


def error(status: int, message: str, **more: Any) -> JSON:
    """`{"error": code, "message": line, ...}` (the SDK endpoints' shape: one code, one line, what is at fault)."""
    return JSON({"error": ERROR_CODES.get(status, "error"), "message": message, **more}, status_code=status)


class BadRequest(HarnessConfigError):
    """A caller's mistake in a control request; answered 400 with the field at fault (control.py's handler)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status

    def answer(self) -> JSON:
        return error(self.status, str(self), **({"field": self.field} if self.field is not None else {}))


class Strict(BaseModel):
    """A control body or query: unknown fields are a mistake (a typo would otherwise be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class NoQuery(Strict):
    """A route that takes no query parameters."""


def validation_message(exc: ValidationError, prefix: str = "") -> tuple[str, str]:
    """(`a.b: msg; c: msg`, the field of the first error) of a pydantic error, locations joined with dots."""
    parts: list[str] = []
    first = ""
    for err in exc.errors(include_url=False):
        loc = prefix + ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
        first = first or prefix.rstrip(".") or _field(err["loc"])
    return "; ".join(parts), first


def _field(loc: tuple[int | str, ...]) -> str:
    """The field a location names: its path up to the first list index (`platforms.0` is `platforms`)."""
    names: list[str] = []
    for part in loc:
        if isinstance(part, int):
            break
        names.append(part)
    return ".".join(names)


def validate[M: BaseModel](model: type[M], data: Any, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, field = validation_message(exc, prefix)
        raise BadRequest(message, field or None) from None


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object ({} when empty); a body that is not one is the caller's mistake (400)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body is not JSON: {exc}", "body") from None
    if not isinstance(value, dict):
        raise BadRequest("request body must be a JSON object", "body")
    return value


def query_dict(request: Request) -> dict[str, str]:
    """The query string as one value per name; a name given twice is ambiguous, so it is a mistake."""
    params = request.query_params
    for name in params:
        if len(params.getlist(name)) > 1:
            raise BadRequest(f"{name}: given more than once", name)
    return dict(params)


def read_query[M: BaseModel](request: Request, query: type[M]) -> M:
    return validate(query, query_dict(request))


Handler = Callable[[Request, Any, Any], Awaitable[Response]]


@dataclass(frozen=True)
class Operation:
    """One control operation as the OpenAPI document shows it (openapi.py): its models are what `route` validates."""

    method: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel]
    status: int
    response: str
    body_media: str | None = None  # a body that is not a JSON object (e.g. "text/csv"), read by the handler itself


def route(
    path: str,
    method: str,
    handler: Handler,
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] = NoQuery,
    status: int = 200,
    response: str = "JSON",
) -> Route:
    """A control route whose body and query are validated before `handler(request, body, query)` runs, and whose
    description (`route.operation`) is what the OpenAPI document is generated from: one definition of both."""

    async def endpoint(request: Request) -> Response:
        q = read_query(request, query)
        b = validate(body, await json_body(request)) if body is not None else None
        return await handler(request, b, q)

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    made = Route(path, endpoint, methods=[method])
    made.operation = Operation(method, summary, body, query, status, response)  # type: ignore[attr-defined]
    return made
