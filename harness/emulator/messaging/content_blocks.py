"""Content Blocks: reusable content a backend manages through the REST API (`/content_blocks/create`, `/update`,
`/list`, `/info`) and templates include with `{{content_blocks.${name}}}`, per workspace, with Braze's validation
messages. A block's own Liquid renders with the including message's data (blocks may include other blocks).

A template naming a block that does not exist, or one still in `draft`, fails to render with that reason (the
message is not sent) rather than rendering empty.
https://www.braze.com/docs/api/endpoints/templates/content_blocks_templates/post_create_email_content_block/
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from braze_harness.emulator.messaging import braze_liquid as bl
from braze_harness.emulator.messaging.braze_liquid import TemplateError

MAX_CONTENT_BYTES = 50 * 1024  # "Content must be smaller than 50kb."
MAX_NAME = 100
MAX_DESCRIPTION = 250
MAX_NESTING = 8  # blocks including blocks: deeper is taken for a cycle
RENDER_BUDGET_S = 0.5  # per block (the message's own budget bounds the whole render)
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class BlockError(ValueError):
    """A refused content block call; the message is Braze's."""


@dataclass
class ContentBlock:
    content_block_id: str
    name: str
    content: str
    description: str | None
    state: str
    tags: list[str]
    created_at: float
    last_edited: float

    @property
    def liquid_tag(self) -> str:
        return "{{content_blocks.${" + self.name + "}}}"

    @property
    def content_type(self) -> str:
        return "html" if re.search(r"<[a-zA-Z/!]", self.content) else "text"

    def listed(self) -> dict[str, Any]:
        return {
            "content_block_id": self.content_block_id,
            "name": self.name,
            "content_type": self.content_type,
            "liquid_tag": self.liquid_tag,
            "inclusion_count": 0,  # the emulator does not track which messages include a block
            "created_at": _iso(self.created_at),
            "last_edited": _iso(self.last_edited),
            "tags": list(self.tags),
        }


@dataclass
class WorkspaceBlocks:
    by_name: dict[str, ContentBlock] = field(default_factory=dict)

    def by_id(self, block_id: Any) -> ContentBlock:
        if not isinstance(block_id, str) or not block_id:
            raise BlockError("Content Block ID cannot be blank.")
        for block in self.by_name.values():
            if block.content_block_id == block_id:
                return block
        raise BlockError("Content Block ID is invalid for this App Group.")

    def create(self, body: Any, now: float) -> dict[str, Any]:
        body = _object(body)
        name = _name(body.get("name"))
        if name in self.by_name:
            raise BlockError("Content Block with this name already exists.")
        block = ContentBlock(
            content_block_id=secrets.token_hex(12),
            name=name,
            content=_content(body.get("content"), name),
            description=_description(body.get("description")) if "description" in body else None,
            state=_state(body.get("state", "active")),
            tags=_tags(body.get("tags", [])),
            created_at=now,
            last_edited=now,
        )
        self.by_name[name] = block
        return {
            "content_block_id": block.content_block_id,
            "liquid_tag": block.liquid_tag,
            "created_at": _iso(now),
            "message": "success",
        }

    def update(self, body: Any, now: float) -> dict[str, Any]:
        body = _object(body)
        block = self.by_id(body.get("content_block_id"))
        name = _name(body["name"]) if "name" in body else block.name
        if name != block.name and name in self.by_name:
            raise BlockError("Content Block with this name already exists.")
        content = _content(body["content"], name) if "content" in body else block.content
        block.description = _description(body["description"]) if "description" in body else block.description
        block.state = _state(body["state"]) if "state" in body else block.state
        block.tags = _tags(body["tags"]) if "tags" in body else block.tags
        if name != block.name:
            del self.by_name[block.name]
            block.name = name
            self.by_name[name] = block
        block.content = content
        block.last_edited = now
        return {
            "content_block_id": block.content_block_id,
            "liquid_tag": block.liquid_tag,
            "created_at": _iso(block.created_at),
            "message": "success",
        }

    def list(self, query: str) -> dict[str, Any]:
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        after = _when(params.get("modified_after"), "Modified after time is invalid.")
        before = _when(params.get("modified_before"), "Modified before time is invalid.")
        if after is not None and before is not None and after > before:
            raise BlockError("Modified after time must be earlier than or the same as modified before time.")
        limit = _count(params.get("limit", "100"), "Content Block number limit is invalid.")
        if limit <= 0:
            raise BlockError("Content Block number limit must be greater than 0.")
        if limit > 1000:
            raise BlockError("Content Block number limit exceeds maximum of 1000.")
        offset = _count(params.get("offset", "0"), "Offset is invalid.")
        if offset < 0:
            raise BlockError("Offset must be greater than 0.")
        kept = [
            b
            for b in self.by_name.values()
            if (after is None or b.last_edited >= after) and (before is None or b.last_edited <= before)
        ]
        page = kept[offset : offset + limit]
        return {"count": len(page), "content_blocks": [b.listed() for b in page], "message": "success"}

    def info(self, query: str) -> dict[str, Any]:
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        block = self.by_id(params.get("content_block_id"))
        return {**block.listed(), "content": block.content, "description": block.description, "message": "success"}


class Included(Mapping[str, str]):
    """`content_blocks` as a template sees it: each block rendered on first use with the including message's data
    (so a block's Liquid sees the same user); a missing or draft block is a TemplateError naming it."""

    def __init__(self, blocks: WorkspaceBlocks | None, data: dict[str, Any], depth: int = 0) -> None:
        self._blocks = blocks.by_name if blocks is not None else {}
        self._data = data
        self._depth = depth
        self._rendered: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name in self._rendered:
            return self._rendered[name]
        block = self._blocks.get(name)
        if block is None:
            raise TemplateError(f"content_blocks.${{{name}}}: no content block named {name!r} in this workspace")
        if block.state != "active":
            raise TemplateError(f"content_blocks.${{{name}}}: the content block is a {block.state}, not active")
        if self._depth >= MAX_NESTING:
            raise TemplateError(f"content_blocks.${{{name}}}: blocks nested more than {MAX_NESTING} deep (a cycle?)")
        inner = Included(None, self._data, self._depth + 1)
        inner._blocks = self._blocks
        text = block.content
        if "{" in text:
            data = {**self._data, "content_blocks": inner}
            text = bl.render(bl.compile_template(text), data, limit=MAX_CONTENT_BYTES * 4, budget=RENDER_BUDGET_S)
        self._rendered[name] = text
        return text

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._blocks)

    def __len__(self) -> int:
        return len(self._blocks)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BlockError("the body must be a JSON object")
    return body


def _name(value: Any) -> str:
    if value is None or value == "":
        raise BlockError("Content Block name cannot be blank.")
    if not isinstance(value, str) or len(value) >= MAX_NAME:
        raise BlockError("Content Block name must be a shorter than 100 characters.")
    if not _NAME.match(value):
        raise BlockError("Content Block name can only contain alphanumeric characters.")
    return value


def _content(value: Any, name: str) -> str:
    if value is None or value == "":
        raise BlockError("Content cannot be blank.")
    if not isinstance(value, str):
        raise BlockError("Content must be a string.")
    if len(value.encode("utf-8", "surrogatepass")) >= MAX_CONTENT_BYTES:
        raise BlockError("Content must be smaller than 50kb.")
    if "{" in value:
        try:
            bl.compile_template(value)
        except TemplateError:
            raise BlockError("Content contains malformed liquid.") from None
        if re.search(r"content_blocks\s*\.\s*\$\{\s*" + re.escape(name) + r"\s*\}", value):
            raise BlockError("Content Block cannot be referenced within itself.")
    return value


def _description(value: Any) -> str:
    if value is None or value == "":
        raise BlockError("Content Block description cannot be blank.")
    if not isinstance(value, str):
        raise BlockError("Content Block description must be a string.")
    if len(value) >= MAX_DESCRIPTION:
        raise BlockError("Content block description must be shorter than 250 characters.")
    return value


def _state(value: Any) -> str:
    if value not in ("active", "draft"):
        raise BlockError("Content Block state must be either Active or Draft.")
    return value


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise BlockError("Tags must be an array.")
    if not all(isinstance(t, str) for t in value):
        raise BlockError("All Tags must be Strings.")
    if value:  # Braze: "Tags must already exist"; the emulator has no tag registry
        raise BlockError("Some Tags could not be found.")
    return []


def _when(value: str | None, message: str) -> float | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BlockError(message) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()


def _count(value: str, message: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise BlockError(message) from None


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
