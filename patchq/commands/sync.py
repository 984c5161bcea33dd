"""`patchq sync`: read the state of every recorded issue and PR from GitHub into the map.

For each patch with an ``issue`` or ``pr``: open/closed/merged, draft, the target branch, the
merge commit, labels, the last activity and the review state. For patches with no PR that
are meant to go upstream, a search of upstream's PRs for the patch's subject, ``gh-N`` and
slug gives *proposals*: stored under ``proposed_prs`` and printed, never recorded as ``pr``.

Everything is read first and written at the end in one atomic write, so a failure (bad
token, rate limit, GitHub down, no network) leaves the map exactly as it was, and running
the command again does the whole job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import store as pqstore
from ..clock import stamp
from ..errors import MapError, PatchqError
from ..forge import Forge, IssueInfo, PullInfo, Ref, SearchHit, parse_ref
from ..model import Disposition, Submission, slugify_subject
from ..queue import Progress, load_series
from ..workspace import Workspace

SEARCH_LIMIT = 5
# what sync owns in [patches.<slug>.github]; other keys there are left alone
GITHUB_KEYS = ("checked_at", "submission", "issue_state", "issue_title", "pr_state",
               "pr_title", "pr_draft", "pr_base", "pr_merge_commit", "pr_merged_at",
               "pr_created_at", "review", "labels", "updated_at", "proposed_prs")
_TAGS = re.compile(r"^(\s*\[[^\]]*\]\s*)+")
_GH_PREFIX = re.compile(r"^\s*(?:gh|bpo)-\d+\s*:\s*", re.IGNORECASE)
_GH = re.compile(r"(?<![A-Za-z0-9])gh-(\d+)\b", re.IGNORECASE)


@dataclass
class Proposal:
    ref: Ref
    title: str
    state: str  # open, closed, merged
    matched: str  # the search term that found it
    html_url: str = ""

    def as_map(self) -> dict:
        return {"pr": str(self.ref), "title": self.title, "state": self.state,
                "matched": self.matched}


@dataclass
class PatchSync:
    slug: str
    issue: IssueInfo | None = None
    pull: PullInfo | None = None
    review: str = ""
    proposals: list[Proposal] = field(default_factory=list)
    searched: bool = False

    @property
    def submission(self) -> str:
        if self.pull is not None:
            return {"merged": Submission.MERGED_PR, "closed": Submission.CLOSED_PR,
                    "draft": Submission.DRAFT_PR}.get(self.pull.status, Submission.OPEN_PR).value
        if self.issue is not None:
            return Submission.ISSUE.value
        return Submission.NONE.value

    def fields(self, checked_at: str) -> dict[str, Any]:
        """The ``[patches.<slug>.github]`` fields (docs/upstream_map.md)."""
        out: dict[str, Any] = {"checked_at": checked_at, "submission": self.submission}
        issue, pull = self.issue, self.pull
        if issue is not None:
            out["issue_state"] = issue.state
            out["issue_title"] = issue.title
        if pull is not None:
            out.update({"pr_state": pull.status if pull.status in ("merged",) else pull.state,
                        "pr_title": pull.title, "pr_draft": pull.draft, "pr_base": pull.base})
            if pull.merge_commit and pull.merged:
                out["pr_merge_commit"] = pull.merge_commit
            if pull.merged_at:
                out["pr_merged_at"] = pull.merged_at
            if pull.created_at:
                out["pr_created_at"] = pull.created_at
            out["review"] = self.review or "none"
        source = pull or issue
        if source is not None:
            out["labels"] = list(source.labels)
            if source.updated_at:
                out["updated_at"] = source.updated_at
        if self.proposals:
            out["proposed_prs"] = [p.as_map() for p in self.proposals]
        return out

    def as_json(self, checked_at: str) -> dict:
        data = {"slug": self.slug, "searched": self.searched} | self.fields(checked_at)
        if self.issue is not None:
            data["issue"] = str(self.issue.ref)
        if self.pull is not None:
            data["pr"] = str(self.pull.ref)
            data["pr_url"] = self.pull.html_url
        return data


@dataclass
class SyncResult:
    patches: list[PatchSync]
    checked_at: str
    written: bool
    searched: int = 0

    def as_json(self) -> dict:
        return {"checked_at": self.checked_at, "written": self.written,
                "searched": self.searched,
                "patches": [p.as_json(self.checked_at) for p in self.patches]}


@dataclass(frozen=True)
class _Plan:
    slug: str
    issue: Ref | None
    pr: Ref | None
    search_terms: tuple[str, ...] = ()
    github: str = ""  # the GitHub repository of the patch's upstream (searched for PRs)


def search_terms(slug: str, subject: str, message: str = "") -> tuple[str, ...]:
    """What a PR for this patch would mention: its subject (without ``[tags]`` and a
    ``gh-N:`` prefix), the ``gh-N`` it names, and its slug when the slug is not just the
    subject.

    >>> search_terms("gh-101234-Fix-platform", "[PATCH 4/5] gh-101234: Fix platform.system()")
    ('Fix platform.system()', 'gh-101234')
    >>> search_terms("deb-locations", "Debian: Use Debian locations", "")
    ('Debian: Use Debian locations', 'deb-locations')
    """
    terms = []
    core = _GH_PREFIX.sub("", _TAGS.sub("", subject)).strip()
    if len(core) >= 8:
        terms.append(core[:120])
    for number in dict.fromkeys(_GH.findall(subject + "\n" + message)):
        terms.append(f"gh-{number}")
    named = slugify_subject(subject, limit=len(subject) + 1).lower()
    if not named.startswith(slug.lower()) and len(slug) >= 6:  # format-patch cuts names short
        terms.append(slug)
    return tuple(dict.fromkeys(terms))


def _plans(ws: Workspace, search: bool) -> list[_Plan]:
    umap = ws.map
    tracks = umap.track_names()
    subjects: dict[str, tuple[str, str]] = {}
    home: dict[str, str] = {}  # slug -> the first track carrying it (its upstream's repo)
    for name in tracks:
        directory = ws.series_dir(name)
        if not directory.is_dir():
            continue
        for patch in load_series(directory, name).patches:
            desc = patch.file.description
            subjects.setdefault(patch.slug, (desc.subject, desc.body))
            home.setdefault(patch.slug, name)
    plans = []
    for slug in dict.fromkeys([*umap.slugs(), *subjects]):
        record = umap.patch(slug)
        track = home.get(slug) or next((t for t in record.get("tracks", {}) if t in tracks), "")
        github = umap.upstream_get("github", umap.track_upstream(track) if track else
                                   ws.selected)
        issue = _ref(record, "issue", github, slug)
        pr = _ref(record, "pr", github, slug)
        terms: tuple[str, ...] = ()
        if search and pr is None and slug in subjects and \
                record.get("disposition") != Disposition.DOWNSTREAM_ONLY.value:
            terms = search_terms(slug, *subjects[slug])
        if issue or pr or terms:
            plans.append(_Plan(slug, issue, pr, terms, github))
    return plans


def _ref(record: Any, key: str, github: str, slug: str) -> Ref | None:
    value = str(record.get(key, "") or "").strip()
    if not value:
        return None
    try:
        return parse_ref(value, github, "issue" if key == "issue" else "pr")
    except PatchqError as exc:
        raise MapError(f"patch {slug}: {key} = {value!r} is unusable ({exc.message})",
                       f"fix it with `patchq record {slug} {key}=OWNER/REPO#N`") from None


def sync(ws: Workspace, forge: Forge, search: bool = True,
         progress: Progress | None = None) -> SyncResult:
    """Read GitHub for every recorded issue and PR (and search PRs for the others), then
    write the map once."""
    pqstore.check_idle(ws)  # before asking GitHub: the answers could not be written
    plans = _plans(ws, search)
    if any(p.search_terms and not p.github for p in plans):
        raise MapError("no upstream GitHub repository to search",
                       "set [upstream] github = \"OWNER/REPO\" in upstream_map.toml (or the "
                       "github of the track's [upstreams.NAME]), or pass --no-search")
    checked_at = stamp()
    results: list[PatchSync] = []
    searched = 0
    for number, plan in enumerate(plans, 1):
        if progress:
            progress(number - 1, len(plans), plan.slug)
        item = PatchSync(plan.slug)
        if plan.issue is not None:
            item.issue = forge.get_issue(plan.issue.repo, plan.issue.number)
        if plan.pr is not None:
            item.pull = forge.get_pull(plan.pr.repo, plan.pr.number)
            item.review = forge.review_state(plan.pr.repo, plan.pr.number)
        if plan.search_terms:
            item.searched = True
            searched += 1
            item.proposals = _proposals(forge, plan.github, plan.search_terms)
        results.append(item)
    if progress:
        progress(len(plans), len(plans), "done")
    written = _write(ws, results, checked_at)
    return SyncResult(results, checked_at, written, searched)


def _proposals(forge: Forge, repo: str, terms: tuple[str, ...]) -> list[Proposal]:
    hits: list[SearchHit] = forge.search_pulls(repo, list(terms), SEARCH_LIMIT)
    out = []
    for hit in hits:
        if not hit.is_pull:
            continue
        text = hit.title.lower()
        matched = next((t for t in terms if t.lower() in text), terms[0])
        state = "merged" if hit.merged else hit.state
        out.append(Proposal(hit.ref, hit.title, state, matched, hit.html_url))
    return out


def _write(ws: Workspace, results: list[PatchSync], checked_at: str) -> bool:
    with pqstore.writing(ws):  # the map as it is now, under the lock
        return _write_locked(ws, results, checked_at)


def _write_locked(ws: Workspace, results: list[PatchSync], checked_at: str) -> bool:
    import tomlkit

    umap = ws.map
    before = umap.text()
    for item in results:
        record = umap.ensure_patch(item.slug)
        if "github" not in record:
            record["github"] = tomlkit.table()
        table = record["github"]
        values = item.fields(checked_at)
        for key in GITHUB_KEYS:
            if key not in values:
                if key in table:
                    del table[key]
                continue
            value = values[key]
            if key == "proposed_prs":
                array = tomlkit.array()
                for proposal in value:
                    inline = tomlkit.inline_table()
                    inline.update(proposal)
                    array.append(inline)
                array.multiline(True)
                value = array
            table[key] = value
    if umap.text() == before:
        return False
    umap.save()
    return True


ANONYMOUS = "no GITHUB_TOKEN or GH_TOKEN: reading public data anonymously (60 requests an hour)"


def github(ws: Workspace, url: str | None, timeout: float,
           warn: Callable[[str], None] | None = None) -> Forge:
    """The GitHub to ask, with the token from GITHUB_TOKEN or GH_TOKEN (without one ``warn``
    is told that it is read anonymously). A missing or broken map fails first."""
    from ..forge import GitHubForge, token_from_env

    ws.map.upstream_get("github")
    token = token_from_env()
    if not token and warn is not None:
        warn(ANONYMOUS)
    return GitHubForge(token=token, url=url, timeout=timeout)


def _pull_text(item: PatchSync) -> str:
    pull = item.pull
    assert pull is not None
    text = f"PR {pull.ref} {pull.status}"
    if pull.merged:
        text += f" into {pull.base}" + (f" ({pull.merge_commit[:12]})"
                                        if pull.merge_commit else "")
    else:
        text += f" for {pull.base}" if pull.base else ""
    text += f", review {item.review or 'none'}"
    if pull.labels:
        text += f" [{', '.join(pull.labels)}]"
    return text


def render(result: SyncResult, as_json: bool) -> Iterator[str]:
    """What `patchq sync` prints: a line per patch with an issue or PR, the proposals, a sum."""
    if as_json:
        from ..ui import json_text

        yield json_text(result.as_json())
        return
    for item in result.patches:
        parts = []
        if item.issue is not None:
            labels = f" [{', '.join(item.issue.labels)}]" if item.issue.labels else ""
            parts.append(f"issue {item.issue.ref} {item.issue.state}{labels}")
        if item.pull is not None:
            parts.append(_pull_text(item))
        if parts:
            yield f"{item.slug}: " + "; ".join(parts)
        for proposal in item.proposals:
            yield (f"{item.slug}: proposed {proposal.ref} ({proposal.state}) "
                   f"{proposal.title!r}, matched {proposal.matched!r}; record it with "
                   f"`patchq record {item.slug} pr={proposal.ref}`")
    issues = sum(1 for p in result.patches if p.issue is not None)
    pulls = sum(1 for p in result.patches if p.pull is not None)
    proposals = sum(len(p.proposals) for p in result.patches)
    state = "map updated" if result.written else "map unchanged"
    yield (f"synced {pulls} PRs and {issues} issues, searched for {result.searched} "
           f"patches, {proposals} proposals; {state}")
