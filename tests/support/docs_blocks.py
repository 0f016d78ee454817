"""The fenced code blocks of the pages a user reads (README.md and docs/*.md), for the tests that run them.

A block preceded (blank lines aside) by `<!-- not-run: reason -->` is intentionally not run; the tests count those
and require the reason. Pages other work adds under docs/ are picked up by the glob.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import REPO

PAGES: list[Path] = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.*?)\s*-->\s*$")
FENCE_OPEN = re.compile(r"^(\s*)```([A-Za-z0-9_+-]*)\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    not_run: str | None  # the reason, when marked

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    lines = page.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opened = FENCE_OPEN.match(lines[i])
        if not opened:
            i += 1
            continue
        indent, lang, start = opened.group(1), opened.group(2).lower(), i
        body: list[str] = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        marker = NOT_RUN.match(lines[j].strip()) if j >= 0 else None
        found.append(Block(page, start + 1, lang, "\n".join(body) + "\n", marker.group(1) if marker else None))
        i += 1
    return found


def markers_without_block(page: Path) -> list[str]:
    """`not-run` markers that do not precede a code block (a typo would silently run nothing)."""
    lines = page.read_text().splitlines()
    bad = []
    for number, line in enumerate(lines):
        if NOT_RUN.match(line.strip()):
            k = number + 1
            while k < len(lines) and not lines[k].strip():
                k += 1
            if k >= len(lines) or not FENCE_OPEN.match(lines[k]):
                bad.append(f"{page.relative_to(REPO)}:{number + 1}")
    return bad


def all_blocks(*langs: str) -> list[Block]:
    return [b for page in PAGES for b in blocks_of(page) if b.lang in langs]


def page_id(page: Path) -> str:
    return page.relative_to(REPO).as_posix()
