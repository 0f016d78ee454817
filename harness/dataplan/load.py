"""Reading a plan file (YAML or JSON): a mistake in it is one line naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import yaml
from braze_harness.dataplan.models import DataPlan
from braze_harness.errors import HarnessConfigError
from pydantic import ValidationError


def load_plan(path: str | Path) -> DataPlan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HarnessConfigError(f"data plan {path}: cannot read it ({exc.strerror or exc})") from None
    try:
        raw = yaml.safe_load(text)  # YAML is a superset of JSON: one reader for both
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise HarnessConfigError(f"data plan {path}: not valid YAML/JSON{where}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise HarnessConfigError(f"data plan {path}: expected a mapping at the top, got {type(raw).__name__}")
    try:
        return DataPlan.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "(top)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise HarnessConfigError(f"data plan {path}: {where}: {err['msg']}{more}") from None
