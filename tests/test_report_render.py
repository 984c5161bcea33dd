"""What the markdown and HTML say, from a computed report: links and spaces, plurals, one
number format, links to the patch files, what "carried since" is, the capped lines chart."""

from __future__ import annotations

import re

from patchq.report import html, markdown
from patchq.report.compute import build_report
from patchq.report.history import Snapshot, SnapshotTrack, parse_time
from patchq.report.model import LINES_CAP, PatchInput, ReportInput, TrackInput

NOW = parse_time("2026-11-25T12:00:00Z")
GH = "https://github.com/python/cpython"


def patch(slug: str, subject: str, added: int = 1, removed: int = 0, **kw) -> PatchInput:
    return PatchInput(slug=slug, file=f"0001-{slug}.patch", subject=subject, added=added,
                      removed=removed, files=1, **kw)


def report(patches, records=None, history=(), downstream=""):
    return build_report(ReportInput(
        now=NOW, tracks=(TrackInput("3.13", "3.13", "v3.13.15", patches=tuple(patches)),),
        records=records or {}, github="python/cpython", downstream_url=downstream,
        history=tuple(history)))


def test_links_keep_the_spaces_around_them_and_backports_link_their_pr():
    r = report([patch("a", "gh-122917: Allow stable API extensions"),
                patch("b", "[3.13] gh-130577: tarfile validates offsets (GH-137027) (#137170)"),
                patch("c", "Fix gh-1 now")])
    md = markdown.render(r)
    assert f"[gh-122917]({GH}/issues/122917): Allow stable API extensions" in md
    assert f"Fix [gh-1]({GH}/issues/1) now" in md
    assert f"([GH-137027]({GH}/pull/137027)) ([\\#137170]({GH}/pull/137170))" in md
    page = html.render(r)
    assert f'<a href="{GH}/pull/137170">#137170</a>)' in page
    assert f'<a href="{GH}/issues/122917">gh-122917</a>: Allow' in page


def test_one_number_format_and_plurals_that_agree():
    old = Snapshot("2026-11-18T09:00:00Z", {"3.13": SnapshotTrack.of(
        "v3.13.5", {"patches": 3, "lines": 21_218}, {"a": "unproposed", "x": "unproposed",
                                                      "y": "unproposed"})})
    r = report([patch("a", "A", 9_320, 9_280)], history=[old])
    md = markdown.render(r)
    assert "| lines of delta | 18,600 | 21,218 | −2,618 |" in md
    assert "(1 earlier snapshot)" in md
    # no number of four digits or more without its comma (dates aside)
    assert not re.findall(r"(?<![0-9,.-])[0-9]{4,}(?![0-9-])", md)
    page = html.render(r)
    assert "−2,618" in page and "(1 earlier snapshot)" in page
    assert "+9,320 −9,280" in page


def test_the_patch_file_is_linked_downstream_and_carried_since_says_what_it_is():
    records = {"a": {"tracks": {"3.13": {"carried": True, "since": "2026-11-18"}}}}
    r = report([patch("a", "A", date="2019-05-02")], records,
               downstream="https://github.com/example/patches/blob/main")
    url = "https://github.com/example/patches/blob/main/series/3.13/0001-a.patch"
    md = markdown.render(r)
    assert f"[`a`]({url})" in md
    assert "| dated | in the series since |" in md.replace("| author | disposition | reason ", "")
    assert "| 2019-05-02 | 2026-11-18 |" in md
    assert "*dated*: the patch's own date" in md
    page = html.render(r)
    assert f'href="{url}"' in page
    assert "In the series since" in page and "the patch's own date" in page
    row = r.tracks[0].unproposed[0]
    assert row.carried_since == "2019-05-02" and row.dated_days == 2764


def test_the_lines_chart_is_not_one_huge_patch():
    patches = [patch("openssl", "Add OpenSSL 3.4", 9_320, 8_614),
               *(patch(f"p{i}", f"Patch {i}", 20, 5) for i in range(25))]
    page = html.render(report(patches))
    charts = re.findall(r"<svg.*?</svg>", page)
    assert len(charts) == 2
    lines = charts[1]
    # the band totals LINES_CAP for the huge patch plus the others' true lines
    assert f">{LINES_CAP + 25 * 25:,}</text>" in lines
    assert "openssl: 17,934" in page and "the true total is 18,559" in page
