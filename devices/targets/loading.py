"""Built-in targets, the YAML targets file, and resolving `--braze-target NAME` to one validated target."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from braze_harness.devices.targets.kinds import (
    KINDS,
    AndroidVirtualTarget,
    FakeTarget,
    IosVirtualTarget,
    Target,
    TargetError,
    WebTarget,
)
from pydantic import TypeAdapter, ValidationError

DEFAULT_TARGET = "web"
DEFAULT_TARGETS_FILE = "braze-targets.yaml"
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Target)


def builtin_targets() -> dict[str, Any]:
    return {
        "web": WebTarget(name="web"),
        "android-virtual": AndroidVirtualTarget(name="android-virtual"),
        "ios-virtual": IosVirtualTarget(name="ios-virtual"),
        "fake": FakeTarget(name="fake"),
    }


def parse_target(name: str, data: Any, *, source: str = "targets", base_dir: Path | None = None) -> Any:
    """One profile (a mapping with `kind`) → its target model; a mistake → TargetError naming source, profile and field."""
    if not isinstance(data, Mapping):
        raise TargetError(f"{source}: {name}: expected a mapping of fields (kind: …), got {type(data).__name__}")
    if "kind" not in data:
        raise TargetError(f"{source}: {name}.kind: required; one of {', '.join(KINDS)}")
    if not isinstance(data["kind"], str) or data["kind"] not in KINDS:
        raise TargetError(f"{source}: {name}.kind: {data['kind']!r} is not a target kind; one of {', '.join(KINDS)}")
    if "name" in data and data["name"] != name:
        raise TargetError(f"{source}: {name}.name: the profile's name is its key; remove the name field")
    try:
        return _ADAPTER.validate_python({**data, "name": name}, context={"base_dir": base_dir or Path.cwd()})
    except ValidationError as exc:
        raise TargetError(_first_error(exc, source, name, KINDS[data["kind"]])) from None


def _first_error(exc: ValidationError, source: str, name: str, model: type) -> str:
    lines = []
    for error in exc.errors():
        # a discriminated union puts the tag (the kind) first in every error location
        field = ".".join(str(part) for part in error["loc"][1:])
        where = f"{name}.{field}" if field else name
        kind = error["type"]
        if kind == "missing":
            message = "required"
        elif kind == "extra_forbidden":
            known = ", ".join(sorted(f.alias or n for n, f in model.model_fields.items() if n not in ("name", "kind")))
            message = f"unknown field; known for {model.model_fields['kind'].default}: {known}"
        else:
            message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{source}: {where}: {message}")
    return "; ".join(lines)


def load_targets_file(path: str | Path) -> dict[str, Any]:
    """`targets:` mapping of name → profile in a YAML file; relative app paths are relative to the file."""
    return read_targets_file(path)[0]


def read_targets_file(path: str | Path) -> tuple[dict[str, Any], str | None]:
    """The file's targets and its `default:` (the target used when `--braze-target` is not given), validated."""
    path = Path(path)
    source = path.name
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise TargetError(f"--braze-targets-file: {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:  # a directory, no permission, not text
        raise TargetError(f"--braze-targets-file: {path} cannot be read: {exc}") from None
    except yaml.YAMLError as exc:
        raise TargetError(f"{source}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if raw is None:
        return {}, None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("targets", {}), Mapping):
        raise TargetError(f"{source}: expected a mapping `targets:` of name → profile")
    unknown = set(raw) - {"targets", "default"}
    if unknown:
        raise TargetError(
            f"{source}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}; expected `targets:` and `default:`"
        )
    targets: dict[str, Any] = {}
    builtins = builtin_targets()
    for name, data in (raw.get("targets") or {}).items():
        name = str(name)
        if name in builtins:
            raise TargetError(f"{source}: {name}: a built-in target has that name; choose another")
        targets[name] = parse_target(name, data, source=source, base_dir=path.resolve().parent)
    default = raw.get("default")
    if default is not None and str(default) not in {**builtins, **targets}:
        known = ", ".join([*builtins, *targets])
        raise TargetError(f"{source}: default: {default!r} is not a target of this file or a built-in; known: {known}")
    return targets, None if default is None else str(default)


def known_targets(targets_file: str | Path | None = None) -> dict[str, Any]:
    found = builtin_targets()
    if targets_file is not None:
        found.update(load_targets_file(targets_file))
    return found


def resolve_target(name: str | None, targets_file: str | Path | None = None, *, check_env: bool = True) -> Any:
    """The target to run on: `name`, else the targets file's `default:`, else `web`; a built-in or a profile of the
    targets file, validated and (for farms) with its credentials present in the environment."""
    targets = builtin_targets()
    file_default = None
    if targets_file is not None:
        from_file, file_default = read_targets_file(targets_file)
        targets.update(from_file)
    name = name or file_default or DEFAULT_TARGET
    if name not in targets:
        where = f" (built-in and from {Path(targets_file).name})" if targets_file else " (built-in)"
        raise TargetError(f"--braze-target: unknown target {name!r}; known{where}: {', '.join(targets)}")
    target = targets[name]
    if check_env:
        target.check_environment()
    return target


def default_targets_file(rootdir: str | Path) -> Path | None:
    candidate = Path(rootdir) / DEFAULT_TARGETS_FILE
    return candidate if candidate.is_file() else None
