"""The forge: upstream's issues and pull requests. The only module that imports github3.

:class:`Forge` is what commands use; :class:`GitHubForge` speaks to GitHub's REST API (or a
GitHub Enterprise server, or the fake one tests start on 127.0.0.1) through github3.py.
Commands take a ``Forge`` argument, so a test can hand them any object with these methods.

Every failure is a :class:`~patchq.errors.ForgeError` of one line: what GitHub said (bad
token, rate limit and when it resets, not found, server error, time-out, connection refused)
and what to do. The token goes into the session's Authorization header and nowhere else:
it is not kept as an attribute, not shown by ``repr``, and scrubbed from every message.

Values are plain frozen dataclasses, so the rest of patchq never sees a github3 object.
Sections: references (``owner/repo#N`` parsing), values, the protocol, reading (status,
sync), writing (drafts).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol
from urllib.parse import urlparse

from .errors import ForgeError

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
DEFAULT_API = "https://api.github.com"
DEFAULT_TIMEOUT = 20.0


def token_from_env() -> str:
    """The token from ``GITHUB_TOKEN`` or ``GH_TOKEN`` ("" for anonymous access)."""
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return ""


# -- references: issues and pull requests as the map records them ----------------------------

_REF = re.compile(r"^(?:(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+))?#(?P<number>\d+)$")
_URL = re.compile(r"^https?://[^/\s]+/(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/"
                  r"(?P<kind>pull|pulls|issues)/(?P<number>\d+)(?:[/?#].*)?$")
_GH = re.compile(r"^(?P<kind>gh|GH)-(?P<number>\d+)$")
_NAMES = {"issue": "an issue", "pr": "a pull request"}


@dataclass(frozen=True)
class Ref:
    """An issue or pull request: ``owner/repo#N``."""

    repo: str
    number: int

    def __str__(self) -> str:
        return f"{self.repo}#{self.number}"

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.repo.split("/", 1)[1]


def parse_ref(text: str, default_repo: str = "", kind: str = "") -> Ref:
    """Read ``OWNER/REPO#N``, ``#N``, ``gh-N`` (an issue), ``GH-N`` (a PR) or a GitHub URL.
    ``kind`` ("issue" or "pr") refuses a URL or ``gh-``/``GH-`` of the other kind.

    >>> str(parse_ref("python/cpython#123")), str(parse_ref("#7", "python/cpython"))
    ('python/cpython#123', 'python/cpython#7')
    >>> str(parse_ref("https://github.com/python/cpython/pull/456/files", kind="pr"))
    'python/cpython#456'
    >>> str(parse_ref("gh-101234", "python/cpython", kind="issue"))
    'python/cpython#101234'
    >>> parse_ref("https://github.com/python/cpython/issues/9", kind="pr")
    Traceback (most recent call last):
    ...
    patchq.errors.ForgeError: https://github.com/python/cpython/issues/9 is an issue, not a pull request; give the PR's URL or OWNER/REPO#N (gh-N is an issue, GH-N a PR)
    """
    value = text.strip()
    what = _NAMES.get(kind, "an issue or PR")
    match = _REF.match(value)
    if match:
        repo = match.group("repo") or default_repo
        if not repo:
            raise ForgeError(f"{value!r} names no repository",
                             "write OWNER/REPO#N, or set [upstream] github in upstream_map.toml")
        return Ref(repo, int(match.group("number")))
    match = _URL.match(value) or _GH.match(value)
    if match:
        found = "issue" if match.group("kind") in ("issues", "gh") else "pr"
        if kind and found != kind:
            raise ForgeError(f"{value} is {_NAMES[found]}, not {_NAMES[kind]}",
                             f"give the {'PR' if kind == 'pr' else 'issue'}'s URL or "
                             "OWNER/REPO#N (gh-N is an issue, GH-N a PR)")
        repo = match.groupdict().get("repo") or default_repo
        if not repo:
            raise ForgeError(f"{value!r} names no repository",
                             "write OWNER/REPO#N, or set [upstream] github in upstream_map.toml")
        return Ref(repo, int(match.group("number")))
    raise ForgeError(f"{value!r} is not {what}",
                     "write OWNER/REPO#N, #N (in [upstream] github) or a GitHub URL")


# -- values ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepoInfo:
    full_name: str
    owner: str
    name: str
    default_branch: str = "main"
    html_url: str = ""


@dataclass(frozen=True)
class IssueInfo:
    ref: Ref
    title: str
    state: str  # open, closed
    labels: tuple[str, ...] = ()
    updated_at: str = ""  # ISO 8601, Z
    closed_at: str = ""
    html_url: str = ""
    body: str = ""
    is_pull: bool = False

    @property
    def number(self) -> int:
        return self.ref.number


@dataclass(frozen=True)
class PullInfo:
    ref: Ref
    title: str
    state: str  # open, closed (merged PRs are closed with merged=True)
    merged: bool = False
    draft: bool = False
    merge_commit: str = ""
    merged_at: str = ""
    base: str = ""  # the branch it targets
    head: str = ""  # owner:branch
    labels: tuple[str, ...] = ()
    updated_at: str = ""
    created_at: str = ""
    html_url: str = ""
    body: str = ""

    @property
    def number(self) -> int:
        return self.ref.number

    @property
    def status(self) -> str:
        """open, draft, merged or closed."""
        if self.merged:
            return "merged"
        if self.state == "open":
            return "draft" if self.draft else "open"
        return "closed"


@dataclass(frozen=True)
class SearchHit:
    """An issue or PR a search found."""

    ref: Ref
    title: str
    state: str
    is_pull: bool = False
    merged: bool = False
    html_url: str = ""
    updated_at: str = ""


# -- the protocol ------------------------------------------------------------------------------


class Forge(Protocol):
    """What patchq asks of a forge. Every method raises ForgeError on failure."""

    def get_repo(self, full_name: str) -> RepoInfo: ...

    def get_issue(self, repo: str, number: int) -> IssueInfo: ...

    def get_pull(self, repo: str, number: int) -> PullInfo: ...

    def review_state(self, repo: str, number: int) -> str:
        """approved, changes_requested, commented or none (each reviewer's last word)."""
        ...

    def search_pulls(self, repo: str, terms: list[str], limit: int = 5) -> list[SearchHit]:
        """PRs of ``repo`` whose title or body holds any of ``terms`` (phrases)."""
        ...


# -- GitHub ------------------------------------------------------------------------------------


def api_root(url: str | None) -> str:
    """The API address: GitHub's by default, else ``url`` as given (GitHub Enterprise's is
    ``https://HOST/api/v3``).

    >>> api_root(None), api_root("https://ghe.example.com/api/v3/")
    ('https://api.github.com', 'https://ghe.example.com/api/v3')
    """
    value = (url or DEFAULT_API).strip().rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ForgeError(f"--github-url {url!r} is not an http(s) address",
                         "give the API root, like https://github.example.com/api/v3")
    if parsed.username or parsed.password:
        raise ForgeError("--github-url must not hold credentials",
                         "put the token in GITHUB_TOKEN or GH_TOKEN")
    return value


def _iso(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _labels(data: Any) -> tuple[str, ...]:
    return tuple(str(item.get("name", "")) for item in (data or []) if isinstance(item, dict))


class GitHubForge:
    """GitHub's REST API through github3.py. ``token`` "" is anonymous (public data only,
    60 requests an hour); ``url`` is the API root (GitHub Enterprise, or a test server)."""

    def __init__(self, token: str = "", url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, purpose: str = "read") -> None:
        import github3

        self.url = api_root(url)
        if token:
            from .validate import token_api

            token_api(self.url)
        self.timeout = timeout
        self.purpose = purpose  # "read" (status, sync) or "draft" (draft --open): the hints
        self._secret = token  # only for scrubbing messages; never shown (see __repr__)
        self._gh = github3.GitHub(token=token) if token else github3.GitHub()
        self._pulls: dict[Ref, Any] = {}  # github3 pull objects, for their reviews
        session = self._gh.session
        session.base_url = self.url
        session.default_connect_timeout = timeout
        session.default_read_timeout = timeout

    def __repr__(self) -> str:
        return f"GitHubForge(url={self.url!r}, token={'set' if self._secret else 'none'})"

    # -- errors --------------------------------------------------------------------------------

    def _call(self, what: str, fn, *args, **kwargs):
        """Run one github3 call; every failure becomes one clear ForgeError line."""
        import github3.exceptions as gx

        try:
            result = fn(*args, **kwargs)
            if result is None:
                raise ForgeError(f"{what}: GitHub returned nothing", "try again")
            return result
        except ForgeError:
            raise
        except gx.ConnectionError as exc:
            raise self._error(self._connection_message(what, exc)) from None
        except gx.IncompleteResponse as exc:
            lacks = f"{what}: GitHub's answer lacks fields patchq needs ({exc.msg or exc})"
            raise self._error((lacks, "check --github-url; try again")) from None
        except gx.GitHubError as exc:
            raise self._error(self._response_message(what, exc)) from None
        except gx.GitHubException as exc:
            raise self._error((f"{what}: {exc}", "try again")) from None
        except (ValueError, KeyError, TypeError) as exc:
            odd = f"{what}: GitHub's answer is not what patchq expects ({type(exc).__name__})"
            raise self._error((odd, "check --github-url; try again")) from None

    def _error(self, parts: tuple[str, str]) -> ForgeError:
        message, hint = (self._scrub(p) for p in parts)
        return ForgeError(message, hint)

    def _scrub(self, text: str) -> str:
        text = " ".join(str(text).split())
        if self._secret:
            text = text.replace(self._secret, "***")
        return text

    def _connection_message(self, what: str, exc) -> tuple[str, str]:
        import requests

        cause = getattr(exc, "exception", None)
        where = self.url
        if isinstance(cause, requests.exceptions.Timeout):
            return (f"{what}: GitHub at {where} did not answer within {self.timeout:g} s",
                    "check the network or --github-url, then run again")
        text = str(cause or exc)
        if "refused" in text.lower():
            return (f"{what}: cannot connect to {where} (connection refused)",
                    "check --github-url and the network, then run again")
        if "Name or service not known" in text or "nodename nor servname" in text \
                or "Failed to resolve" in text or "getaddrinfo" in text:
            return (f"{what}: cannot resolve the host of {where}",
                    "check --github-url and the network, then run again")
        return (f"{what}: cannot reach {where} ({type(cause or exc).__name__})",
                "check the network or --github-url, then run again")

    def _response_message(self, what: str, exc) -> tuple[str, str]:
        response = getattr(exc, "response", None)
        code = getattr(exc, "code", None) or (response.status_code if response is not None else 0)
        said = ""
        try:
            said = str(exc.msg or "") if getattr(exc, "msg", None) else ""
        except Exception:  # noqa: BLE001 - a message is a nicety
            said = ""
        headers = response.headers if response is not None else {}
        drafting = self.purpose == "draft"
        if code == 401:
            return (f"{what}: GitHub refused the token (401 {said or 'Bad credentials'})",
                    "check GITHUB_TOKEN / GH_TOKEN: draft --open needs a valid token that may "
                    "open issues and PRs upstream" if drafting else
                    "check GITHUB_TOKEN / GH_TOKEN, or unset them to read public data")
        if code in (403, 429) and (headers.get("X-RateLimit-Remaining") == "0"
                                   or "rate limit" in said.lower()):
            return self._rate_limit_message(what, headers, code)
        if code == 403:
            return (f"{what}: GitHub refused access (403 {said or 'Forbidden'})",
                    "the token needs permission to open issues and pull requests upstream and "
                    "to read the fork; check it, then run again" if drafting else
                    "check the token's permissions, then run again")
        if code == 404:
            return (f"{what}: not found on GitHub (404)",
                    "check [upstream] github and fork in upstream_map.toml and the patch's "
                    "issue and pr (a private repository needs a token that can see it)"
                    if drafting else
                    "check the number and the repository (a private repository needs a token)")
        if code == 422:
            return (f"{what}: GitHub refused it (422 {validation_text(exc)})",
                    "fix what GitHub says, then run again")
        if code and code >= 500:
            reason = response.reason if response is not None and response.reason else "error"
            return (f"{what}: GitHub is failing ({code} {reason})",
                    "try again in a few minutes")
        return (f"{what}: GitHub answered {code} {said}".rstrip(), "check it, then run again")

    def _rate_limit_message(self, what: str, headers, code: int) -> tuple[str, str]:
        from .clock import now

        limit = headers.get("X-RateLimit-Limit", "")
        reset = headers.get("X-RateLimit-Reset", "")
        retry = headers.get("Retry-After", "")
        more = ", or set GITHUB_TOKEN for a higher limit" if not self._secret else \
            ("" if self.purpose == "draft" else ", or use --no-search to ask fewer questions")
        if retry.isdigit():  # a secondary (abuse) limit: too many requests too fast
            return (f"{what}: GitHub's secondary rate limit reached; retry after {retry} s",
                    "wait, then run again" + more)
        when = ""
        if reset.isdigit() and headers.get("X-RateLimit-Remaining") == "0":
            at = datetime.fromtimestamp(int(reset), timezone.utc)
            seconds = (at - now()).total_seconds()
            left = f"in {int(seconds + 59) // 60} min" if seconds > 0 else "now"
            when = f"; it resets at {at.strftime('%Y-%m-%d %H:%M:%S')} UTC ({left})"
        quota = f" ({limit} requests an hour)" if limit else ""
        return (f"{what}: GitHub API rate limit reached{quota}{when}",
                ("wait until then" if when else "wait a while") + more)

    # -- reading --------------------------------------------------------------------------------

    def get_repo(self, full_name: str) -> RepoInfo:
        owner, _, name = full_name.partition("/")
        repo = self._call(f"repository {full_name}", self._gh.repository, owner, name)
        data = repo.as_dict()
        return RepoInfo(full_name=str(data.get("full_name", full_name)),
                        owner=str((data.get("owner") or {}).get("login", owner)),
                        name=str(data.get("name", name)),
                        default_branch=str(data.get("default_branch") or "main"),
                        html_url=str(data.get("html_url", "")))

    def get_issue(self, repo: str, number: int) -> IssueInfo:
        ref = Ref(repo, int(number))
        issue = self._call(f"issue {ref}", self._gh.issue, ref.owner, ref.name, ref.number)
        data = issue.as_dict()
        return IssueInfo(ref=ref, title=str(data.get("title", "")),
                         state=str(data.get("state", "")), labels=_labels(data.get("labels")),
                         updated_at=_iso(data.get("updated_at")),
                         closed_at=_iso(data.get("closed_at")),
                         html_url=str(data.get("html_url", "")), body=str(data.get("body") or ""),
                         is_pull=bool(data.get("pull_request")))

    def get_pull(self, repo: str, number: int) -> PullInfo:
        ref = Ref(repo, int(number))
        pull = self._call(f"pull request {ref}", self._gh.pull_request, ref.owner, ref.name,
                          ref.number)
        self._pulls[ref] = pull
        data = pull.as_dict()
        head = data.get("head") or {}
        head_owner = ((head.get("repo") or {}).get("owner") or {}).get("login") or \
            (head.get("user") or {}).get("login", "")
        return PullInfo(ref=ref, title=str(data.get("title", "")),
                        state=str(data.get("state", "")), merged=bool(data.get("merged")),
                        draft=bool(data.get("draft")),
                        merge_commit=str(data.get("merge_commit_sha") or ""),
                        merged_at=_iso(data.get("merged_at")),
                        base=str((data.get("base") or {}).get("ref", "")),
                        head=f"{head_owner}:{head.get('ref', '')}" if head else "",
                        labels=_labels(data.get("labels")),
                        updated_at=_iso(data.get("updated_at")),
                        created_at=_iso(data.get("created_at")),
                        html_url=str(data.get("html_url", "")), body=str(data.get("body") or ""))

    def review_state(self, repo: str, number: int) -> str:
        ref = Ref(repo, int(number))
        pull = self._pulls.get(ref) or self._call(f"pull request {ref}", self._gh.pull_request,
                                                  ref.owner, ref.name, ref.number)
        reviews = self._call(f"reviews of {ref}", lambda: list(pull.reviews()))
        return summarize_reviews([(r.user.login if r.user else "", str(r.state or ""))
                                  for r in reviews])

    def search_pulls(self, repo: str, terms: list[str], limit: int = 5) -> list[SearchHit]:
        phrases = " OR ".join(f'"{t.replace(chr(34), " ")}"' for t in terms if t.strip())
        if not phrases:
            return []
        query = f"repo:{repo} is:pr {phrases}"
        results = self._call(f"search of {repo} PRs",
                             lambda: list(self._gh.search_issues(query, number=limit)))
        hits = []
        for result in results:
            data = result.issue.as_dict()
            pull = data.get("pull_request") or {}
            hits.append(SearchHit(ref=Ref(repo, int(data["number"])),
                                  title=str(data.get("title", "")),
                                  state=str(data.get("state", "")), is_pull=bool(pull),
                                  merged=bool(pull.get("merged_at")),
                                  html_url=str(data.get("html_url", "")),
                                  updated_at=_iso(data.get("updated_at"))))
        return hits

    # -- writing (drafts) ---------------------------------------------------------------------
    # `patchq draft --open`: one request each, straight to the REST endpoints (github3 has no
    # draft flag on create_pull), answers read into the same values as above.

    def _validation(self, what: str, fn):
        """Run ``fn``; a 422 says GitHub's own words (``Validation Failed: A pull request
        already exists for o:b``)."""
        import github3.exceptions as gx

        try:
            return fn()
        except gx.UnprocessableEntity as exc:
            raise self._error((f"{what}: GitHub refused it (422 {validation_text(exc)})",
                               "fix what GitHub says, then run again")) from None

    def _raw(self, what: str, method: str, path: tuple[str, ...], expect: int,
             data: dict | None = None, params: dict | None = None) -> Any:
        url = self._gh._build_url(*path, base_url=self.url)

        def send():
            if method == "GET":
                response = self._gh._get(url, params=params)
            elif method == "POST":
                response = self._gh._post(url, data=data)
            else:
                response = self._gh._patch(url, data=_json_dumps(data))
            return self._gh._json(response, expect)

        return self._call(what, lambda: self._validation(what, send))

    def create_issue(self, repo: str, title: str, body: str) -> IssueInfo:
        owner, _, name = repo.partition("/")
        data = self._raw(f"creating an issue in {repo}", "POST",
                         ("repos", owner, name, "issues"), 201, {"title": title, "body": body})
        return _issue_info(repo, data)

    def create_draft_pull(self, repo: str, title: str, body: str, base: str,
                          head: str) -> PullInfo:
        """A draft PR from ``head`` (``owner:branch``) into ``base``."""
        owner, _, name = repo.partition("/")
        data = self._raw(f"opening a draft PR in {repo}", "POST",
                         ("repos", owner, name, "pulls"), 201,
                         {"title": title, "body": body, "base": base, "head": head,
                          "draft": True, "maintainer_can_modify": True})
        return _pull_info(repo, data)

    def update_pull(self, repo: str, number: int, title: str, body: str) -> PullInfo:
        owner, _, name = repo.partition("/")
        data = self._raw(f"updating pull request {repo}#{number}", "PATCH",
                         ("repos", owner, name, "pulls", str(int(number))), 200,
                         {"title": title, "body": body})
        return _pull_info(repo, data)

    def reopen_pull(self, repo: str, number: int) -> PullInfo:
        """Reopen a closed (not merged) pull request."""
        owner, _, name = repo.partition("/")
        data = self._raw(f"reopening pull request {repo}#{number}", "PATCH",
                         ("repos", owner, name, "pulls", str(int(number))), 200,
                         {"state": "open"})
        return _pull_info(repo, data)

    def find_pull_by_head(self, repo: str, owner: str, branch: str) -> PullInfo | None:
        """The PR of ``repo`` whose head is ``owner:branch``: the open one, else the newest."""
        upstream_owner, _, name = repo.partition("/")
        data = self._raw(f"looking for the PR of {owner}:{branch} in {repo}", "GET",
                         ("repos", upstream_owner, name, "pulls"), 200,
                         params={"state": "all", "head": f"{owner}:{branch}", "per_page": 30})
        pulls = [_pull_info(repo, item) for item in data or [] if isinstance(item, dict)]
        pulls = [p for p in pulls if p.head in ("", f"{owner}:{branch}")]
        if not pulls:
            return None
        return next((p for p in pulls if p.state == "open"),
                    max(pulls, key=lambda p: p.number))


def validation_text(exc) -> str:
    """GitHub's words in a 422: its message and each error's message (or field and code)."""
    parts = []
    for error in getattr(exc, "errors", None) or []:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[k]) for k in ("resource", "field", "code") if error.get(k))
            if text:
                parts.append(str(text))
        elif error:
            parts.append(str(error))
    message = str(getattr(exc, "msg", "") or "Unprocessable Entity")
    return message + (": " + "; ".join(parts) if parts else "")


def _json_dumps(data: dict | None) -> str:
    import json

    return json.dumps(data or {})


def _issue_info(repo: str, data: dict) -> IssueInfo:
    return IssueInfo(ref=Ref(repo, int(data["number"])), title=str(data.get("title", "")),
                     state=str(data.get("state", "")), labels=_labels(data.get("labels")),
                     updated_at=_iso(data.get("updated_at")),
                     html_url=str(data.get("html_url", "")), body=str(data.get("body") or ""))


def _pull_info(repo: str, data: dict) -> PullInfo:
    head = data.get("head") or {}
    head_owner = ((head.get("repo") or {}).get("owner") or {}).get("login") or \
        (head.get("user") or {}).get("login", "")
    return PullInfo(ref=Ref(repo, int(data["number"])), title=str(data.get("title", "")),
                    state=str(data.get("state", "")),
                    merged=bool(data.get("merged") or data.get("merged_at")),
                    draft=bool(data.get("draft")),
                    merge_commit=str(data.get("merge_commit_sha") or ""),
                    merged_at=_iso(data.get("merged_at")),
                    base=str((data.get("base") or {}).get("ref", "")),
                    head=f"{head_owner}:{head.get('ref', '')}" if head else "",
                    labels=_labels(data.get("labels")), updated_at=_iso(data.get("updated_at")),
                    html_url=str(data.get("html_url", "")), body=str(data.get("body") or ""))


def summarize_reviews(reviews: list[tuple[str, str]]) -> str:
    """One word for a PR's reviews: each reviewer's last approving or requesting word counts
    (comments do not undo them); changes requested wins over approved.

    >>> summarize_reviews([("a", "APPROVED"), ("b", "CHANGES_REQUESTED"), ("b", "APPROVED")])
    'approved'
    >>> summarize_reviews([("a", "COMMENTED")]), summarize_reviews([])
    ('commented', 'none')
    """
    last: dict[str, str] = {}
    commented = False
    for login, state in reviews:
        state = state.upper()
        if state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            last[login] = state
        elif state == "COMMENTED":
            commented = True
    words = set(last.values())
    if "CHANGES_REQUESTED" in words:
        return "changes_requested"
    if "APPROVED" in words:
        return "approved"
    return "commented" if commented or words else "none"
