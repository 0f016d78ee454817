"""The Braze REST paths the emulator answers (a backend's calls, `Authorization: Bearer <key>`), told apart from
SDK traffic by path: they enter the same pipeline and journal, decoded as REST, not as SDK requests."""

from __future__ import annotations

from typing import Any, Literal

# the user-identity endpoints (harness/emulator/state/rest_identity.py)
IDENTITY_PATHS = frozenset(
    {
        "/users/identify",
        "/users/alias/new",
        "/users/alias/update",
        "/users/merge",
        "/users/external_ids/rename",
        "/users/external_ids/remove",
        "/users/delete",
    }
)
TRIGGER_PATHS = frozenset({"/campaigns/trigger/send", "/canvas/trigger/send"})  # API-triggered delivery
CONTENT_BLOCK_PATHS = frozenset(
    {"/content_blocks/create", "/content_blocks/update", "/content_blocks/list", "/content_blocks/info"}
)
GET_PATHS = frozenset({"/content_blocks/list", "/content_blocks/info"})  # every other REST path takes POST
REST_PATHS = (
    frozenset({"/users/track", "/users/export/ids", "/messages/send"}) | IDENTITY_PATHS | TRIGGER_PATHS | CONTENT_BLOCK_PATHS
)


# the rest of Braze's REST API (https://www.braze.com/docs/api/endpoints/): recognised as REST and answered 501
# naming the path, never taken for bad SDK traffic nor answered with a plausible shape
REST_PREFIXES = (
    "/users/", "/messages/", "/campaigns/", "/canvas/", "/sends/", "/segments/", "/content_blocks/", "/templates/",
    "/email/", "/sms/", "/subscription/", "/catalogs/", "/kpi/", "/purchases/", "/events/", "/feed/", "/transactional/",
    "/preference_center/", "/custom_attributes", "/scim/", "/app_group/",
)  # fmt: skip


def is_rest_path(path: str) -> bool:
    return path in REST_PATHS or path.rstrip("/") in REST_PATHS or path.startswith(REST_PREFIXES)


def is_emulated_rest_path(path: str) -> bool:
    return path.rstrip("/") in REST_PATHS


# /users/track attributes objects: the keys that name the user or are request options, never attributes
TRACK_IDENTIFIERS = ("external_id", "braze_id", "user_alias", "email", "phone")
TRACK_OPTIONS = frozenset(
    {*TRACK_IDENTIFIERS, "_update_existing_only", "_merge_objects", "app_id", "push_token_import", "push_tokens"}
)


def track_identifier(obj: dict[str, Any]) -> list[str]:
    """The identifier keys a /users/track object names its user by: external_id, braze_id and user_alias come
    first; email (then phone) identify only without them, and are otherwise profile fields like first_name
    (https://www.braze.com/docs/api/objects_filters/user_attributes_object/)."""
    strong = [k for k in ("external_id", "braze_id", "user_alias") if obj.get(k) is not None]
    if strong:
        return strong
    weak = [k for k in ("email", "phone") if obj.get(k) is not None]
    return weak[:1]  # "if both are present, email is the identifier"


# keys Braze documents there that the emulator does not apply (reported, not taken for custom attributes)
TRACK_UNSUPPORTED = frozenset({"push_token", "subscription_groups"})


def track_operation(value: Any) -> Literal["inc", "array"] | None:
    """The attribute operation a /users/track value is (`{"inc": 3}`; `{"add": [...], "remove": [...]}`), or None
    for a plain value."""
    if isinstance(value, dict) and value:
        keys = set(value)
        if keys == {"inc"}:
            return "inc"
        if keys <= {"add", "remove"}:
            return "array"
    return None
