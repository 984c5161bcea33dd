"""GitHubForge (github3.py) against the fake GitHub API on 127.0.0.1: what it reads, and one
clear line for every way GitHub or the network can fail, never showing the token."""

from __future__ import annotations

import pytest
from fake_github import FakeGitHub, fake_github_fixture  # noqa: F401

from patchq.errors import ForgeError
from patchq.forge import GitHubForge, Ref, api_root, parse_ref

REPO = "python/cpython"
CANARY = "ghp_CANARY0123456789abcdefCANARY"


def one_line(exc: ForgeError) -> str:
    text = str(exc)
    assert "\n" not in text and CANARY not in text and text.strip() == text
    return text


def test_pull_states(fake_github):
    fake_github.add_pull(REPO, 1, "gh-10: Merged fix", merged=True, base_ref="3.12",
                         merge_commit="c" * 40, labels=("type-bug", "3.12"))
    fake_github.add_pull(REPO, 2, "gh-11: Rejected", closed=True)
    fake_github.add_pull(REPO, 3, "gh-12: Work in progress", draft=True)
    fake_github.add_pull(REPO, 4, "gh-13: Ready", updated_at="2024-03-04T05:06:07Z")
    forge = GitHubForge(url=fake_github.url)
    merged = forge.get_pull(REPO, 1)
    assert (merged.status, merged.merge_commit, merged.base) == ("merged", "c" * 40, "3.12")
    assert merged.labels == ("type-bug", "3.12") and merged.merged_at == "2024-01-02T03:04:05Z"
    closed = forge.get_pull(REPO, 2)
    assert (closed.status, closed.merged, closed.merge_commit) == ("closed", False, "")
    assert forge.get_pull(REPO, 3).status == "draft"
    ready = forge.get_pull(REPO, 4)
    assert (ready.status, ready.updated_at) == ("open", "2024-03-04T05:06:07Z")
    assert ready.html_url == "https://github.com/python/cpython/pull/4"


def test_issue_and_repo(fake_github):
    fake_github.add_issue(REPO, 101234, "platform.system() is empty on Emscripten",
                          labels=("OS-emscripten",), state="closed",
                          closed_at="2023-02-13T08:00:00Z")
    forge = GitHubForge(url=fake_github.url)
    issue = forge.get_issue(REPO, 101234)
    assert (issue.state, issue.labels, issue.is_pull) == ("closed", ("OS-emscripten",), False)
    assert issue.closed_at == "2023-02-13T08:00:00Z"
    assert forge.get_repo(REPO).default_branch == "main"


def test_reviews(fake_github):
    fake_github.add_pull(REPO, 5, "Fix")
    forge = GitHubForge(url=fake_github.url)
    assert forge.review_state(REPO, 5) == "none"
    fake_github.add_review(REPO, 5, "alice", "COMMENTED")
    assert forge.review_state(REPO, 5) == "commented"
    fake_github.add_review(REPO, 5, "bob", "CHANGES_REQUESTED")
    assert forge.review_state(REPO, 5) == "changes_requested"
    fake_github.add_review(REPO, 5, "bob", "APPROVED")
    assert forge.review_state(REPO, 5) == "approved"


def test_search_pulls(fake_github):
    fake_github.add_pull(REPO, 6, "gh-101234: Fix platform.system() on Emscripten",
                         merged=True)
    fake_github.add_issue(REPO, 101234, "platform.system() on Emscripten")
    fake_github.add_search_result("platform.system() on Emscripten", REPO, 6)
    fake_github.add_search_result("platform.system() on Emscripten", REPO, 101234)
    forge = GitHubForge(url=fake_github.url)
    hits = forge.search_pulls(REPO, ["Fix platform.system() on Emscripten", "gh-101234"])
    assert [(h.ref, h.merged, h.is_pull) for h in hits] == [(Ref(REPO, 6), True, True)]
    query = fake_github.requests[-1]["query"]["q"]
    assert query.startswith("repo:python/cpython is:pr ") and '"gh-101234"' in query
    assert forge.search_pulls(REPO, ["   "]) == []


def test_token_sent_only_in_the_header(fake_github):
    fake_github.require_token(CANARY)
    fake_github.add_pull(REPO, 1, "Fix")
    forge = GitHubForge(token=CANARY, url=fake_github.url)
    assert forge.get_pull(REPO, 1).title == "Fix"
    assert fake_github.requests[-1]["authorization"] == f"token {CANARY}"
    assert CANARY not in repr(forge) and CANARY not in str(vars(forge).get("url"))
    anonymous = GitHubForge(url=fake_github.url)
    fake_github.token = None
    anonymous.get_pull(REPO, 1)
    assert fake_github.requests[-1]["authorization"] == ""


def test_401_bad_token(fake_github):
    fake_github.require_token("the-good-one")
    fake_github.add_pull(REPO, 1, "Fix")
    with pytest.raises(ForgeError) as err:
        GitHubForge(token=CANARY, url=fake_github.url).get_pull(REPO, 1)
    text = one_line(err.value)
    assert text.startswith("pull request python/cpython#1: GitHub refused the token "
                           "(401 Bad credentials); check GITHUB_TOKEN")


def test_403_rate_limit_says_when_it_resets(fake_github, monkeypatch):
    monkeypatch.setenv("PATCHQ_NOW", "2024-01-02T03:04:05Z")
    fake_github.add_pull(REPO, 1, "Fix")
    fake_github.rate_limit(reset=1704168000)  # 2024-01-02 04:00:00 UTC
    with pytest.raises(ForgeError) as err:
        GitHubForge(url=fake_github.url).get_pull(REPO, 1)
    text = one_line(err.value)
    assert "GitHub API rate limit reached (60 requests an hour); it resets at " \
           "2024-01-02 04:00:00 UTC (in 56 min)" in text
    assert "set GITHUB_TOKEN for a higher limit" in text
    with pytest.raises(ForgeError) as err:
        GitHubForge(token=CANARY, url=fake_github.url).get_pull(REPO, 1)
    assert "--no-search" in one_line(err.value)


def test_secondary_rate_limit(fake_github):
    fake_github.fail(403, "You have exceeded a secondary rate limit.",
                     headers={"Retry-After": "60"})
    with pytest.raises(ForgeError) as err:
        GitHubForge(url=fake_github.url).get_issue(REPO, 1)
    assert "secondary rate limit reached; retry after 60 s" in one_line(err.value)


def test_403_forbidden_scrubs_the_token(fake_github):
    fake_github.fail(403, f"Resource not accessible by integration {CANARY}")
    with pytest.raises(ForgeError) as err:
        GitHubForge(token=CANARY, url=fake_github.url).get_issue(REPO, 1)
    assert "GitHub refused access (403 Resource not accessible by integration ***)" \
        in one_line(err.value)


def test_404(fake_github):
    with pytest.raises(ForgeError) as err:
        GitHubForge(url=fake_github.url).get_pull(REPO, 404404)
    assert one_line(err.value) == ("pull request python/cpython#404404: not found on GitHub "
                                   "(404); check the number and the repository (a private "
                                   "repository needs a token)")


@pytest.mark.parametrize("status, reason", [(500, "INTERNAL SERVER ERROR"), (502, "BAD GATEWAY"),
                                            (503, "SERVICE UNAVAILABLE")])
def test_5xx(fake_github, status, reason):
    fake_github.fail(status)
    with pytest.raises(ForgeError) as err:
        GitHubForge(url=fake_github.url).get_issue(REPO, 1)
    text = one_line(err.value)
    assert f"GitHub is failing ({status} " in text and "try again in a few minutes" in text


def test_timeout(fake_github):
    fake_github.add_issue(REPO, 1, "Slow")
    fake_github.slow(1.0)
    with pytest.raises(ForgeError) as err:
        GitHubForge(url=fake_github.url, timeout=0.2).get_issue(REPO, 1)
    assert one_line(err.value) == (f"issue python/cpython#1: GitHub at {fake_github.url} did "
                                   "not answer within 0.2 s; check the network or "
                                   "--github-url, then run again")


def test_connection_refused():
    url = FakeGitHub.refused_url()
    with pytest.raises(ForgeError) as err:
        GitHubForge(token=CANARY, url=url, timeout=2).get_issue(REPO, 1)
    assert one_line(err.value) == (f"issue python/cpython#1: cannot connect to {url} "
                                   "(connection refused); check --github-url and the network, "
                                   "then run again")


def test_answer_missing_fields(fake_github):
    fake_github.add_pull(REPO, 1, "Fix")
    del fake_github.pulls[(REPO, 1)]["head"]
    with pytest.raises(ForgeError) as err:
        GitHubForge(url=fake_github.url).get_pull(REPO, 1)
    assert "GitHub's answer lacks fields patchq needs" in one_line(err.value)


@pytest.mark.parametrize("url, message", [
    ("ftp://example.com", r"is not an http\(s\) address"),
    ("https://user:secret@ghe.example.com/api/v3", "must not hold credentials"),
])
def test_bad_github_url(url, message):
    with pytest.raises(ForgeError, match=message):
        api_root(url)


@pytest.mark.parametrize("text, kind, expected", [
    ("python/cpython#1", "", "python/cpython#1"),
    ("#2", "pr", "python/cpython#2"),
    ("GH-3", "pr", "python/cpython#3"),
    ("gh-4", "issue", "python/cpython#4"),
    ("https://github.com/python/cpython/pull/5", "pr", "python/cpython#5"),
    ("https://ghe.example.com/org/repo/issues/6#issuecomment-1", "issue", "org/repo#6"),
])
def test_parse_ref(text, kind, expected):
    assert str(parse_ref(text, "python/cpython", kind)) == expected


@pytest.mark.parametrize("text, kind, message", [
    ("#2", "pr", "names no repository"),
    ("gh-4", "pr", "is an issue, not a pull request"),
    ("https://github.com/python/cpython/pull/5", "issue", "is a pull request, not an issue"),
    ("cpython 5", "issue", "is not an issue"),
    ("https://github.com/python", "pr", "is not a pull request"),
])
def test_parse_ref_refuses(text, kind, message):
    with pytest.raises(ForgeError, match=message):
        parse_ref(text, "", kind)
