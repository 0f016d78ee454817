"""The examples in docs/ run: every ```python block of a page, in order, in one namespace (the page's story)."""

from __future__ import annotations

import re

import pytest

from tests.support.paths import REPO

PAGES = sorted((REPO / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_the_examples_of_a_page_run(page) -> None:
    blocks = BLOCK.findall(page.read_text())
    namespace: dict = {"__name__": f"docs.{page.stem}"}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"{page.name} (python block {number})", "exec"), namespace)
