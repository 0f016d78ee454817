"""Control API, ingest: exchanges observed elsewhere (the proxy's remote observe mode, `import-har --into`) enter
the emulator's one pipeline, decoded, journaled and applied when their server accepted them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from harness.emulator.app import Emulator
from harness.emulator.http.common import JSON, error, json_body
from harness.protocol.ingest_payload import parse_payload


def ingest_routes(emu: Emulator) -> list[Route]:
    async def ingest(request: Request) -> JSON:
        """One exchange (`harness.protocol.ingest_payload`)."""
        try:
            fields = parse_payload(await json_body(request))
        except ValueError as exc:
            return error(400, f"ingest: {exc}")
        entry = emu.observe(**fields)
        problems = [p.model_dump() for p in entry.problems]
        return JSON({"seq": entry.seq, "scope": entry.scope, "good": entry.good, "problems": problems}, status_code=201)

    async def ingest_batch(request: Request) -> JSON:
        """`{"exchanges": [...]}`: many `ingest` bodies in one call (the proxy's remote observe mode batches).
        Each item is validated on its own: a bad one is answered with its index and error, the rest are kept."""
        data = await json_body(request)
        items = data.get("exchanges")
        if not isinstance(items, list):
            return error(400, 'ingest/batch: the body must be {"exchanges": [ ... ]}')
        results: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            try:
                fields = parse_payload(item)
            except ValueError as exc:
                results.append({"index": i, "error": f"exchanges[{i}]: {exc}"})
                continue
            entry = emu.observe(**fields)
            results.append({"index": i, "seq": entry.seq, "scope": entry.scope, "good": entry.good})
        return JSON({"entries": results}, status_code=201)

    return [
        Route("/_emulator/ingest", ingest, methods=["POST"]),
        Route("/_emulator/ingest/batch", ingest_batch, methods=["POST"]),
    ]
