"""Control API, the CSV user import: `POST /_emulator/apps/{api_key}/users/import` with the CSV file as the body,
streamed into the import as it arrives (emulator/csv_import.py); the answer is the import's report."""

from __future__ import annotations

from typing import Literal

from braze_harness.emulator.app import Emulator
from braze_harness.emulator.csv_import import CsvImport, CsvTooLarge
from braze_harness.emulator.http.common import JSON, Operation, Strict, error, read_query
from braze_harness.protocol.csv_users import CsvFormatError
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

PATH = "/_emulator/apps/{api_key}/users/import"


class ImportQuery(Strict):
    kind: Literal["attributes", "events"] = Field("attributes", description="what the file holds (Braze: Attributes or Events)")
    update_existing_only: bool = Field(False, description="rows naming no existing user are errors, not new users")


def import_routes(emu: Emulator) -> list[Route]:
    async def import_users(request: Request) -> JSON:
        query = read_query(request, ImportQuery)
        api_key = request.path_params["api_key"]
        app = next((a for a in emu.state.apps() if a.api_key == api_key), None)
        if app is None:
            return error(
                404, f"no app with api key {api_key!r}: create it first (POST /_emulator/scopes/{{scope}}/apps)", field="api_key"
            )
        run = CsvImport(emu.state, emu.lock, app, query.kind, update_existing_only=query.update_existing_only)
        try:
            async for chunk in request.stream():
                if chunk:
                    await run_in_threadpool(run.feed, chunk)  # parsing and applying stay off the event loop
            report = await run_in_threadpool(run.finish)
        except CsvTooLarge as exc:
            return error(413, str(exc), field="body")
        except CsvFormatError as exc:
            return error(400, f"{exc} ({run.report.rows} rows read, {run.report.imported} imported before it)", field="body")
        return JSON(report.as_dict())

    made = Route(PATH, import_users, methods=["POST"])
    made.operation = Operation(  # type: ignore[attr-defined]
        "POST",
        "import users from a CSV file (Braze's CSV import format)",
        None,
        ImportQuery,
        200,
        "the import report",
        body_media="text/csv",
    )
    return [made]
