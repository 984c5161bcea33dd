"""What is known about a patch's way upstream before `patchq draft` writes a word of it.

The map's record (people's fields, sync's ``github`` table), what the patch's whole header
says (:mod:`patchq.headers`: its issue, PR, the upstream commit it was taken from, its own
NEWS entry, its author and co-authors) and what an earlier `draft --open` opened
(``drafts/<slug>/.patchq.json``). From these: the issue to use (never a new one when one is
named), the PR that already exists (not proposed again), the reasons not to draft (a PR, a
change taken from upstream, sync's proposals), and the refusals (a title that is no title, no
real author).
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass

from .. import conventions as cv
from .. import headers as hd
from ..errors import PatchqError
from ..git import FALLBACK_EMAIL, FALLBACK_NAME
from ..queue import LoadedPatch


class DraftRefused(PatchqError):
    """The patch cannot be drafted until a person fixes what it says (its subject, its
    author): `draft --all` lists it and goes on."""


class AlreadyProposed(PatchqError):
    """The patch already has a pull request upstream (not one patchq opened)."""


class FromUpstream(PatchqError):
    """The patch is taken from an upstream commit: nothing to propose."""


@dataclass(frozen=True)
class Found:
    """A number or commit and where it was found."""

    value: int | str
    source: str  # "the map", "its Bug-Upstream: header", "its NEWS entry"...

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class Person:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


@dataclass(frozen=True)
class Known:
    """What the map, the patch and earlier drafts say, before drafting."""

    slug: str
    headers: hd.Headers
    title: str  # the title to use: the map's subject, else the patch's summary
    title_source: str
    issue: Found | None
    pr: Found | None
    pr_ours: bool  # a PR patchq opened (--open updates it)
    origin: Found | None  # the upstream commit the patch was taken from
    proposals: tuple[str, ...]  # PRs sync proposed: "python/cpython#7 (open) 'title'"
    author: Person | None  # the commit's author: the map's, else the patch's
    co_authors: tuple[Person, ...]  # Co-authored-by: the header's and the original author
    tested_on: str
    ci: str
    patch_date: str  # YYYY-MM-DD of the patch's own date ("" when it has none)
    date_field: str  # the header field the date comes from (Date, Last-Update)
    own_news: hd.NewsEntry | None

    def refusal(self) -> tuple[str, str] | None:
        """(what is wrong, what to do) when the patch cannot be drafted as it stands."""
        problem = cv.title_problem(self.title)
        if problem:
            shown = self.title if len(self.title) <= 70 else self.title[:67] + "..."
            where = "the map's subject" if self.title_source == "map" else "its subject"
            return (f"{where} {shown!r} {problem}",
                    f"write a subject first: `patchq record {self.slug} subject=\"...\"`")
        if self.author is None:
            return ("it names no author, and a commit needs a real one for the CLA check",
                    f"`patchq record {self.slug} author=\"Name <email>\"`")
        if self.own_news is not None and not self.own_news.text.strip():
            return (f"its own NEWS entry {self.own_news.path} is empty",
                    f"write it first (`patchq edit {self.slug}`)")
        return None


def person(value: str) -> Person | None:
    """A real person from ``Name <email>`` ("Unknown", no address or patchq's placeholder are
    none).

    >>> person("Finn Example <finn@x.invalid>"), person("Unknown <unknown@patchq.invalid>")
    (Person(name='Finn Example', email='finn@x.invalid'), None)
    >>> person("Samuel Example")
    """
    name, address = email.utils.parseaddr(" ".join(value.split()))
    name = name.strip() or (address.split("@")[0] if "@" in address else "")
    if not name or "@" not in address or name == FALLBACK_NAME or address == FALLBACK_EMAIL:
        return None
    return Person(name, address)


def _date(value: str) -> str:
    """YYYY-MM-DD of a header date (RFC 2822, ISO, or `git log`'s), "" when unreadable.

    >>> _date("Tue, 3 Dec 2024 11:32:55 +1100"), _date("2023-08-29"), _date("Thu Jan 11 10:24:47 2024 +0100")
    ('2024-12-03', '2023-08-29', '2024-01-11')
    """
    from datetime import datetime

    value = value.strip()
    if not value:
        return ""
    try:
        return email.utils.parsedate_to_datetime(value).strftime("%Y-%m-%d")
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in ("%Y-%m-%d", "%a %b %d %H:%M:%S %Y %z"):
        try:
            return datetime.strptime(value, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    return ""


_ISSUE_REF = re.compile(r"^(?:(?P<repo>[\w.-]+/[\w.-]+)#|gh-|#)?(?P<n>\d+)$", re.IGNORECASE)
_ISSUE_URL = re.compile(r"/(?P<repo>[\w.-]+/[\w.-]+)/(?:issues|pull)/(?P<n>\d+)/?$")


def parse_ref(value: object, github: str = "") -> int | None:
    """The number in a recorded ``OWNER/REPO#N`` (``#N``, ``gh-N``, ``N``, an issue URL);
    None for another repository's or for nothing.

    >>> [parse_ref(v, "python/cpython") for v in ("python/cpython#12", "gh-3", "7", "",
    ...   "https://github.com/python/cpython/issues/9", "other/repo#5")]
    [12, 3, 7, None, 9, None]
    """
    text = str(value or "").strip()
    match = _ISSUE_REF.match(text) or _ISSUE_URL.search(text)
    if not match:
        return None
    repo = match.group("repo")
    if repo and github and repo.lower() != github.lower():
        return None
    return int(match.group("n"))


def record_ref(github: str, number: int) -> str:
    return f"{github}#{number}" if github else f"#{number}"


def _ref_number(value: object, github: str) -> int | None:
    return parse_ref(value, github)


def read(patch: LoadedPatch, record: dict, meta: dict, github: str,
         issue_option: int | None = None, own_pr: int | None = None) -> Known:
    """What is known about ``patch`` from its header, its map ``record`` and the drafts'
    ``meta`` (``.patchq.json``); ``own_pr`` is a PR found on GitHub by patchq's branch."""
    h = hd.parse(patch.file)
    slug = patch.slug
    # the title
    recorded_subject = str(record.get("subject", "") or "").strip()
    title = cv.clean_title(recorded_subject or h.summary)
    title_source = "map" if recorded_subject else "patch"
    # the issue: the option, the map, the header, the issue an earlier --open opened
    issue: Found | None = None
    opened = meta.get("opened_issue")
    recorded = _ref_number(record.get("issue"), github)
    header_issues = [r for r in h.refs if r.kind is hd.RefKind.ISSUE and
                     (not github or not r.repo or r.repo.lower() == github.lower())]
    header_issue = h.issue(github)
    header_source = _where(next((r.source for r in header_issues if r.number == header_issue),
                                "")) if header_issue else ""
    if issue_option:
        issue = Found(issue_option, "--issue")
    elif recorded:
        issue = Found(recorded, header_source if recorded == header_issue else "the map")
    elif header_issue:
        issue = Found(header_issue, header_source)
    elif isinstance(opened, int) and opened > 0:
        issue = Found(opened, "the issue patchq opened")
    # the PR: the map, else the header; ours when an earlier --open opened it
    pr: Found | None = None
    recorded_pr = _ref_number(record.get("pr"), github)
    header_pr = h.pull(github)
    pr_source = _where(next((r.source for r in h.refs if r.kind is hd.RefKind.PR and
                             r.number == header_pr), "")) if header_pr else ""
    if recorded_pr:
        pr = Found(recorded_pr, pr_source if recorded_pr == header_pr else "the map")
    elif header_pr:
        pr = Found(header_pr, pr_source)
    opened_pr = meta.get("opened_pr") or own_pr
    pr_ours = pr is not None and (pr.value in (opened_pr, own_pr) or (
        pr.source == "the map" and bool(record.get("branch")) and not opened_pr))
    # the upstream commit it was taken from
    origin: Found | None = None
    recorded_origin = str(record.get("origin_commit", "") or "").strip()
    header_origin = h.origin_commit(github)
    origin_source = ""
    if header_origin:
        source = next(c.source for c in h.origin_commits if c.sha == header_origin)
        origin_source = "its cherry-pick line" if source == "cherry-pick" else \
            f"its {source}: header" if source != "From" else "its backport mail's own commit"
    if recorded_origin:
        origin = Found(recorded_origin, origin_source if recorded_origin == header_origin
                       else "the map's origin_commit")
    elif header_origin:
        origin = Found(header_origin, origin_source)
    gh = record.get("github", {}) if isinstance(record.get("github"), dict) else {}
    proposals = tuple(f"{p.get('pr', '')} ({p.get('state', '')}) {p.get('title', '')!r}"
                      for p in gh.get("proposed_prs", []) or [] if isinstance(p, dict))
    # the author and co-authors
    patch_author = person(f"{h.author_name} <{h.author_email}>") if h.author_email else None
    recorded_author = person(str(record.get("author", "") or ""))
    author = recorded_author or patch_author
    co: list[Person] = []
    if recorded_author and patch_author and \
            patch_author.email.lower() != recorded_author.email.lower():
        co.append(patch_author)
    for value in h.co_authors:
        someone = person(value)
        if someone is not None:
            co.append(someone)
    emails = {author.email.lower()} if author else set()
    co_authors = []
    for someone in co:
        if someone.email.lower() not in emails:
            emails.add(someone.email.lower())
            co_authors.append(someone)
    date_field = "Date" if h.field("Date") else ("Last-Update" if h.field("Last-Update") else "")
    own = [e for e in h.news if issue is None or e.issue == issue.value] or list(h.news)
    return Known(
        slug=slug, headers=h, title=title, title_source=title_source, issue=issue, pr=pr,
        pr_ours=pr_ours, origin=origin, proposals=proposals, author=author,
        co_authors=tuple(co_authors), tested_on=str(record.get("tested_on", "") or ""),
        ci=str(record.get("ci", "") or ""), patch_date=_date(h.date), date_field=date_field,
        own_news=own[0] if own else None)


def _where(source: str) -> str:
    """Where a header reference was found, in words.

    >>> _where("Bug-Upstream"), _where("subject"), _where("news")
    ('its Bug-Upstream: header', 'its subject', 'its own NEWS entry')
    """
    if source in ("subject", "title"):
        return "its subject"
    if source == "news":
        return "its own NEWS entry"
    return f"its {source}: header" if source else "its header"


def skip_reason(known: Known, github: str) -> str:
    """Why `draft --all` does not draft a patch that is upstreamable ("" to draft it)."""
    repo = github or "upstream"
    if known.pr is not None:
        whose = "opened by patchq; `patchq draft SLUG --open` updates it" if known.pr_ours \
            else f"named by {known.pr.source}"
        return f"has PR {repo}#{known.pr} ({whose.replace('SLUG', known.slug)})"
    if known.origin is not None:
        return f"taken from upstream commit {str(known.origin)[:12]} ({known.origin.source})"
    if known.proposals:
        return (f"sync proposed {'; '.join(known.proposals)}: if it is this change, "
                f"`patchq record {known.slug} pr=...`; else draft it alone")
    return ""


def refuse_single(known: Known, github: str) -> None:
    """`patchq draft SLUG` on a patch whose PR exists (not patchq's) or that is taken from
    upstream: one clear line instead of a duplicate."""
    repo = github or "upstream"
    if known.pr is not None and not known.pr_ours:
        raise AlreadyProposed(
            f"{known.slug} already has PR {repo}#{known.pr} ({known.pr.source}): nothing to "
            "propose",
            "`patchq sync` follows it; if it is not this change, remove it from the patch's "
            f"header (`patchq edit {known.slug}`) and the map (`patchq record {known.slug} "
            "pr=`)")
    if known.origin is not None:
        raise FromUpstream(
            f"{known.slug} is taken from upstream commit {str(known.origin)[:12]} "
            f"({known.origin.source}): nothing to propose",
            "`patchq status` tells whether the target has it; if it is a change of your own, "
            f"remove the origin from its header (`patchq edit {known.slug}`) and the map "
            f"(`patchq record {known.slug} origin_commit=`)")
