"""The static site revalidates every file by an ETag: an unchanged file answers 304 (the browser keeps its copy and
the compiled SDK), a file swapped behind the same URL is sent again."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from braze_harness.devices.web.static_site import StaticSite


def _get(url: str, etag: str | None = None) -> tuple[int, str | None, bytes]:
    request = urllib.request.Request(url, headers={"If-None-Match": etag} if etag else {})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, answer.headers.get("ETag"), answer.read()
    except urllib.error.HTTPError as exc:  # urllib raises on 304
        return exc.code, exc.headers.get("ETag"), b""


def test_an_unchanged_file_is_not_modified_and_a_swapped_one_is_sent_again(tmp_path: Path) -> None:
    first, second = tmp_path / "a.js", tmp_path / "b.js"
    first.write_text("// sdk 1")
    second.write_text("// sdk 2, another version")
    with StaticSite(tmp_path, {"/sdk/braze.js": first}) as site:
        status, etag, body = _get(f"{site.url}/sdk/braze.js")
        assert (status, body) == (200, b"// sdk 1") and etag

        assert _get(f"{site.url}/sdk/braze.js", etag)[0] == 304

        site.add_file("/sdk/braze.js", second)
        status, new_etag, body = _get(f"{site.url}/sdk/braze.js", etag)
        assert (status, body) == (200, b"// sdk 2, another version") and new_etag != etag


def test_every_answer_asks_the_browser_to_revalidate(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<p>hi</p>")
    with StaticSite(tmp_path) as site, urllib.request.urlopen(f"{site.url}/index.html") as answer:
        assert answer.headers["Cache-Control"] == "no-cache"
