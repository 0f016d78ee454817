"""Control API, ingest: exchanges observed elsewhere (the proxy's remote observe mode, `import-har --into`) enter
the emulator's one pipeline, decoded, journaled and applied when their server accepted them."""

from __future__ import annotations

from typing import Any, Literal

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.http.common import JSON, BadRequest, NoQuery, Strict, route, validate
from braze_harness.protocol.ingest_payload import parse_payload
from pydantic import Field
from starlette.requests import Request
from starlette.routing import Route

BATCH_MAX = 10_000  # exchanges per batch call (the proxy sends up to 500)


class Exchange(Strict):
    """The shape of one exchange (`braze_harness.protocol.ingest_payload`, which checks the rest: method, base64, ...)."""

    method: str = Field(max_length=32)
    url: str = Field(min_length=1)
    headers: dict[str, str] | list[tuple[str, str]] = Field(default_factory=dict)
    body: Any = None
    body_encoding: Literal["base64"] | None = None
    status: int | None = Field(None, ge=100, le=599)
    response: Any = None
    source: Literal["proxy", "har", "virtual-device", "emulator", "mparticle", "segment"] = "proxy"
    received_at: float | None = Field(None, allow_inf_nan=False, ge=0, le=1e11)
    scope: str | None = None


class Batch(Strict):
    # items are checked one by one (a bad one is answered with its index, the rest are kept)
    exchanges: list[dict[str, Any]] = Field(max_length=BATCH_MAX)


def _fields(raw: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """`Emulator.observe`'s keyword arguments for one exchange, or BadRequest naming the field."""
    validate(Exchange, raw, prefix)
    try:
        return parse_payload(raw)
    except ValueError as exc:
        where = prefix.rstrip(".")
        raise BadRequest(f"{where}: {exc}" if where else str(exc), where or None) from None


def ingest_routes(emu: Emulator) -> list[Route]:
    async def ingest(_: Request, exchange: Exchange, __: NoQuery) -> JSON:
        """One exchange (`braze_harness.protocol.ingest_payload`)."""
        entry = emu.observe(**_fields(exchange.model_dump(exclude_unset=True)))
        problems = [p.model_dump() for p in entry.problems]
        return JSON({"seq": entry.seq, "scope": entry.scope, "good": entry.good, "problems": problems}, status_code=201)

    async def ingest_batch(_: Request, batch: Batch, __: NoQuery) -> JSON:
        """`{"exchanges": [...]}`: many `ingest` bodies in one call (the proxy's remote observe mode batches).
        Each item is validated on its own: a bad one is answered with its index and error, the rest are kept."""
        results: list[dict[str, Any]] = []
        for i, item in enumerate(batch.exchanges):
            try:
                fields = _fields(item, f"exchanges[{i}].")
            except BadRequest as exc:
                results.append({"index": i, "error": str(exc)})
                continue
            entry = emu.observe(**fields)
            results.append({"index": i, "seq": entry.seq, "scope": entry.scope, "good": entry.good})
        return JSON({"entries": results}, status_code=201)

    return [
        route("/_emulator/ingest", "POST", ingest, body=Exchange, status=201,
              summary="journal an exchange the emulator did not answer", response='{"seq", "scope", "good", "problems"}'),
        route("/_emulator/ingest/batch", "POST", ingest_batch, body=Batch, status=201,
              summary="many exchanges at once; a bad item is named by its index", response='{"entries"}'),
    ]  # fmt: skip
