"""Opt-in: `patchq draft --all` on Debian's real 3.13.5 series (on v3.13.5) onto the real
CPython main, every patch marked upstreamable: no issue drafted for a patch that names one,
no PR proposed again, no junk title, no placeholder author, no claim nobody checked."""

from __future__ import annotations

import json
import re

import pytest
import tomlkit
from helpers import git, patchq, real_patch_repo

from patchq import conventions as cv
from patchq import headers, patchfile
from patchq.model import slug_of

pytestmark = pytest.mark.realdata

GH = "python/cpython"
SUBMITTER = "Jane Submitter <jane@example.org>"


@pytest.fixture
def debian(realdata, tmp_path):
    series = realdata / "debian" / "3.13.5"
    if not (series / "series").is_file():
        pytest.skip("no Debian 3.13.5 series")
    repo, up = real_patch_repo(realdata, tmp_path, "--github", GH, "--fork", "someone/cpython")
    assert patchq("-C", str(repo), "import", str(series), "--track", "3.13", "--base",
                  "v3.13.5").code == 0
    path = repo / "upstream_map.toml"
    doc = tomlkit.parse(path.read_text())
    doc["upstream"]["downstream"] = "Debian"
    for record in doc["patches"].values():
        record["disposition"] = "upstreamable"
    path.write_text(tomlkit.dumps(doc))
    return repo, up, series


def test_draft_all_on_debian_3_13_5(debian):
    repo, up, series = debian
    res = patchq("-C", str(repo), "draft", "--all", "--json")
    items = {item["slug"]: item for item in json.loads(res.out)["items"]}
    assert len(items) == 62
    read = {}
    for name in (line.split()[0] for line in (series / "series").read_text().splitlines()
                 if line.strip() and not line.startswith("#")):
        read[slug_of(name)] = headers.parse(patchfile.parse((series / name).read_bytes(), name))
    # a patch that names a PR is never drafted; one without an author or a title is refused
    for slug, h in read.items():
        item = items[slug]
        if h.pull(GH):
            assert item["status"] == "skipped" and f"#{h.pull(GH)}" in item["detail"], slug
        if h.origin_commit(GH) and not h.pull(GH):
            assert item["status"] == "skipped" and "taken from upstream" in item["detail"], slug
    assert items["makefile-bootstrap"]["status"] == "refused"
    assert items["no-sphinx-8.2"]["status"] == "refused"
    assert "write a subject first" in items["no-sphinx-8.2"]["detail"]
    refused_for_author = [s for s, i in items.items()
                          if i["status"] == "refused" and "names no author" in i["detail"]]
    assert len(refused_for_author) >= 15  # DEP-3 headers without Author:
    # the person submitting says who the author is; then they are drafted
    for slug in refused_for_author:
        assert patchq("-C", str(repo), "record", slug, f"author={SUBMITTER}").code == 0
    res = patchq("-C", str(repo), "draft", "--all", "--json")
    items = {item["slug"]: item for item in json.loads(res.out)["items"]}
    drafted = {s: i["draft"] for s, i in items.items() if i["status"] == "drafted"}
    assert len(drafted) >= 15
    assert "gchead-alignment" in drafted
    for slug, d in drafted.items():
        h = read[slug]
        pr, issue = d["texts"]["pr.md"], d["texts"]["issue.md"]
        title, _ = cv.split_markdown(pr)
        # the issue a patch names is the draft's: no new issue for it
        if h.issue(GH):
            assert d["issue"] == h.issue(GH) and title.startswith(f"gh-{h.issue(GH)}: "), slug
            assert "gh-NNNNN" not in pr, slug
        else:
            assert title.startswith("gh-NNNNN: "), slug
        # no junk title, no header leftovers, one H1
        summary = title.split(": ", 1)[1]
        assert cv.title_problem(summary) == "", (slug, summary)
        for text in (pr, issue):
            assert not re.search(r"^(Forwarded|Bug-\w+|Origin|Description|Author):", text,
                                 re.MULTILINE), slug
            assert len(re.findall(r"^# ", text, re.MULTILINE)) == 1, slug
            # no claim nobody checked
            assert "Linux, macOS, Windows" not in text, slug
            assert not re.search(r"(carries|runs) .* since \d", text), slug
            assert "Tested on" not in text, slug
        assert "_No response_" in issue or "### Proposal:" in issue, slug
        # a real author, and the submitter as committer
        author = git(up, "log", "-1", "--format=%an <%ae>", d["commit"])
        assert "Unknown" not in author and "patchq.invalid" not in author, slug
        assert author in (SUBMITTER, f"{h.author_name} <{h.author_email}>"), slug
        assert "Contributor License Agreement" in pr and author in pr, slug
    # the patch's own NEWS entry, with its issue number, is the one on the branch
    gc = drafted["gchead-alignment"]
    assert gc["news_own"] and gc["news_file"] == \
        "Misc/NEWS.d/next/Build/2024-12-04-10-00-35.gh-issue-127545.t0THjE.rst"
    names = git(up, "diff", "--name-only", f"{gc['commit']}^", gc["commit"]).splitlines()
    assert [n for n in names if n.startswith("Misc/NEWS.d/")] == [gc["news_file"]]
