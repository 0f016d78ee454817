"""The product stands alone: no tracked file cites the research notes that live outside the repository, and every
reference to a section of the project's own pages (`docs/<page>.md#anchor`, or `(docs/<page>.md, anchor)` in code
comments) names a heading that exists."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from tests.support.paths import REPO

THIS = Path(__file__).resolve().relative_to(REPO).as_posix()

# The outside notes by name (and where they lived), and the notation only they use: section signs with a number
# ("§12.1"), their open questions ("(Q3)") and their source tags ("[I]" for inferred, "S-bin", "S-cap", ...). The
# project's own pages say "inferred" in words and name their sections by anchor.
OUTSIDE_NOTES = re.compile(
    r"mobile\.md|braze-behaviour\.md|web-sdk-protocol\.md|sdk-endpoints-2026|fast-flows\.md|toolchain\.md"
    r"|shared/reference"
)
OUTSIDE_NOTATION = re.compile(r"§\s*\d|\[I\]|\bS-(?:bin|cap|src|doc)\b|\(Q\d{1,2}\)")

# Files other work is changing while this check was introduced: they still cite the outside notes and are
# tolerated until their citations are replaced (the replacements are listed in the change that added this test).
# Remove each entry once its file is converted; the set should end up empty.
NOT_YET_CONVERTED: frozenset[str] = frozenset()

# `docs/web-sdk-wire.md#retries` anywhere (links included, whatever the relative prefix)
FULL_REF = re.compile(r"docs/([A-Za-z0-9_-]+)\.md#([A-Za-z0-9_-]+)")
# `(docs/web-sdk-wire.md, retries)`, `(docs/mobile-wire.md, android-fcm and ios-apns)`, `(…, a; docs/…, b)`
SHORT_REF = re.compile(r"docs/([A-Za-z0-9_-]+)\.md,\s+([a-z0-9][a-z0-9-]*(?:(?:,\s+|\s+and\s+)[a-z0-9][a-z0-9-]*)*)(?=[);])")
# inside docs/*.md: `[text](other-page.md#anchor)`, `[text](#anchor)`, `[text](other-page.md)`
PAGE_LINK = re.compile(r"\]\((?!https?:)([A-Za-z0-9_-]+\.md)?(?:#([A-Za-z0-9_-]+))?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [name for name in out.decode().split("\0") if name]


def text_of(name: str) -> str | None:
    path = REPO / name
    if not path.is_file():
        return None
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def matches(pattern: re.Pattern[str], exempt: frozenset[str]) -> Iterator[str]:
    for name in tracked_files():
        if name == THIS or name in exempt:
            continue
        text = text_of(name)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            found = pattern.search(line)
            if found:
                yield f"{name}:{number}: {found.group(0)!r} in {line.strip()[:120]!r}"


def github_anchor(heading: str) -> str:
    """GitHub's rule: lower-case, punctuation dropped (letters, digits, `_`, `-` and spaces kept), spaces to `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors_of(page: str) -> frozenset[str] | None:
    path = REPO / "docs" / f"{page}.md"
    return anchors_of_file(path) if path.is_file() else None


def citations() -> Iterator[tuple[str, str, str | None]]:
    """(where, page, anchor or None) for every reference to a project page."""
    for name in tracked_files():
        text = text_of(name)
        if text is None or name == THIS:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{name}:{number}"
            for found in FULL_REF.finditer(line):
                yield where, found.group(1), found.group(2)
            for found in SHORT_REF.finditer(line):
                for anchor in re.split(r",\s+|\s+and\s+", found.group(2)):
                    yield where, found.group(1), anchor
            if name.startswith("docs/") and name.count("/") == 1 and name.endswith(".md"):
                for found in PAGE_LINK.finditer(line):
                    page = found.group(1)[: -len(".md")] if found.group(1) else Path(name).stem
                    if found.group(1) or found.group(2):
                        yield where, page, found.group(2)


def test_no_tracked_file_names_the_outside_notes() -> None:
    found = list(matches(OUTSIDE_NOTES, NOT_YET_CONVERTED))
    assert not found, "cite the project's own pages under docs/ instead:\n" + "\n".join(found)


def test_no_tracked_file_uses_the_outside_notes_numbering() -> None:
    found = list(matches(OUTSIDE_NOTATION, NOT_YET_CONVERTED))
    assert not found, "cite a docs/ page and its section (and say 'inferred' in words) instead:\n" + "\n".join(found)


def test_the_tolerated_files_exist() -> None:
    tracked = set(tracked_files())
    assert tracked >= NOT_YET_CONVERTED, f"no longer tracked, drop them: {sorted(NOT_YET_CONVERTED - tracked)}"


def test_every_cited_section_exists() -> None:
    refs = list(citations())
    assert refs, "no reference to docs/ pages found: the patterns no longer match anything"
    broken = []
    for where, page, anchor in refs:
        anchors = anchors_of(page)
        if anchors is None:
            broken.append(f"{where}: docs/{page}.md does not exist")
        elif anchor is not None and anchor not in anchors:
            broken.append(f"{where}: docs/{page}.md has no heading with the anchor #{anchor}")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Retries", "retries"),
        ("SDK authentication answers", "sdk-authentication-answers"),
        ("Differences from the Web SDK", "differences-from-the-web-sdk"),
        ("`/data/` answer (observed)", "data-answer-observed"),
        ("changeUser", "changeuser"),
    ],
)
def test_anchors_follow_githubs_rule(heading: str, anchor: str) -> None:
    assert github_anchor(heading) == anchor


MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`[^`]*`")


def anchors_of_file(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    in_fence = False
    for line in path.read_text().splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        heading = None if in_fence else HEADING.match(line)
        if heading:
            base = github_anchor(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            if count:
                seen[f"{base}-{count}"] = 1  # a repeated heading gets -1, -2, …
    return frozenset(seen)


def readable_pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def relative_links(page: Path) -> Iterator[tuple[int, str]]:
    in_fence = False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for found in MD_LINK.finditer(CODE_SPAN.sub("", line)):
            target = found.group(1)
            if not re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: are not checked here
                yield number, target


def test_every_relative_link_of_the_readme_and_docs_resolves() -> None:
    broken = []
    for page in readable_pages():
        for number, target in relative_links(page):
            where = f"{page.relative_to(REPO)}:{number}"
            path_part, _, anchor = target.partition("#")
            path = (page.parent / path_part).resolve() if path_part else page
            if not path.exists():
                broken.append(f"{where}: {target} does not exist")
            elif anchor and path.suffix == ".md" and anchor not in anchors_of_file(path):
                broken.append(f"{where}: {target}: no heading with the anchor #{anchor}")
    assert not broken, "\n".join(broken)


def test_the_index_maps_every_docs_page() -> None:
    index = REPO / "docs" / "index.md"
    linked = {(index.parent / t.partition("#")[0]).resolve() for _, t in relative_links(index)}
    pages = {p.resolve() for p in (REPO / "docs").glob("*.md")} - {index.resolve()}
    missing = sorted(p.name for p in pages - linked)
    assert not missing, f"docs/index.md does not list: {missing}"
