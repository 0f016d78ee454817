"""The data plan file: what custom data the app is meant to send to Braze, as the team planned it.

Braze asks teams to plan their custom events, attributes and purchases before integrating, to keep
`external_id`s stable (not an email), and to keep production keys out of QA (docs/data-plan.md). A plan
names each of these with its type; the checker (`check.py`) compares every decoded exchange with it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

ValueType = Literal["string", "number", "integer", "boolean", "time", "object", "array", "any"]


class _Strict(BaseModel):
    # a misspelt key in a plan must be an error naming it, not a rule silently ignored
    model_config = ConfigDict(extra="forbid")


def _check_pattern(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
    return value


class ValueSpec(_Strict):
    """The planned type of a property or attribute, with optional allowed values or a pattern (strings)."""

    type: ValueType = "any"
    enum: list[Any] | None = None
    pattern: str | None = None
    description: str | None = None

    _pattern = field_validator("pattern")(_check_pattern)


class PropertySpec(ValueSpec):
    required: bool = False


class EventSpec(_Strict):
    description: str | None = None
    properties: dict[str, PropertySpec] = Field(default_factory=dict)
    # properties the plan does not name: allowed only when the team says so
    additional_properties: bool = False


class PurchaseSpec(_Strict):
    product_id_pattern: str | None = None
    properties: dict[str, PropertySpec] = Field(default_factory=dict)
    additional_properties: bool = False

    _pattern = field_validator("product_id_pattern")(_check_pattern)


class Naming(_Strict):
    """A pattern per kind of name (e.g. snake_case: `^[a-z][a-z0-9_]*$`)."""

    event: str | None = None
    attribute: str | None = None
    property: str | None = None
    product_id: str | None = None

    _patterns = field_validator("event", "attribute", "property", "product_id")(_check_pattern)


class ExternalIdRule(_Strict):
    pattern: str | None = None
    # an email can change; Braze asks for an identifier that never does
    not_email: bool = True

    _pattern = field_validator("pattern")(_check_pattern)


class Identity(_Strict):
    external_id: ExternalIdRule = Field(default_factory=ExternalIdRule)


class Environments(_Strict):
    """Which api keys are which: a production key seen in a test run is reported."""

    test_api_keys: list[str] = Field(default_factory=list)
    production_api_keys: list[str] = Field(default_factory=list)


class DataPlan(_Strict):
    version: Literal[1] = 1
    events: dict[str, EventSpec] = Field(default_factory=dict)
    attributes: dict[str, ValueSpec] = Field(default_factory=dict)
    purchases: PurchaseSpec | None = None
    naming: Naming = Field(default_factory=Naming)
    identity: Identity = Field(default_factory=Identity)
    environments: Environments = Field(default_factory=Environments)


def plan_json_schema() -> dict[str, Any]:
    """The JSON Schema a plan file follows (published with `braze-harness plan schema`)."""
    schema = DataPlan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Braze data plan"
    return schema
