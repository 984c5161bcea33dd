"""A fake GitHub REST API on 127.0.0.1 (pytest-httpserver), for hermetic forge tests.

It answers with the fields the real API returns (users, labels, repositories, issues, pull
requests, reviews, issue search), so github3.py parses its answers as it parses GitHub's.
Tests use the ``fake_github`` fixture (import ``fake_github_fixture`` into the module)::

    def test_x(fake_github):
        fake_github.add_pull("python/cpython", 101235, title="gh-1: Fix", merged=True)
        forge = GitHubForge(url=fake_github.url)

Layout, to extend: payload builders (``user``, ``label``, ``repository``, ``issue_payload``,
``pull_payload``, ``review_payload``); state set up by tests (``add_issue``, ``add_pull``,
``add_review``, ``add_search_result``); failures (``fail``, ``rate_limit``, ``slow``,
``require_token``, ``refused_url``); then the routes, one method per endpoint, listed in
``ROUTES``. Write endpoints (create an issue, create or update a PR, list PRs by head) go in
the "writing" section and in ``ROUTES``.
"""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

NOW = "2024-01-02T03:04:05Z"


# -- payload builders ---------------------------------------------------------------------------


def _id(text: str) -> int:
    return abs(hash(text)) % 10**9 + 1


def user(base: str, login: str) -> dict:
    api = f"{base}/users/{login}"
    return {
        "login": login, "id": _id(login), "node_id": f"U_{login}",
        "avatar_url": f"https://avatars.example.invalid/u/{_id(login)}?v=4", "gravatar_id": "",
        "url": api, "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}", "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions", "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events", "type": "User", "site_admin": False,
    }


def label(base: str, repo: str, name: str) -> dict:
    return {"id": _id(repo + name), "node_id": f"LA_{_id(name)}",
            "url": f"{base}/repos/{repo}/labels/{name}", "name": name, "color": "ededed",
            "default": False, "description": ""}


def repository(base: str, full_name: str) -> dict:
    owner, name = full_name.split("/", 1)
    api = f"{base}/repos/{full_name}"
    data = {
        "id": _id(full_name), "node_id": f"R_{_id(full_name)}", "name": name,
        "full_name": full_name, "private": False, "owner": user(base, owner),
        "html_url": f"https://github.com/{full_name}", "description": f"The {name} repository",
        "fork": False, "url": api, "homepage": "", "language": "Python", "size": 1000,
        "stargazers_count": 1, "watchers_count": 1, "forks_count": 1, "open_issues_count": 1,
        "network_count": 1, "subscribers_count": 1, "default_branch": "main",
        "created_at": "2017-02-10T19:23:51Z", "updated_at": NOW, "pushed_at": NOW,
        "git_url": f"git://github.com/{full_name}.git",
        "ssh_url": f"git@github.com:{full_name}.git",
        "clone_url": f"https://github.com/{full_name}.git",
        "svn_url": f"https://github.com/{full_name}", "mirror_url": None, "archived": False,
        "disabled": False, "has_issues": True, "has_projects": True, "has_downloads": True,
        "has_wiki": True, "has_pages": False, "visibility": "public", "topics": [],
        "permissions": {"admin": False, "maintain": False, "push": False, "triage": False,
                        "pull": True},
    }
    for key, suffix in (
            ("archive_url", "/{archive_format}{/ref}"), ("assignees_url", "/assignees{/user}"),
            ("blobs_url", "/git/blobs{/sha}"), ("branches_url", "/branches{/branch}"),
            ("collaborators_url", "/collaborators{/collaborator}"),
            ("comments_url", "/comments{/number}"), ("commits_url", "/commits{/sha}"),
            ("compare_url", "/compare/{base}...{head}"), ("contents_url", "/contents/{+path}"),
            ("contributors_url", "/contributors"), ("deployments_url", "/deployments"),
            ("downloads_url", "/downloads"), ("events_url", "/events"), ("forks_url", "/forks"),
            ("git_commits_url", "/git/commits{/sha}"), ("git_refs_url", "/git/refs{/sha}"),
            ("git_tags_url", "/git/tags{/sha}"), ("hooks_url", "/hooks"),
            ("issue_comment_url", "/issues/comments{/number}"),
            ("issue_events_url", "/issues/events{/number}"), ("issues_url", "/issues{/number}"),
            ("keys_url", "/keys{/key_id}"), ("labels_url", "/labels{/name}"),
            ("languages_url", "/languages"), ("merges_url", "/merges"),
            ("milestones_url", "/milestones{/number}"),
            ("notifications_url", "/notifications{?since,all,participating}"),
            ("pulls_url", "/pulls{/number}"), ("releases_url", "/releases{/id}"),
            ("stargazers_url", "/stargazers"), ("statuses_url", "/statuses/{sha}"),
            ("subscribers_url", "/subscribers"), ("subscription_url", "/subscription"),
            ("tags_url", "/tags"), ("teams_url", "/teams"), ("trees_url", "/git/trees{/sha}")):
        data[key] = api + suffix
    return data


def issue_payload(base: str, repo: str, number: int, *, title: str, state: str = "open",
                  labels: tuple[str, ...] = (), body: str = "", author: str = "someone",
                  updated_at: str = NOW, closed_at: str | None = None,
                  pull: dict | None = None) -> dict:
    api = f"{base}/repos/{repo}/issues/{number}"
    data = {
        "id": _id(f"{repo}#{number}"), "node_id": f"I_{number}", "url": api,
        "repository_url": f"{base}/repos/{repo}", "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments", "events_url": f"{api}/events",
        "html_url": f"https://github.com/{repo}/{'pull' if pull else 'issues'}/{number}",
        "number": number, "state": state,
        "state_reason": None if state == "open" else "completed", "title": title,
        "body": body, "body_html": f"<p>{body}</p>", "body_text": body,
        "user": user(base, author), "labels": [label(base, repo, n) for n in labels],
        "assignee": None, "assignees": [], "milestone": None, "locked": False,
        "active_lock_reason": None, "comments": 0, "created_at": "2023-02-01T10:11:12Z",
        "updated_at": updated_at, "closed_at": closed_at, "closed_by": None,
        "author_association": "CONTRIBUTOR", "timeline_url": f"{api}/timeline",
        "performed_via_github_app": None,
        "reactions": {"url": f"{api}/reactions", "total_count": 0, "+1": 0, "-1": 0,
                      "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0,
                      "eyes": 0},
    }
    if pull is not None:
        data["pull_request"] = pull
    return data


def pull_payload(base: str, repo: str, number: int, *, title: str, state: str = "open",
                 merged: bool = False, draft: bool = False, base_ref: str = "main",
                 head: str = "someone:fix", merge_commit: str | None = None,
                 labels: tuple[str, ...] = (), body: str = "", author: str = "someone",
                 updated_at: str = NOW, merged_at: str | None = None) -> dict:
    api = f"{base}/repos/{repo}/pulls/{number}"
    issue_api = f"{base}/repos/{repo}/issues/{number}"
    html = f"https://github.com/{repo}/pull/{number}"
    head_owner, _, head_ref = head.partition(":")
    closed = state == "closed"
    sha = (merge_commit or f"{number:040x}")[:40]

    def side(owner: str, ref: str, full: str) -> dict:
        return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha,
                "user": user(base, owner), "repo": repository(base, full)}

    return {
        "url": api, "id": _id(f"pr{repo}{number}"), "node_id": f"PR_{number}",
        "html_url": html, "diff_url": f"{html}.diff", "patch_url": f"{html}.patch",
        "issue_url": issue_api, "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": f"{base}/repos/{repo}/pulls/comments{{/number}}",
        "comments_url": f"{issue_api}/comments",
        "statuses_url": f"{base}/repos/{repo}/statuses/{sha}", "number": number,
        "state": state, "locked": False, "title": title, "user": user(base, author),
        "body": body, "body_html": f"<p>{body}</p>", "body_text": body,
        "labels": [label(base, repo, n) for n in labels], "milestone": None,
        "active_lock_reason": None, "created_at": "2023-02-01T10:11:12Z",
        "updated_at": updated_at, "closed_at": (merged_at or updated_at) if closed else None,
        "merged_at": merged_at if merged else None,
        "merge_commit_sha": merge_commit, "assignee": None, "assignees": [],
        "requested_reviewers": [], "requested_teams": [],
        "head": side(head_owner, head_ref, f"{head_owner}/{repo.split('/')[1]}"),
        "base": side(repo.split("/")[0], base_ref, repo),
        "_links": {k: {"href": v} for k, v in (
            ("self", api), ("html", html), ("issue", issue_api),
            ("comments", f"{issue_api}/comments"), ("review_comments", f"{api}/comments"),
            ("review_comment", f"{base}/repos/{repo}/pulls/comments{{/number}}"),
            ("commits", f"{api}/commits"), ("statuses", f"{base}/repos/{repo}/statuses/{sha}"))},
        "author_association": "CONTRIBUTOR", "auto_merge": None, "draft": draft,
        "merged": merged, "mergeable": None if closed else True, "rebaseable": None,
        "mergeable_state": "unknown" if closed else ("draft" if draft else "clean"),
        "merged_by": user(base, "merger") if merged else None, "comments": 0,
        "review_comments": 0, "maintainer_can_modify": False, "commits": 1, "additions": 5,
        "deletions": 1, "changed_files": 1,
    }


def review_payload(base: str, repo: str, number: int, review_id: int, login: str,
                   state: str) -> dict:
    html = f"https://github.com/{repo}/pull/{number}#pullrequestreview-{review_id}"
    return {"id": review_id, "node_id": f"PRR_{review_id}", "user": user(base, login),
            "body": "", "body_html": "", "body_text": "", "state": state, "html_url": html,
            "pull_request_url": f"{base}/repos/{repo}/pulls/{number}",
            "_links": {"html": {"href": html},
                       "pull_request": {"href": f"{base}/repos/{repo}/pulls/{number}"}},
            "submitted_at": NOW, "commit_id": f"{number:040x}",
            "author_association": "MEMBER"}


def error_body(message: str, status: int) -> dict:
    return {"message": message, "documentation_url": "https://docs.github.com/rest",
            "status": str(status)}


# -- the server ---------------------------------------------------------------------------------


@dataclass
class Failure:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)
    path: str = ""  # a regular expression; "" fails every request
    times: int | None = None  # None: every time


class FakeGitHub:
    """The fake API. ``url`` is its API root, to give as ``--github-url``."""

    def __init__(self, server) -> None:
        self.server = server
        self.url = server.url_for("/").rstrip("/")
        self.repos: dict[str, dict] = {}
        self.issues: dict[tuple[str, int], dict] = {}
        self.pulls: dict[tuple[str, int], dict] = {}
        self.reviews: dict[tuple[str, int], list[dict]] = {}
        self.search_results: list[tuple[str, dict]] = []  # (phrase, issue payload)
        self.failures: list[Failure] = []
        self.delay = 0.0
        self.token: str | None = None  # when set, any other token gets 401
        self.requests: list[dict] = []  # method, path, query, authorization: for assertions
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    # -- state -------------------------------------------------------------------------------

    def add_repo(self, full_name: str) -> dict:
        self.repos.setdefault(full_name, repository(self.url, full_name))
        return self.repos[full_name]

    def add_issue(self, repo: str, number: int, title: str, **fields: Any) -> dict:
        self.add_repo(repo)
        data = issue_payload(self.url, repo, number, title=title, **fields)
        self.issues[(repo, number)] = data
        return data

    def add_pull(self, repo: str, number: int, title: str, *, merged: bool = False,
                 closed: bool = False, draft: bool = False, base_ref: str = "main",
                 merge_commit: str | None = None, labels: tuple[str, ...] = (),
                 updated_at: str = NOW, **fields: Any) -> dict:
        """A PR (and the issue GitHub shows for it). merged implies closed."""
        self.add_repo(repo)
        state = "closed" if merged or closed else "open"
        merged_at = updated_at if merged else None
        if merged and merge_commit is None:
            merge_commit = f"{number:x}".rjust(40, "a")
        data = pull_payload(self.url, repo, number, title=title, state=state, merged=merged,
                            draft=draft, base_ref=base_ref, merge_commit=merge_commit,
                            labels=labels, updated_at=updated_at, merged_at=merged_at, **fields)
        self.pulls[(repo, number)] = data
        link = {"url": data["url"], "html_url": data["html_url"], "diff_url": data["diff_url"],
                "patch_url": data["patch_url"], "merged_at": merged_at}
        self.issues[(repo, number)] = issue_payload(
            self.url, repo, number, title=title, state=state, labels=labels,
            updated_at=updated_at, closed_at=data["closed_at"], pull=link)
        return data

    def add_review(self, repo: str, number: int, login: str, state: str) -> None:
        items = self.reviews.setdefault((repo, number), [])
        items.append(review_payload(self.url, repo, number, 1000 + len(items), login, state))

    def add_search_result(self, phrase: str, repo: str, number: int) -> None:
        """Searches whose text holds ``phrase`` find the issue or PR ``repo#number``."""
        self.search_results.append((phrase, self.issues[(repo, number)]))

    # -- failures ----------------------------------------------------------------------------

    def fail(self, status: int, message: str = "", *, headers: dict | None = None,
             path: str = "", times: int | None = None) -> None:
        default = {401: "Bad credentials", 403: "Forbidden", 404: "Not Found",
                   500: "Internal Server Error", 502: "Bad Gateway",
                   503: "Service Unavailable"}.get(status, "Error")
        self.failures.append(Failure(status, error_body(message or default, status),
                                     headers or {}, path, times))

    def rate_limit(self, reset: int, limit: int = 60, path: str = "") -> None:
        """GitHub's answer once the hourly quota is spent (403, X-RateLimit-Remaining: 0)."""
        self.fail(403, "API rate limit exceeded for 127.0.0.1. (But here's the good news: "
                       "Authenticated requests get a higher rate limit. Check out the "
                       "documentation for more details.)",
                  headers={"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                           "X-RateLimit-Reset": str(reset), "X-RateLimit-Used": str(limit),
                           "X-RateLimit-Resource": "core"}, path=path)

    def slow(self, seconds: float) -> None:
        self.delay = seconds

    def require_token(self, token: str) -> None:
        self.token = token

    def heal(self) -> None:
        """Stop failing (for the run after a failure)."""
        self.failures.clear()
        self.delay = 0.0

    @staticmethod
    def refused_url() -> str:
        """An address on 127.0.0.1 where nothing listens."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    # -- dispatch ----------------------------------------------------------------------------

    ROUTES = (
        ("GET", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)", "get_repo"),
        ("GET", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/issues/(?P<number>\d+)", "get_issue"),
        ("GET", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/pulls/(?P<number>\d+)", "get_pull"),
        ("GET", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/pulls/(?P<number>\d+)/reviews",
         "list_reviews"),
        ("GET", r"/search/issues", "search_issues"),
        # writing endpoints (drafts) go here
        ("POST", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/issues", "create_issue"),
        ("GET", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/pulls", "list_pulls"),
        ("POST", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/pulls", "create_pull"),
        ("PATCH", r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)/pulls/(?P<number>\d+)",
         "update_pull"),
    )

    def _handle(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        self.requests.append({"method": request.method, "path": request.path,
                              "query": request.args.to_dict(), "authorization": auth})
        if self.delay:
            time.sleep(self.delay)
        for failure in self.failures:
            if failure.times == 0 or (failure.path and not re.search(failure.path,
                                                                     request.path)):
                continue
            if failure.times is not None:
                failure.times -= 1
            return self._json(failure.body, failure.status, failure.headers)
        if self.token is not None and auth != f"token {self.token}":
            return self._json(error_body("Bad credentials", 401), 401)
        for method, pattern, name in self.ROUTES:
            match = re.fullmatch(pattern, request.path)
            if match and request.method == method:
                return getattr(self, name)(request, **match.groupdict())
        return self._json(error_body("Not Found", 404), 404)

    def _json(self, data: Any, status: int = 200, headers: dict | None = None) -> Response:
        base = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999",
                "X-RateLimit-Reset": "1704164645", "X-GitHub-Media-Type": "github.v3; format=json"}
        base.update(headers or {})
        return Response(json.dumps(data), status=status, headers=base,
                        content_type="application/json; charset=utf-8")

    def _not_found(self) -> Response:
        return self._json(error_body("Not Found", 404), 404)

    # -- reading endpoints -------------------------------------------------------------------

    def get_repo(self, request: Request, owner: str, name: str) -> Response:
        data = self.repos.get(f"{owner}/{name}")
        return self._json(data) if data else self._not_found()

    def get_issue(self, request: Request, owner: str, name: str, number: str) -> Response:
        data = self.issues.get((f"{owner}/{name}", int(number)))
        return self._json(data) if data else self._not_found()

    def get_pull(self, request: Request, owner: str, name: str, number: str) -> Response:
        data = self.pulls.get((f"{owner}/{name}", int(number)))
        return self._json(data) if data else self._not_found()

    def list_reviews(self, request: Request, owner: str, name: str, number: str) -> Response:
        if (f"{owner}/{name}", int(number)) not in self.pulls:
            return self._not_found()
        return self._json(self.reviews.get((f"{owner}/{name}", int(number)), []))

    def search_issues(self, request: Request) -> Response:
        query = request.args.get("q", "")
        if not query.strip():
            return self._json({"message": "Validation Failed", "errors": [
                {"resource": "Search", "field": "q", "code": "missing"}]}, 422)
        repo = re.search(r"repo:(\S+)", query)
        pulls_only = "is:pr" in query.split()
        items = []
        for phrase, data in self.search_results:
            if phrase.lower() not in query.lower():
                continue
            if repo and not data["repository_url"].endswith("/repos/" + repo.group(1)):
                continue
            if pulls_only and "pull_request" not in data:
                continue
            if data not in items:
                items.append(data)
        return self._json({"total_count": len(items), "incomplete_results": False,
                           "items": [dict(item, score=1.0) for item in items]})

    # -- writing endpoints (drafts) ----------------------------------------------------------
    # Issues and PRs share one number sequence per repository, as on GitHub. A PR's head
    # must name a branch that exists (``branch_exists``, when a test sets it: the bare fork on
    # disk), and a second open PR from the same head is refused with GitHub's 422.

    branch_exists = None  # callable (owner, branch) -> bool, set by tests
    created: list  # ("issue" | "pull", repo, number), in order

    def _next_number(self, repo: str) -> int:
        used = [n for (r, n) in list(self.issues) + list(self.pulls) if r == repo]
        return max(used, default=0) + 1

    @staticmethod
    def _payload(request: Request) -> dict:
        try:
            data = json.loads(request.get_data(as_text=True) or "{}")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {}

    def _invalid(self, errors: list[dict]) -> Response:
        return self._json({"message": "Validation Failed", "errors": errors,
                           "documentation_url": "https://docs.github.com/rest"}, 422)

    def _log_created(self, kind: str, repo: str, number: int) -> None:
        if not hasattr(self, "created"):
            self.created = []
        self.created.append((kind, repo, number))

    def create_issue(self, request: Request, owner: str, name: str) -> Response:
        repo = f"{owner}/{name}"
        if repo not in self.repos:
            return self._not_found()
        data = self._payload(request)
        title = str(data.get("title") or "").strip()
        if not title:
            return self._invalid([{"resource": "Issue", "field": "title",
                                   "code": "missing_field"}])
        number = self._next_number(repo)
        author = (request.headers.get("Authorization") and "patchq-user") or "someone"
        payload = self.add_issue(repo, number, title, body=str(data.get("body") or ""),
                                 author=author)
        self._log_created("issue", repo, number)
        return self._json(payload, 201)

    def list_pulls(self, request: Request, owner: str, name: str) -> Response:
        repo = f"{owner}/{name}"
        if repo not in self.repos:
            return self._not_found()
        state = request.args.get("state", "open")
        head = request.args.get("head", "")
        base = request.args.get("base", "")
        items = []
        for (r, _), data in sorted(self.pulls.items(), key=lambda kv: -kv[0][1]):
            if r != repo or (state != "all" and data["state"] != state):
                continue
            if head and data["head"]["label"] != head:
                continue
            if base and data["base"]["ref"] != base:
                continue
            items.append(data)
        return self._json(items)

    def create_pull(self, request: Request, owner: str, name: str) -> Response:
        repo = f"{owner}/{name}"
        if repo not in self.repos:
            return self._not_found()
        data = self._payload(request)
        errors = [{"resource": "PullRequest", "field": key, "code": "missing_field"}
                  for key in ("title", "head", "base") if not str(data.get(key) or "").strip()]
        if errors:
            return self._invalid(errors)
        head = str(data["head"])
        head_owner, _, branch = head.partition(":")
        if self.branch_exists is not None and not self.branch_exists(head_owner, branch):
            return self._invalid([{"resource": "PullRequest", "field": "head",
                                   "code": "invalid"}])
        for (r, _), pull in self.pulls.items():
            if r == repo and pull["state"] == "open" and pull["head"]["label"] == head:
                return self._invalid([{"resource": "PullRequest", "code": "custom",
                                       "message": f"A pull request already exists for "
                                                  f"{head}."}])
        number = self._next_number(repo)
        payload = self.add_pull(repo, number, str(data["title"]),
                                draft=bool(data.get("draft")), base_ref=str(data["base"]),
                                head=head, body=str(data.get("body") or ""), author=head_owner)
        self._log_created("pull", repo, number)
        return self._json(payload, 201)

    def update_pull(self, request: Request, owner: str, name: str, number: str) -> Response:
        key = (f"{owner}/{name}", int(number))
        pull = self.pulls.get(key)
        if pull is None:
            return self._not_found()
        data = self._payload(request)
        if "title" in data and not str(data["title"] or "").strip():
            return self._invalid([{"resource": "PullRequest", "field": "title",
                                   "code": "missing_field"}])
        for field_name in ("title", "body", "state"):
            if field_name in data and data[field_name] is not None:
                pull[field_name] = data[field_name]
        if "body" in data:
            pull["body_text"] = pull["body"]
            pull["body_html"] = f"<p>{pull['body']}</p>"
        pull["updated_at"] = NOW
        return self._json(pull)


@pytest.fixture(name="fake_github")
def fake_github_fixture(httpserver) -> FakeGitHub:
    """A fresh fake GitHub API on 127.0.0.1 for one test. Import this function into a test
    module (``from fake_github import fake_github_fixture``) to use ``fake_github``."""
    return FakeGitHub(httpserver)
