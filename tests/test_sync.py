"""`patchq sync` against the fake GitHub API on 127.0.0.1: what it records, what it proposes,
and for every failure one clear line, the map unchanged, a re-run that completes, and the
token nowhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomlkit
from fake_github import FakeGitHub, fake_github_fixture  # noqa: F401
from helpers import git, patchq
from status_sample import FIX, SLUGS, build, copy

REPO = "python/cpython"
CANARY = "ghp_CANARYtoken0123456789CANARY"
NOW = "2024-05-06T07:08:09Z"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = build(tmp_path_factory.mktemp("sync-sample"))
    repo = root / "patches"
    for args in ([SLUGS[0], "disposition=downstream-only", "reason=start-up is ours"],
                 [SLUGS[1], "issue=gh-9", "pr=#10"],
                 [SLUGS[2], "pr=#8"],
                 [FIX, "pr=#101235", "issue=gh-101234"]):
        res = patchq("-C", str(repo), "record", *args)
        assert res.code == 0, res.text
    return root


@pytest.fixture
def sample(built, tmp_path, monkeypatch, fake_github):
    monkeypatch.setenv("PATCHQ_NOW", NOW)
    repo, upstream = copy(built, tmp_path)
    main_fix = git(upstream, "log", "--format=%H", "--grep", "gh-101234", "-1", "main")
    fake_github.add_pull(REPO, 101235, "gh-101234: Fix platform.system() on Emscripten",
                         merged=True, merge_commit=main_fix, labels=("type-bug",),
                         updated_at="2023-02-01T10:11:12Z")
    fake_github.add_review(REPO, 101235, "tiran", "APPROVED")
    fake_github.add_issue(REPO, 101234, "platform.system() is empty on Emscripten",
                          state="closed", closed_at="2023-02-01T10:11:12Z")
    fake_github.add_issue(REPO, 9, "Let embedders choose the standard streams",
                          labels=("type-feature", "OS-emscripten"))
    fake_github.add_pull(REPO, 10, "gh-9: Make the standard streams configurable", draft=True)
    fake_github.add_pull(REPO, 8, "Skip modules a WebAssembly target cannot build",
                         closed=True, updated_at="2023-03-01T00:00:00Z")
    fake_github.add_pull(REPO, 103001, "gh-103000: Explain the subprocess error in the browser")
    fake_github.add_search_result("Explain the subprocess error in the browser", REPO, 103001)
    return repo, upstream, fake_github


def sync(repo, fake, *extra, token=CANARY):
    env_args = ["--github-url", fake.url] if isinstance(fake, FakeGitHub) else ["--github-url",
                                                                              fake]
    return patchq("-C", str(repo), "sync", *env_args, *extra)


def github_of(repo, slug):
    return tomlkit.parse((repo / "upstream_map.toml").read_text())["patches"][slug]["github"]


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", CANARY)


def test_sync_records_state_and_proposes(sample, token):
    repo, upstream, fake = sample
    res = sync(repo, fake)
    assert res.code == 0, res.text
    assert res.err == ""
    fix = github_of(repo, FIX)
    assert fix["submission"] == "merged-pr" and fix["pr_state"] == "merged"
    assert fix["pr_merge_commit"] == git(upstream, "rev-parse", "main~2")
    assert (fix["pr_base"], fix["review"], fix["labels"]) == ("main", "approved", ["type-bug"])
    assert fix["issue_state"] == "closed" and fix["checked_at"] == NOW
    assert fix["pr_merged_at"] == "2023-02-01T10:11:12Z" and fix["pr_draft"] is False
    streams = github_of(repo, SLUGS[1])
    assert (streams["submission"], streams["pr_state"], streams["pr_draft"]) == \
        ("draft-pr", "open", True)
    assert streams["issue_title"] == "Let embedders choose the standard streams"
    closed = github_of(repo, SLUGS[2])
    assert (closed["submission"], closed["pr_state"]) == ("closed-pr", "closed")
    assert "pr_merge_commit" not in closed
    record = tomlkit.parse((repo / "upstream_map.toml").read_text())["patches"][SLUGS[4]]
    assert "pr" not in record  # proposed, never recorded silently
    assert record["github"]["submission"] == "none"
    assert record["github"]["proposed_prs"] == [{
        "pr": "python/cpython#103001", "state": "open", "matched":
        "Explain the subprocess error in the browser",
        "title": "gh-103000: Explain the subprocess error in the browser"}]
    assert "github" not in tomlkit.parse((repo / "upstream_map.toml").read_text())[
        "patches"][SLUGS[0]]  # downstream-only, nothing recorded: not asked
    assert f"{FIX}: issue python/cpython#101234 closed; PR python/cpython#101235 merged " \
           f"into main ({fix['pr_merge_commit'][:12]}), review approved [type-bug]" in res.out
    assert (f"{SLUGS[4]}: proposed python/cpython#103001 (open) 'gh-103000: Explain the "
            f"subprocess error in the browser', matched 'Explain the subprocess error in the "
            f"browser'; record it with `patchq record {SLUGS[4]} pr=python/cpython#103001`") \
        in res.out
    assert res.out.splitlines()[-1] == ("synced 3 PRs and 2 issues, searched for 1 patches, "
                                        "1 proposals; map updated")
    searches = [r for r in fake.requests if r["path"] == "/search/issues"]
    assert len(searches) == 1 and "repo:python/cpython is:pr" in searches[0]["query"]["q"]
    assert all(r["authorization"] == f"token {CANARY}" for r in fake.requests)


def test_status_shows_what_sync_recorded(sample, token):
    repo, _upstream, fake = sample
    assert sync(repo, fake).code == 0
    data = json.loads(patchq("-C", str(repo), "status", "--json", "--no-write").out)
    fix = next(p for p in data["tracks"][0]["patches"] if p["slug"] == FIX)
    assert fix["submission"] == "merged-pr"
    methods = [e["method"] for e in fix["refs"]["main"]["evidence"]]
    assert methods[0] == "hunks" and {"pr-merge", "github"} <= set(methods)
    plain = patchq("-C", str(repo), "status", "--no-write").out
    assert "merged-pr #101235" in plain and "draft-pr #10" in plain


def test_json(sample, token):
    repo, _, fake = sample
    data = json.loads(sync(repo, fake, "--json").out)
    assert data["written"] is True and data["searched"] == 1
    fix = next(p for p in data["patches"] if p["slug"] == FIX)
    assert fix["pr"] == "python/cpython#101235" and fix["submission"] == "merged-pr"


def test_no_search(sample, token):
    repo, _, fake = sample
    res = sync(repo, fake, "--no-search")
    assert res.code == 0
    assert not [r for r in fake.requests if r["path"] == "/search/issues"]
    assert "proposed_prs" not in tomlkit.parse((repo / "upstream_map.toml").read_text())[
        "patches"][SLUGS[4]].get("github", {})


def test_anonymous(sample):
    repo, _, fake = sample
    res = sync(repo, fake)
    assert res.code == 0
    assert res.err.startswith("no GITHUB_TOKEN or GH_TOKEN: reading public data anonymously")
    assert all(r["authorization"] == "" for r in fake.requests)


def test_gh_token(sample, monkeypatch):
    repo, _, fake = sample
    monkeypatch.setenv("GH_TOKEN", CANARY)
    fake.require_token(CANARY)
    assert sync(repo, fake).code == 0


def _everything(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


FAILURES = {
    "401": (lambda fake: fake.require_token("another-token"),
            "GitHub refused the token (401 Bad credentials); check GITHUB_TOKEN / GH_TOKEN"),
    "403-rate-limit": (lambda fake: fake.rate_limit(reset=1714983600),
                       ("GitHub API rate limit reached (60 requests an hour); it resets at "
                       "2024-05-06 08:20:00 UTC (in 72 min); wait until then")),
    "404": (lambda fake: fake.pulls.pop((REPO, 101235)),
            "pull request python/cpython#101235: not found on GitHub (404)"),
    "500": (lambda fake: fake.fail(500), "GitHub is failing (500 INTERNAL SERVER ERROR)"),
    "502": (lambda fake: fake.fail(502, path="/pulls/"), "GitHub is failing (502 BAD GATEWAY)"),
    "timeout": (lambda fake: fake.slow(1.0), "did not answer within 0.3 s"),
    "search-rate-limit": (lambda fake: fake.rate_limit(reset=1714983600, path="/search/"),
                          "search of python/cpython PRs: GitHub API rate limit reached"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failure_is_one_line_map_unchanged_rerun_completes(sample, token, case, tmp_path):
    repo, _, fake = sample
    setup, message = FAILURES[case]
    setup(fake)
    before = (repo / "upstream_map.toml").read_bytes()
    res = sync(repo, fake, "--timeout", "0.3")
    assert res.code == 1, res.text
    assert res.out == ""
    assert res.err.count("\n") == 1 and res.err.startswith("patchq: error: ")
    assert message in res.err, res.err
    assert (repo / "upstream_map.toml").read_bytes() == before
    assert CANARY.encode() not in _everything(tmp_path)
    fake.heal()
    fake.token = None
    if case == "404":
        fake.add_pull(REPO, 101235, "gh-101234: Fix", merged=True)
    again = sync(repo, fake)
    assert again.code == 0, again.text
    assert github_of(repo, FIX)["checked_at"] == NOW


def test_connection_refused(sample, token, tmp_path):
    repo, _, _ = sample
    url = FakeGitHub.refused_url()
    before = (repo / "upstream_map.toml").read_bytes()
    res = sync(repo, url)
    assert res.code == 1
    assert res.err.startswith("patchq: error: issue python/cpython#9: cannot connect to "
                              f"{url} (connection refused)") and res.err.count("\n") == 1
    assert (repo / "upstream_map.toml").read_bytes() == before


def test_unusable_record_fails_before_asking(sample, token):
    repo, _, fake = sample
    path = repo / "upstream_map.toml"
    path.write_text(path.read_text().replace('pr = "python/cpython#8"', 'pr = "garbage"'))
    before = path.read_bytes()
    res = sync(repo, fake)
    assert res.code == 1
    assert res.err == (f"patchq: error: patch {SLUGS[2]}: pr = 'garbage' is unusable ('garbage' "
                       f"is not a pull request); fix it with `patchq record {SLUGS[2]} "
                       "pr=OWNER/REPO#N`\n")
    assert fake.requests == [] and path.read_bytes() == before


def test_token_never_written_even_in_a_crash(sample, token, tmp_path, monkeypatch):
    """The canary token is in the environment of every run; after a success, failures and an
    unexpected crash it is in no output and no file (map, crash log, anything under HOME)."""
    import os

    import patchq.commands.sync as sync_module

    repo, _, fake = sample
    outputs = [sync(repo, fake)]
    fake.fail(403, f"token {CANARY} is not allowed here")
    outputs.append(sync(repo, fake))
    fake.heal()

    def broken(*args, **kwargs):
        raise RuntimeError("boom while writing")

    monkeypatch.setattr(sync_module, "_write", broken)
    crash = sync(repo, fake)
    outputs.append(crash)
    assert crash.code == 70 and "details saved to" in crash.err
    crash_file = Path(crash.err.rsplit("details saved to ", 1)[1].strip())
    assert crash_file.is_file() and "boom while writing" in crash_file.read_text()
    for res in outputs:
        assert CANARY not in res.out + res.err
    assert "token *** is not allowed here" in outputs[1].err
    assert CANARY.encode() not in _everything(tmp_path)
    assert CANARY.encode() not in _everything(Path(os.environ["HOME"]))


class MemoryForge:
    """The Forge protocol in memory: commands take any forge, not only GitHub."""

    def __init__(self, pulls, issues):
        self.pulls, self.issues, self.asked = pulls, issues, []

    def get_issue(self, repo, number):
        self.asked.append(("issue", number))
        return self.issues[number]

    def get_pull(self, repo, number):
        self.asked.append(("pull", number))
        return self.pulls[number]

    def review_state(self, repo, number):
        return "changes_requested"

    def search_pulls(self, repo, terms, limit=5):
        self.asked.append(("search", tuple(terms)))
        return []

    def get_repo(self, full_name):
        raise AssertionError("not needed")


def test_any_forge(built, tmp_path, monkeypatch):
    from patchq.commands.sync import sync as run
    from patchq.forge import IssueInfo, PullInfo, Ref
    from patchq.workspace import Workspace

    monkeypatch.setenv("PATCHQ_NOW", NOW)
    repo, _ = copy(built, tmp_path)
    pulls = {n: PullInfo(Ref(REPO, n), f"PR {n}", "open", base="main") for n in (8, 10, 101235)}
    issues = {n: IssueInfo(Ref(REPO, n), f"issue {n}", "open") for n in (9, 101234)}
    forge = MemoryForge(pulls, issues)
    result = run(Workspace.locate(repo), forge)
    assert result.written and result.searched == 1
    assert ("search", ("Explain the subprocess error in the browser",)) in forge.asked
    assert github_of(repo, FIX)["review"] == "changes_requested"
    assert github_of(repo, FIX)["submission"] == "open-pr"
