"""Opt-in (PATCHQ_REALDATA): the weekly report on Debian's real series, two weeks in a row.

Week 1: Debian's 3.13.5 series (62 patches) imported onto v3.13.5, the patch repo committed,
the first report. Week 2: rebased onto v3.13.15 (conflicts set aside), the second report. It
must say that 36 patches were merged upstream, each with its subject, evidence and commit;
that no patch is "never checked" (the rebase checked every one); what to do about the three
set aside (``patchq push``); and it must read well in a real browser. Every other real series
(Debian 3.11.2 and 3.13.15, conda-forge's when present) reports too, with consistent counts.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import cdp
import pytest
from helpers import git, patchq

pytestmark = pytest.mark.realdata

WEEK1, WEEK2 = "2026-11-18T12:00:00Z", "2026-11-25T12:00:00Z"
STATES = ("present", "partial", "submitted", "forwarded", "drafted", "unproposed",
          "downstream_only")


def run(repo: Path, now: str, *args: str):
    os.environ["PATCHQ_NOW"] = now
    try:
        res = patchq("-C", str(repo), *args)
    finally:
        del os.environ["PATCHQ_NOW"]
    assert res.code == 0, res.text
    return res


def commit(repo: Path, when: str, message: str) -> None:
    env = dict(os.environ, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message], check=True, env=env)


def new_repo(root: Path, rd: Path) -> Path:
    upstream = root / "cpython"
    if not upstream.exists():
        subprocess.run(["git", "clone", "-q", str(rd / "cpython"), str(upstream)], check=True)
    repo = root / "patches"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    assert patchq("-C", str(repo), "init", "--upstream", str(upstream),
                  "--github", "python/cpython").code == 0
    return repo


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory):
    value = os.environ.get("PATCHQ_REALDATA")
    if not value or not (Path(value) / "cpython" / ".git").is_dir():
        pytest.skip("set PATCHQ_REALDATA=DEST (built by cpython-from-debian) to run")
    rd = Path(value)
    root = tmp_path_factory.mktemp("report-realdata")
    repo = new_repo(root, rd)
    run(repo, WEEK1, "import", str(rd / "debian" / "3.13.5"), "--track", "3.13",
        "--base", "v3.13.5")
    commit(repo, "2026-11-18T11:00:00Z", "Import Debian's 3.13.5 series")
    first = json.loads(run(repo, WEEK1, "report", "-f", "json").out)
    run(repo, WEEK1, "report", "-f", "html", "-o", str(root / "week1.html"), "--no-record")
    commit(repo, "2026-11-18T12:30:00Z", "Weekly upstream report")
    run(repo, WEEK2, "rebase", "3.13", "--onto", "v3.13.15", "--on-conflict", "skip")
    second = json.loads(run(repo, WEEK2, "report", "-f", "json", "--no-record").out)
    md = run(repo, WEEK2, "report", "--no-record").out
    run(repo, WEEK2, "report", "-f", "html", "-o", str(root / "week2.html"), "--no-record")
    return {"rd": rd, "root": root, "repo": repo, "first": first, "second": second, "md": md}


def test_the_first_week_lists_no_flood_of_new_patches(two_weeks):
    first = two_weeks["first"]
    t = first["tracks"][0]
    assert t["counts"]["patches"] == 62
    assert first["first"] is True and t["added"] == [] and t["events"] == []
    assert first["actions"][0]["kind"] == "status"


def test_the_second_week_has_36_merged_with_evidence_and_nothing_never_checked(two_weeks):
    second, md = two_weeks["second"], two_weeks["md"]
    t = second["tracks"][0]
    merged = t["newly_merged"]
    print(f"\nDebian 3.13.5 -> v3.13.15: {len(merged)} newly merged; counts {t['counts']}")
    assert len(merged) == 36 == t["last_rebase"]["counts"]["upstream"]
    for item in merged:
        assert item["subject"] and not item["carried"] and item["dropped"] == "2026-11-25"
        assert item["evidence"] and all(e["method"] for e in item["evidence"])
        assert any(e["commits"] for e in item["evidence"])
    assert t["counts"]["never_checked"] == 0 and second["never_checked"] is False
    assert "never checked" not in md.split("## Summary")[0]
    assert md.count("(subject unknown)") == 0
    assert "36 patches upstream now has" in md
    # counts agree with the rows, and with the rebase
    counts = t["counts"]
    assert sum(counts[s] for s in STATES) == counts["patches"] == 62 - 36
    assert counts["lines"] == sum(p["lines"] for p in t["patches"])
    assert t["change"]["patches"] == -36
    assert [e["base_to"] for e in t["events"] if e["kind"] == "base_moved"] == ["v3.13.15"]


def test_set_aside_patches_come_with_their_command_and_files(two_weeks):
    second = two_weeks["second"]
    t = second["tracks"][0]
    aside = [p["slug"] for p in t["patches"] if p["needs_person"]]
    assert aside and len(aside) == t["last_rebase"]["counts"].get("conflict", 0)
    resolve = {a["slugs"][0]: a for a in second["actions"] if a["kind"] == "resolve"}
    assert set(resolve) == set(aside)
    for slug, action in resolve.items():
        assert action["command"] == f"patchq push -t 3.13 {slug}"
        assert "touches " in action["detail"] or "conflicts in " in action["detail"]
    events = {e["slug"] for e in t["events"] if e["kind"] == "set_aside"}
    assert events == set(aside)


def test_not_yet_proposed_follows_the_map(two_weeks):
    """A patch counts as never proposed only if the map records no disposition against it,
    no PR, no issue and no DEP-3 Forwarded: address."""
    second = two_weeks["second"]
    t = second["tracks"][0]
    for patch in t["patches"]:
        if patch["category"] == "unproposed":
            assert patch["disposition"] != "downstream-only"
            assert not patch["pr"] and not patch["issue"]
            assert (patch["forwarded"] or "no").lower() in ("no", "not yet", "none")
    print(f"\nnot yet proposed: {t['counts']['unproposed']} of {t['counts']['patches']}; "
          f"downstream-only {t['counts']['downstream_only']}")


def _series() -> list[tuple[str, Path, str]]:
    rd = Path(os.environ.get("PATCHQ_REALDATA", "/nonexistent"))
    found = [(f"debian-{v}", rd / "debian" / v, f"v{v}") for v in ("3.11.2", "3.13.15")]
    here = Path(__file__).resolve().parent.parent
    for top in (rd, here.parent / "shared" / "realdata", here.parent.parent / "shared" / "realdata"):
        cf = top / "conda-forge"
        if cf.is_dir():
            # the real data has v3.13.15 for 3.13.14 (its closest release)
            found += [("conda-forge-3.13.5", cf / "3.13.5", "v3.13.5"),
                      ("conda-forge-3.13.14", cf / "3.13.14", "v3.13.15")]
            break
    return found


@pytest.mark.parametrize(("name", "source", "base"), _series(), ids=lambda x: str(x)[:24])
def test_every_real_series_reports(realdata, tmp_path, name, source, base):
    if not source.is_dir():
        pytest.skip(f"{source} is not there")
    repo = new_repo(tmp_path, realdata)
    os.environ["PATCHQ_NOW"] = WEEK1
    try:
        res = patchq("-C", str(repo), "import", str(source), "--track", "t", "--base", base)
    finally:
        del os.environ["PATCHQ_NOW"]
    assert res.code in (0, 1), res.text  # a patch that does not apply on the nearest base
    if res.code == 1:
        pytest.skip(f"{name} does not import onto {base}: {res.err.strip()}")
    data = json.loads(run(repo, WEEK1, "report", "-f", "json", "--no-record").out)
    t = data["tracks"][0]
    counts = t["counts"]
    assert counts["patches"] == len(t["patches"]) > 0
    assert sum(counts[s] for s in STATES) == counts["patches"]
    assert counts["lines"] == sum(p["lines"] for p in t["patches"])
    assert data["problems"] == [] and t["added"] == []
    print(f"\n{name}: {counts['patches']} patches, {counts['lines']:,} lines, "
          f"{counts['unproposed']} not yet proposed, {counts['downstream_only']} "
          f"downstream-only, {counts['forwarded']} forwarded")
    if cdp.available() and not os.environ.get("PATCHQ_NO_BROWSER"):
        page = tmp_path / "r.html"
        run(repo, WEEK1, "report", "-f", "html", "-o", str(page), "--no-record")
        with cdp.Browser() as browser:
            for width in (400, 1366):
                browser.open(page.as_uri(), width)
                found = browser.evaluate(cdp.AUDIT)
                assert not (found["clipped"] or found["contrast"] or found["svg"]
                            or found["hints"]), (name, width, found)


@pytest.mark.skipif(not cdp.available() or bool(os.environ.get("PATCHQ_NO_BROWSER")),
                    reason="needs chromium")
@pytest.mark.parametrize("week", ["week1", "week2"])
def test_the_real_reports_read_well_in_a_browser(two_weeks, week):
    page = two_weeks["root"] / f"{week}.html"
    with cdp.Browser() as browser:
        for width in (400, 1280, 1366):
            for dark in (False, True):
                browser.open(page.as_uri(), width, dark=dark)
                found = browser.evaluate(cdp.AUDIT)
                assert found["width"] == width and found["pageWidth"] <= width
                assert not (found["clipped"] or found["contrast"] or found["svg"]
                            or found["hints"]), json.dumps(found)[:2000]
                assert found["lowest"] >= 4.5
