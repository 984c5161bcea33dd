"""`patchq draft --open` / `--push` against the fake GitHub API and a bare repository as the
fork: first run, second run, lost records, every failure, and the token never showing."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import draft_data
import pytest
import tomlkit
from draft_data import FORK, UPSTREAM, draft_template_fixture  # noqa: F401
from fake_github import FakeGitHub, fake_github_fixture  # noqa: F401
from helpers import git as run_git
from helpers import patchq
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from patchq.commands import draft as drafting
from patchq.commands.draft_online import Online
from patchq.forge import GitHubForge
from patchq.workspace import Workspace

STREAMS = "Make-the-standard-streams-configurable-for-an-embedd"
SKIP = "Skip-modules-a-WebAssembly-target-cannot-build"
BRANCH = f"patchq/draft/{STREAMS}"
CANARY = "ghp_CANARYtoken0123456789abcdefXYZ"


class Setup:
    """A patch repo, its upstream clone, a bare fork on disk and the fake GitHub."""

    def __init__(self, root: Path, fake: FakeGitHub, monkeypatch) -> None:
        self.env = monkeypatch
        self.repo, self.up, self.fork = root / "patches", root / "cpython", root / "fork.git"
        self.fake = fake
        subprocess.run(["git", "init", "-q", "--bare", str(self.fork)], check=True)
        fake.add_repo(UPSTREAM)
        fake.add_repo(FORK)
        fake.require_token(CANARY)
        fake.branch_exists = lambda owner, branch: owner == "pyodide-bot" and \
            self.fork_tip(branch) is not None
        self.set_upstream(fork_url=str(self.fork))

    def set_upstream(self, **fields) -> None:
        path = self.repo / "upstream_map.toml"
        doc = tomlkit.parse(path.read_text())
        for key, value in fields.items():
            doc["upstream"][key] = value
        path.write_text(tomlkit.dumps(doc))

    def record(self, slug: str = STREAMS) -> dict:
        doc = tomlkit.parse((self.repo / "upstream_map.toml").read_text())
        return dict(doc["patches"][slug])

    def forget(self, slug: str, *keys: str) -> None:
        path = self.repo / "upstream_map.toml"
        doc = tomlkit.parse(path.read_text())
        for key in keys:
            doc["patches"][slug].pop(key, None)
        path.write_text(tomlkit.dumps(doc))

    def fork_tip(self, branch: str = BRANCH) -> str | None:
        res = subprocess.run(["git", "rev-parse", "-q", "--verify", f"refs/heads/{branch}"],
                             cwd=self.fork, capture_output=True, text=True, check=False)
        return res.stdout.strip() or None

    def draft(self, *args: str, token: str | None = CANARY):
        if token is None:
            self.env.delenv("GITHUB_TOKEN", raising=False)
        else:
            self.env.setenv("GITHUB_TOKEN", token)
        return patchq("-C", str(self.repo), "draft", *args, "--github-url", self.fake.url)

    def made(self, kind: str) -> list:
        return [c for c in getattr(self.fake, "created", []) if c[0] == kind]

    def writes(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.fake.requests
                if r["method"] != "GET"]


@pytest.fixture
def spawned(monkeypatch):
    """Every process patchq starts: its arguments (the token must never be one)."""
    seen: list[list[str]] = []
    real = subprocess.Popen

    def recording(args, *a, **kw):
        seen.append([str(x) for x in (args if isinstance(args, (list, tuple)) else [args])])
        return real(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", recording)
    return seen


@pytest.fixture
def s(draft_template, tmp_path, fake_github, monkeypatch, spawned):
    repo, _ = draft_data.fresh(draft_template, tmp_path, monkeypatch)
    root = repo.parent
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    setup = Setup(root, fake_github, monkeypatch)
    yield setup
    # the token is nowhere: not in files, configs, refs or process arguments
    for path in [*root.rglob("*")]:
        if path.is_file() and "objects" not in path.parts:
            assert CANARY.encode() not in path.read_bytes(), path
    assert spawned  # git really ran through the recorder
    for args in spawned:
        assert not any(CANARY in a for a in args), args


def one_line(res) -> str:
    assert res.code == 1, res.text
    text = res.err.strip()
    assert len(text.splitlines()) == 1, text
    assert CANARY not in res.text
    return text


def test_first_run_opens_issue_pushes_and_opens_a_draft_pr(s):
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    assert CANARY not in res.text
    assert s.made("issue") == [("issue", UPSTREAM, 1)]
    assert s.made("pull") == [("pull", UPSTREAM, 2)]
    issue = s.fake.issues[(UPSTREAM, 1)]
    assert issue["title"] == "Make the standard streams configurable for an embedder"
    assert "A browser has no file descriptors" in issue["body"]
    pull = s.fake.pulls[(UPSTREAM, 2)]
    assert pull["draft"] is True and pull["base"]["ref"] == "main"
    assert pull["head"]["label"] == f"pyodide-bot:{BRANCH}"
    assert pull["title"] == "gh-1: Make the standard streams configurable for an embedder"
    assert "* Issue: gh-1" in pull["body"] and "gh-NNNNN" not in pull["body"]
    # the fork has the branch, with the gh-1 commit and its NEWS entry
    tip = s.fork_tip()
    assert tip == run_git(s.up, "rev-parse", BRANCH)
    assert run_git(s.up, "log", "-1", "--format=%s", tip) == \
        "gh-1: Make the standard streams configurable for an embedder"
    names = run_git(s.up, "diff", "--name-only", f"{tip}^", tip)
    assert re.search(r"Misc/NEWS\.d/next/C_API/2026-03-04-05-06-07\.gh-issue-1\."
                     r"[A-Za-z0-9_-]{6}\.rst", names)
    record = s.record()
    assert (record["issue"], record["pr"], record["branch"]) == \
        ("python/cpython#1", "python/cpython#2", BRANCH)
    assert "issue gh-1 created" in res.out and "draft PR #2 created" in res.out
    assert "pushed on fork" in res.out
    drafts = s.repo / "drafts" / STREAMS
    assert (drafts / "pr.md").read_text().startswith("# gh-1: Make the standard streams")
    # every request carried the token, in the header only
    assert all(r["authorization"] == f"token {CANARY}" for r in s.fake.requests)


def test_second_run_creates_nothing_and_updates_the_pr_text(s):
    assert s.draft(STREAMS, "--open").code == 0
    tip = s.fork_tip()
    before = len(s.fake.requests)
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    assert len(s.made("issue")) == 1 and len(s.made("pull")) == 1
    assert s.fork_tip() == tip
    assert "up to date on fork" in res.out and "draft PR #2 unchanged" in res.out
    assert not [r for r in s.fake.requests[before:] if r["method"] != "GET"]
    # an edited PR text is sent; the branch follows the new title
    pr = s.repo / "drafts" / STREAMS / "pr.md"
    pr.write_text(pr.read_text().replace("# gh-1: Make the standard streams configurable",
                                         "# gh-1: Let embedders choose the standard streams"))
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    assert "draft PR #2 updated" in res.out
    assert s.fake.pulls[(UPSTREAM, 2)]["title"] == \
        "gh-1: Let embedders choose the standard streams for an embedder"
    assert s.fork_tip() != tip
    assert run_git(s.up, "log", "-1", "--format=%s", s.fork_tip()).startswith(
        "gh-1: Let embedders choose")
    assert len(s.made("issue")) == 1 and len(s.made("pull")) == 1


def test_lost_record_finds_the_pr_by_its_branch(s):
    assert s.draft(STREAMS, "--open").code == 0
    s.forget(STREAMS, "issue", "pr", "branch")
    shutil.rmtree(s.repo / "drafts")
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    assert "found PR #2 by its branch" in res.out
    assert len(s.made("issue")) == 1 and len(s.made("pull")) == 1
    record = s.record()
    assert (record["issue"], record["pr"], record["branch"]) == \
        ("python/cpython#1", "python/cpython#2", BRANCH)


def test_push_only(s):
    res = s.draft(STREAMS, "--push", token=None)
    assert res.code == 0, res.text
    assert s.fork_tip() == run_git(s.up, "rev-parse", BRANCH)
    assert s.fake.requests == []
    record = s.record()
    assert record["branch"] == BRANCH and "issue" not in record and "pr" not in record


def test_no_token(s):
    res = s.draft(STREAMS, "--open", token=None)
    assert "no GitHub token" in one_line(res) and "GITHUB_TOKEN" in res.err
    assert (s.repo / "drafts" / STREAMS / "issue.md").is_file()
    assert s.fake.requests == [] and s.fork_tip() is None


def _finishes(s):
    """After a failure: drafts kept; the next run finishes with one issue and one PR."""
    assert (s.repo / "drafts" / STREAMS / "issue.md").is_file()
    s.fake.heal()
    s.fake.require_token(CANARY)
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    assert len(s.made("issue")) == 1 and len(s.made("pull")) == 1
    record = s.record()
    assert set(record) >= {"issue", "pr", "branch"}
    assert s.fork_tip() == run_git(s.up, "rev-parse", BRANCH)


def test_bad_token_401(s):
    res = s.draft(STREAMS, "--open", token="ghp_wrong")
    assert "GitHub refused the token (401" in one_line(res)
    assert "issue" not in s.record() and s.fork_tip() is None
    _finishes(s)


def test_rate_limit_403_when_creating_the_issue(s):
    s.fake.rate_limit(reset=1772600767 + 600, limit=5000, path=r"/issues$")
    res = s.draft(STREAMS, "--open")
    line = one_line(res)
    assert "rate limit reached" in line and "resets at" in line
    assert "issue" not in s.record() and s.fork_tip() is None
    _finishes(s)


def test_fork_not_found_404(s):
    del s.fake.repos[FORK]
    res = s.draft(STREAMS, "--open")
    line = one_line(res)
    assert "repository pyodide-bot/cpython" in line and "404" in line
    assert s.made("issue") == [] and s.fork_tip() is None
    assert "issue" not in s.record()
    s.fake.add_repo(FORK)
    _finishes(s)


def test_validation_error_422_shows_githubs_message(s):
    s.fake.branch_exists = lambda owner, branch: False
    res = s.draft(STREAMS, "--open")
    line = one_line(res)
    assert "422 Validation Failed: PullRequest head invalid" in line
    record = s.record()
    assert record["issue"] == "python/cpython#1" and record["branch"] == BRANCH
    assert "pr" not in record
    s.fake.branch_exists = lambda owner, branch: s.fork_tip(branch) is not None
    _finishes(s)


def test_validation_message_of_github_is_shown(s):
    from fake_github import Failure

    s.fake.failures.append(Failure(422, {"message": "Validation Failed", "errors": [
        {"resource": "PullRequest", "code": "custom",
         "message": "A pull request already exists for pyodide-bot:x."}]},
        path=r"/pulls$", times=1))
    res = s.draft(STREAMS, "--open")
    assert "A pull request already exists for pyodide-bot:x." in one_line(res)
    _finishes(s)


def test_server_error_5xx_when_creating_the_issue(s):
    s.fake.fail(502, path=r"/repos/python/cpython/issues$")
    res = s.draft(STREAMS, "--open")
    assert "GitHub is failing (502" in one_line(res)
    assert "issue" not in s.record() and s.fork_tip() is None
    _finishes(s)


def test_timeout(s):
    s.fake.slow(1.5)
    ws = Workspace.locate(s.repo)
    online = Online(forge=GitHubForge(token=CANARY, url=s.fake.url, timeout=0.3),
                    github_url=s.fake.url)
    with pytest.raises(drafting.PatchqError) as info:
        drafting.draft(ws, STREAMS, drafting.Options(), online)
    text = str(info.value)
    assert "did not answer within 0.3 s" in text and CANARY not in text
    assert "issue" not in s.record()
    _finishes(s)


def test_push_rejected(s):
    hook = s.fork / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'branch is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    res = s.draft(STREAMS, "--open")
    line = one_line(res)
    assert "the fork refused the push" in line
    record = s.record()
    assert record["issue"] == "python/cpython#1"
    assert "branch" not in record and "pr" not in record and s.fork_tip() is None
    hook.unlink()
    _finishes(s)


def test_commits_pushed_by_someone_else_are_not_overwritten(s):
    assert s.draft(STREAMS, "--open").code == 0
    # a maintainer pushes a fix-up to the PR branch
    work = s.repo.parent / "other"
    subprocess.run(["git", "clone", "-q", "-b", BRANCH, str(s.fork), str(work)], check=True)
    (work / "Lib" / "fixup.py").write_text("x = 1\n")
    run_git(work, "add", "-A")
    run_git(work, "commit", "-q", "-m", "Fix-up")
    run_git(work, "push", "-q", "origin", BRANCH)
    theirs = s.fork_tip()
    pr = s.repo / "drafts" / STREAMS / "pr.md"
    pr.write_text(pr.read_text().replace("Make the standard", "Make the embedded"))
    res = s.draft(STREAMS, "--open")
    assert "has commits patchq did not push" in one_line(res)
    assert s.fork_tip() == theirs
    res = s.draft(STREAMS, "--open", "--force")
    assert res.code == 0, res.text
    assert s.fork_tip() == run_git(s.up, "rev-parse", BRANCH) != theirs


def test_closed_pr_is_left_alone(s):
    assert s.draft(STREAMS, "--open").code == 0
    s.fake.pulls[(UPSTREAM, 2)]["state"] = "closed"
    tip = s.fork_tip()
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    assert "PR #2 is closed" in res.out
    assert s.fork_tip() == tip and len(s.made("pull")) == 1


def test_all_open_then_again(s):
    for slug in (STREAMS, SKIP):
        path = s.repo / "upstream_map.toml"
        doc = tomlkit.parse(path.read_text())
        doc["patches"][slug]["disposition"] = "upstreamable"
        path.write_text(tomlkit.dumps(doc))
    res = s.draft("--all", "--open")
    assert res.code == 0, res.text
    assert "2 drafted, 3 skipped, 0 refused, 0 failed" in res.out
    assert len(s.made("issue")) == 2 and len(s.made("pull")) == 2
    res = s.draft("--all", "--open")
    assert res.code == 0, res.text
    assert "0 drafted, 5 skipped" in res.out and "(opened by patchq;" in res.out
    assert len(s.made("issue")) == 2 and len(s.made("pull")) == 2


def test_all_goes_on_after_a_github_failure_and_a_rerun_finishes(s):
    for slug in (STREAMS, SKIP):
        path = s.repo / "upstream_map.toml"
        doc = tomlkit.parse(path.read_text())
        doc["patches"][slug]["disposition"] = "upstreamable"
        path.write_text(tomlkit.dumps(doc))
    s.fake.fail(500, path=r"/pulls$", times=1)
    res = s.draft("--all", "--open")
    assert res.code == 1
    assert "1 drafted, 3 skipped, 0 refused, 1 failed" in res.out
    assert CANARY not in res.text
    res = s.draft("--all", "--open")
    assert res.code == 0, res.text
    assert "1 drafted" in res.out  # the one whose PR failed; its issue is reused
    assert len(s.made("issue")) == 2 and len(s.made("pull")) == 2


# -- pushing over HTTPS with the token ----------------------------------------------------------


def _serve_git(root: Path, anonymous_reads: bool):
    """A smart-HTTP git server on 127.0.0.1 (git http-backend) that wants the token as the
    password of HTTP basic authentication (for pushes only, with ``anonymous_reads``)."""
    subprocess.run(["git", "init", "-q", "--bare", str(root / "fork.git")], check=True)
    seen_auth: list[str] = []

    def handler(request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        seen_auth.append(auth)
        expected = "Basic " + base64.b64encode(f"x-access-token:{CANARY}".encode()).decode()
        pushing = "receive-pack" in request.path or \
            request.args.get("service") == "git-receive-pack"
        if auth != expected and (pushing or not anonymous_reads):
            return Response("auth", status=401, headers={"WWW-Authenticate": 'Basic realm="g"'})
        env = {"PATH": os.environ["PATH"], "HOME": os.environ["HOME"],
               "GIT_CONFIG_NOSYSTEM": "1", "GIT_PROJECT_ROOT": str(root),
               "GIT_HTTP_EXPORT_ALL": "1", "REMOTE_USER": "x-access-token",
               "REMOTE_ADDR": "127.0.0.1", "PATH_INFO": request.path,
               "REQUEST_METHOD": request.method,
               "QUERY_STRING": request.query_string.decode(),
               "CONTENT_TYPE": request.headers.get("Content-Type", ""),
               "HTTP_CONTENT_ENCODING": request.headers.get("Content-Encoding", ""),
               "GIT_PROTOCOL": request.headers.get("Git-Protocol", "")}
        body = request.get_data()
        env["CONTENT_LENGTH"] = str(len(body))
        out = subprocess.run(["git", "http-backend"], input=body, env=env, check=True,
                             capture_output=True, timeout=30).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        headers, status = {}, 200
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(": ")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers[key] = value
        return Response(payload, status=status, headers=headers)

    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(re.compile(".*")).respond_with_handler(handler)
    server.start()
    return server, seen_auth


@pytest.fixture
def git_http(tmp_path):
    yield from _git_server(tmp_path / "served", anonymous_reads=False)


@pytest.fixture
def git_http_public(tmp_path):
    """The same server, readable by anyone (a public fork): only pushes need the token."""
    yield from _git_server(tmp_path / "served-public", anonymous_reads=True)


def _git_server(root: Path, anonymous_reads: bool):
    root.mkdir()
    server, seen_auth = _serve_git(root, anonymous_reads)
    yield server.url_for("/fork.git"), root / "fork.git", seen_auth
    server.clear()
    server.stop()


def test_https_push_uses_the_token_through_the_environment_only(s, git_http, spawned):
    url, bare, seen_auth = git_http
    s.set_upstream(fork_url=url)
    res = s.draft(STREAMS, "--push")
    assert res.code == 0, res.text
    assert CANARY not in res.text
    tip = subprocess.run(["git", "rev-parse", f"refs/heads/{BRANCH}"], cwd=bare, check=True,
                         capture_output=True, text=True).stdout.strip()
    assert tip == run_git(s.up, "rev-parse", BRANCH)
    assert any(a.startswith("Basic ") for a in seen_auth)
    pushes = [a for a in spawned if "push" in a]
    assert pushes and all(CANARY not in " ".join(a) for a in pushes)
    assert url in pushes[0] and "@" not in url
    config = (s.up / ".git" / "config").read_text()
    assert CANARY not in config and "credential" not in config
    # a wrong token: one line, nothing pushed again
    res = s.draft(STREAMS, "--push", token="ghp_wrong_token_value")
    assert "cannot reach the fork" in one_line(res)
    assert "ghp_wrong_token_value" not in res.text


# -- checked before anything public is written; never a needless push ---------------------------


def test_a_fork_that_cannot_be_reached_is_found_before_any_issue(s):
    s.set_upstream(fork_url=str(s.repo.parent / "no-such-fork.git"))
    res = s.draft(STREAMS, "--open")
    assert "cannot reach the fork" in one_line(res)
    assert s.made("issue") == [] and s.writes() == []
    assert "issue" not in s.record()
    assert (s.repo / "drafts" / STREAMS / "issue.md").is_file()  # the drafts are there


def test_a_push_the_fork_refuses_is_found_before_any_issue(s, git_http_public):
    url, bare, _ = git_http_public
    s.set_upstream(fork_url=url)
    s.fake.branch_exists = None
    s.fake.token = None  # GitHub takes the token; the fork reads anonymously, refuses its push
    res = s.draft(STREAMS, "--open", token="ghp_wrong_token_value")
    assert "push to" in res.err and "failed" in res.err, res.text
    assert s.fork_tip() is None and subprocess.run(
        ["git", "rev-parse", "-q", "--verify", f"refs/heads/{BRANCH}"], cwd=bare,
        capture_output=True, check=False).returncode != 0
    assert s.made("issue") == [] and s.writes() == []
    assert "ghp_wrong_token_value" not in res.text
    assert res.code == 1 and len(res.err.strip().splitlines()) == 1
    assert "issue" not in s.record()
    res = s.draft(STREAMS, "--open")  # the right token: everything happens once
    assert res.code == 0, res.text
    assert len(s.made("issue")) == 1 and len(s.made("pull")) == 1


def test_a_lost_issue_record_pushes_nothing_and_changes_nothing(s):
    assert s.draft(STREAMS, "--open").code == 0
    tip = s.fork_tip()
    pr_before = (s.repo / "drafts" / STREAMS / "pr.md").read_text()
    s.forget(STREAMS, "issue")
    before = len(s.fake.requests)
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    assert s.fork_tip() == tip  # no new commit, no force-push
    assert "up to date on fork" in res.out and "draft PR #2 unchanged" in res.out
    assert not [r for r in s.fake.requests[before:] if r["method"] != "GET"]
    assert (s.repo / "drafts" / STREAMS / "pr.md").read_text() == pr_before
    assert s.record()["issue"] == "python/cpython#1"


def test_after_a_failure_mid_way_pr_md_keeps_its_number(s):
    assert s.draft(STREAMS, "--open").code == 0
    s.forget(STREAMS, "issue")
    s.fake.fail(500, path=r"/pulls/2$")
    res = s.draft(STREAMS, "--open")
    assert "GitHub is failing (500" in one_line(res)
    assert (s.repo / "drafts" / STREAMS / "pr.md").read_text().startswith("# gh-1: ")


def test_a_closed_pr_is_reopened_with_reopen(s):
    assert s.draft(STREAMS, "--open").code == 0
    s.fake.pulls[(UPSTREAM, 2)]["state"] = "closed"
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    assert "PR #2 is closed: nothing pushed or updated" in res.out
    assert f"`patchq draft {STREAMS} --open --reopen` reopens it" in res.out
    pr = s.repo / "drafts" / STREAMS / "pr.md"
    pr.write_text(pr.read_text().replace("Make the standard", "Make the embedded"))
    res = s.draft(STREAMS, "--open", "--reopen")
    assert res.code == 0, res.text
    assert "reopened PR #2" in res.out and "draft PR #2 updated" in res.out
    assert s.fake.pulls[(UPSTREAM, 2)]["state"] == "open"
    assert len(s.made("pull")) == 1


def test_a_merged_pr_is_left_alone(s):
    assert s.draft(STREAMS, "--open").code == 0
    s.fake.pulls[(UPSTREAM, 2)].update(state="closed", merged=True)
    tip = s.fork_tip()
    res = s.draft(STREAMS, "--open", "--reopen")
    assert res.code == 0, res.text
    assert "PR #2 is merged: nothing pushed or updated (nothing to do)" in res.out
    assert s.fork_tip() == tip and s.fake.pulls[(UPSTREAM, 2)]["state"] == "closed"


def test_timeout_option(s):
    s.fake.slow(1.5)
    res = s.draft(STREAMS, "--open", "--timeout", "0.3")
    assert "did not answer within 0.3 s" in one_line(res)
    assert "issue" not in s.record()


def test_hints_fit_draft(s):
    res = s.draft(STREAMS, "--open", token="ghp_wrong")
    line = one_line(res)
    assert "draft --open needs a valid token" in line and "unset" not in line
    s.fake.heal()
    s.fake.rate_limit(reset=1772600767 + 600, limit=5000, path=r"/repos/pyodide-bot/cpython$")
    line = one_line(s.draft(STREAMS, "--open"))
    assert "rate limit reached" in line and "--no-search" not in line
    s.fake.heal()
    del s.fake.repos[FORK]
    line = one_line(s.draft(STREAMS, "--open"))
    assert "404" in line and "[upstream] github and fork" in line


def test_githubs_message_on_a_422_to_a_read(s):
    from fake_github import Failure

    assert s.draft(STREAMS, "--open").code == 0
    s.fake.failures.append(Failure(422, {"message": "Validation Failed", "errors": [
        {"resource": "PullRequest", "code": "custom", "message": "head ref is gone"}]},
        path=r"/pulls/2$", times=1))
    line = one_line(s.draft(STREAMS, "--open"))
    assert "422 Validation Failed: head ref is gone" in line


def test_what_is_sent_has_no_checklist_and_credits_the_co_author(s):
    path = s.repo / "upstream_map.toml"
    doc = tomlkit.parse(path.read_text())
    doc["patches"][STREAMS]["author"] = "Stefano Example <stefano@example.org>"
    path.write_text(tomlkit.dumps(doc))
    res = s.draft(STREAMS, "--open")
    assert res.code == 0, res.text
    body = s.fake.pulls[(UPSTREAM, 2)]["body"]
    assert "before you submit" not in body and "Contributor License Agreement" not in body
    assert "Co-authored-by: Ben Wasmer <ben@pyodide.invalid>" in body
    assert "before you submit" in (s.repo / "drafts" / STREAMS / "pr.md").read_text()
    assert "before you submit" not in s.fake.issues[(UPSTREAM, 1)]["body"]
    message = run_git(s.up, "log", "-1", "--format=%an|%B", s.fork_tip())
    assert message.startswith("Stefano Example|gh-1: ")
    assert "Co-authored-by: Ben Wasmer <ben@pyodide.invalid>" in message
