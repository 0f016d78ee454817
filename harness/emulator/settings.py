"""Emulator settings, validated so a bad value fails with the field's name.

`EmulatorSettings(...)` built in code (tests, the pytest plugin, the proxy) holds what it is given and the defaults,
nothing else: a test run does not change with the shell's environment. `load_settings` is what `braze-harness
emulator` uses: command-line flags > `BRAZE_<NAME>` environment variables > the `--config` TOML file >
`[tool.braze-harness]` of ./pyproject.toml > the defaults (docs/configuration.md), each value's source named in
the error when it is bad.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from braze_harness.errors import HarnessConfigError
from braze_harness.protocol.wire import Limits
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "BRAZE_"
TOKEN_ENV = "BRAZE_EMULATOR_TOKEN"  # control_token's variable: the emulator's clients read it too
PYPROJECT_TABLE = ("tool", "braze-harness")


class Backoff(BaseModel):
    """Server-config `request_backoff`: the SDK's retry delays. Short by default so retries land in seconds."""

    model_config = ConfigDict(extra="forbid")
    min_sleep_duration_ms: int = Field(200, ge=0)
    scale_factor: float = Field(2, gt=0)
    max_sleep_duration_ms: int = Field(500, ge=0)


class EmulatorSettings(BaseSettings):
    """Every setting of the emulator (docs/configuration.md lists them, with their flags and variables)."""

    model_config = SettingsConfigDict(extra="forbid", env_prefix=ENV_PREFIX, env_ignore_empty=True)  # VAR= is unset

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # built in code: what it is given only; the layered sources are `load_settings`'
        return (init_settings,)

    host: str = Field("127.0.0.1", description="address to listen on (loopback only unless --allow-remote)")
    port: int = Field(9090, ge=0, le=65535, description="port to listen on (0: any free port, printed at start)")
    unknown_api_keys: Literal["auto_create", "reject"] = Field(
        "auto_create", description="an api key no scope created: auto_create (an app of its own) or reject"
    )
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024, description="a request body's bytes as sent (over: 413)")
    journal_cap: int = Field(20_000, ge=1, description="journal entries kept in memory (oldest dropped and counted)")
    journal_db: Path | None = Field(
        None, description="also write the journal to this SQLite file, for inspection after the run (its folder must exist)"
    )
    store: str | None = Field(
        None,
        description="keep profiles, scopes, engagement and the journal in this PostgreSQL database (postgresql://...), "
        "shared by every replica of a fleet; still per replica: messaging seeds, faults, SDK auth, REST keys and rate "
        "limits, clocks, push outboxes (docs/fleet.md)",
    )
    store_run: str = Field(
        "fleet", min_length=1, description="the run the replicas of one fleet share in --store's database (docs/fleet.md)"
    )
    data_plan: Path | None = Field(
        None, description="check every exchange against this data plan, violations reported as `plan` (docs/data-plan.md)"
    )
    keep_anonymous_events_on_merge: bool = Field(
        True, description="an anonymous profile's events stay with the user it merges into (docs/server-behaviour.md)"
    )

    # with a token every /_emulator/ call but the health check must carry it (`Authorization: Bearer`, or
    # `X-Emulator-Token`); required beyond loopback (the CLI then makes one), optional on it
    control_token: SecretStr | None = Field(
        None, min_length=16, description=f"token every control API call must carry (${TOKEN_ENV}; docs/security.md)"
    )

    # what the first /data/ answer's `config` turns on (docs/web-sdk-wire.md, server-config)
    content_cards: bool = Field(True, description="server config: Content Cards enabled")
    feature_flags: bool = Field(True, description="server config: Feature Flags enabled")
    feature_flags_refresh_rate_limit: int = Field(0, description="server config: Feature Flags refresh rate limit (0: none)")
    banners: bool = Field(True, description="server config: Banners enabled")
    banners_max_placements: int = Field(10, description="server config: Banner placements per refresh")
    content_cards_rate_limit: bool = Field(
        False, description="the documented Content Cards refresh limit: a token bucket per device"
    )
    content_cards_rate_limit_capacity: int = Field(5, ge=1, description="Content Cards refresh limit: bucket capacity")
    content_cards_rate_limit_refill_s: float = Field(180, gt=0, description="Content Cards refresh limit: seconds per token")
    # the SDK's default client rate limiter silently drops data under bursts (docs/web-sdk-wire.md, rate-limiting)
    client_rate_limit: bool = Field(False, description="server config: the SDK's own client rate limiter on")
    request_backoff: Annotated[Backoff | None, NoDecode] = Field(
        default_factory=Backoff,
        description='server config: the SDK\'s retry delays, a JSON object like {"min_sleep_duration_ms": 500}, or none',
    )
    minimum_session_timeout: int | None = Field(None, ge=1, description="server config: minimum session timeout (s)")
    messaging_session_timeout: int | None = Field(None, description="server config: messaging session timeout (s)")

    # Connected Content (docs/server-behaviour.md#templated-messages-and-connected-content): loopback only by
    # default; 0.0.0.0, link-local and this machine's own non-loopback addresses are refused unless named
    connected_content_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.0/8", "::1", "localhost"],
        description="hosts Connected Content may fetch from: host names, IPs or CIDRs (comma-separated; flag repeatable)",
    )

    @field_validator("connected_content_allow", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):  # from an environment variable or a flag: comma-separated (or a JSON list)
            return json.loads(value) if value.lstrip().startswith("[") else [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("connected_content_allow")
    @classmethod
    def _hosts_or_networks(cls, entries: list[str]) -> list[str]:
        import ipaddress
        import re

        for entry in entries:
            try:
                ipaddress.ip_network(entry.strip("[]"), strict=False)
            except ValueError:
                if not re.fullmatch(r"(?i)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?", entry):
                    raise ValueError(f"{entry!r} is neither a host name nor an IP address or CIDR") from None
        return entries

    @field_validator("request_backoff", mode="before")
    @classmethod
    def _backoff_text(cls, value: Any) -> Any:
        if isinstance(value, str):  # from an environment variable or a flag
            if value.strip().lower() in ("", "none", "off"):
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a JSON object (or none)") from None
        return value

    @field_validator("store")
    @classmethod
    def _postgres_dsn(cls, dsn: str | None) -> str | None:
        if dsn is not None and not dsn.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a PostgreSQL URL, postgresql://user@host:port/database")
        return dsn

    @field_validator("journal_db")
    @classmethod
    def _existing_folder(cls, path: Path | None) -> Path | None:
        # a typo in a path is reported, not made into a new directory
        if path is not None and not path.parent.is_dir():
            raise ValueError(f"no folder {path.parent} for {path}")
        return path

    # limits (docs/limits.md): what hostile or broken input is refused with, each a 4xx JSON error naming it
    max_expanded_body_bytes: int = Field(
        16 * 1024 * 1024, ge=1024, description="a body's bytes after gzip/deflate expansion (over: 413)"
    )
    max_header_bytes: int = Field(64 * 1024, ge=1024, description="request line + headers bytes, all together (over: 431)")
    header_timeout_s: float = Field(10.0, gt=0, description="seconds for a request's headers to arrive (over: 408, closed)")
    max_json_depth: int = Field(  # orjson serialises at most 254 levels
        64, ge=4, le=200, description="object/array nesting of a body (over: the event rejected, or 400)"
    )
    max_identifier_bytes: int = Field(  # the Web SDK's own cap
        997, ge=16, description="user_id / device_id / alias bytes (over: the event rejected, or 400)"
    )
    max_events_per_request: int = Field(1000, ge=1, description="events + attributes objects per request (over: 400)")
    max_json_values: int = Field(100_000, ge=1000, description="values (scalars + containers) in one body (over: 400)")
    journal_max_bytes: int = Field(
        256 * 1024 * 1024, ge=1024 * 1024, description="the journal's memory (oldest entries dropped and counted)"
    )

    def limits(self) -> Limits:
        """The normalizer's and the decoder's limits (`braze_harness.protocol.wire.Limits`) from these settings."""
        return Limits(
            max_expanded_body_bytes=self.max_expanded_body_bytes,
            max_json_depth=self.max_json_depth,
            max_identifier_bytes=self.max_identifier_bytes,
            max_events_per_request=self.max_events_per_request,
            max_json_values=self.max_json_values,
        )


def env_name(field: str) -> str:
    """The environment variable of a setting."""
    return TOKEN_ENV if field == "control_token" else ENV_PREFIX + field.upper()


def flag_name(field: str) -> str:
    """The `braze-harness emulator` flag of a setting."""
    return "--" + field.replace("_", "-")


def load_settings(
    flags: Mapping[str, Any],
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> EmulatorSettings:
    """The settings from, highest first: `flags` (the ones given), `BRAZE_<NAME>` variables of `environ`, the TOML
    `config_file` (settings at its top level, or a pyproject.toml's `[tool.braze-harness]`), `[tool.braze-harness]`
    of `cwd`/pyproject.toml, the defaults. A bad value is a `HarnessConfigError` naming the setting and its source."""
    environ = os.environ if environ is None else environ
    layers: list[tuple[str, Mapping[str, Any]]] = []  # lowest first
    pyproject = (cwd or Path.cwd()) / "pyproject.toml"
    if pyproject.is_file():
        layers.append((f"{pyproject} [tool.braze-harness]", _toml(pyproject, table=True)))
    if config_file is not None:
        layers.append((str(config_file), _toml(config_file, table=False)))
    layers.append(("environment", _env(environ)))
    layers.append(("flags", {k: v for k, v in flags.items() if v is not None}))
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for source, layer in layers:
        for name, value in layer.items():
            values[name] = value
            origin[name] = _describe(source, name, value)
    try:
        return EmulatorSettings(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "settings"
        where = ".".join(str(p) for p in err["loc"])
        message = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise HarnessConfigError(f"{where}: {message} (from {origin.get(name, 'the defaults')})") from None


def _describe(source: str, name: str, value: Any) -> str:
    secret = name == "control_token"  # never printed
    if source == "flags":
        return flag_name(name) + ("" if secret or isinstance(value, bool | list) else f" {value}")
    if source == "environment":
        return f"${env_name(name)}" + ("" if secret else f"={value!r}")
    return source


def _env(environ: Mapping[str, str]) -> dict[str, Any]:
    source = EnvSettingsSource(EmulatorSettings)
    source.env_vars = {k.lower(): v for k, v in environ.items() if v != ""}  # as pydantic-settings reads os.environ
    values = dict(source())
    values.pop("control_token", None)  # its variable is BRAZE_EMULATOR_TOKEN, shared with the clients
    if environ.get(TOKEN_ENV):
        values["control_token"] = environ[TOKEN_ENV]
    return values


def _toml(path: Path, *, table: bool) -> dict[str, Any]:
    """A TOML file's settings: its [tool.braze-harness] table (`table`, or a file that has one: a pyproject.toml
    given to --config), else its top level. A pyproject.toml without the table holds none."""
    if not path.is_file():
        raise HarnessConfigError(f"--config: no file {path}")
    try:
        with path.open("rb") as fh:
            has_table = isinstance(tomllib.load(fh).get("tool", {}).get("braze-harness"), dict)
        if table and not has_table:
            return {}
        header = PYPROJECT_TABLE if has_table else ()
        # pydantic-settings' own TOML source (it reads the file again: a few hundred bytes, once)
        return dict(TomlConfigSettingsSource(EmulatorSettings, toml_file=path, toml_table_header=header)())
    except tomllib.TOMLDecodeError as exc:
        raise HarnessConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise HarnessConfigError(f"cannot read {path}: {exc.strerror}") from None
