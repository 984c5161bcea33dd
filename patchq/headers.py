"""The whole header of a patch: every field and upstream reference it holds, wherever it
stands. Pure: a parsed patch file in, one frozen value out.

:mod:`patchq.patchfile` splits a patch into its header and diff and reads the description
the queue's commit gets; this module reads the header *closely*, for what a patch says about
upstream (docs/formats.md, "What patchq reads in a header"):

- the first set of fields (a mail header, a DEP-3 header, ``commit``/``Author:`` of
  ``git log``, dpatch's ``# DP:`` lines), folded lines unfolded, field names in any case;
- the second sets DEP-3 allows ("pseudo-headers": a paragraph of fields among the free text,
  after a multi-paragraph ``Description`` with `` .`` lines), git trailers
  (``Co-authored-by:``), and fields Debian writes after the ``---`` line and the diffstat;
- several mails stacked in one file (``From <sha>`` lines), each a commit;
- ``(cherry picked from commit X)`` lines, ``[3.x] gh-N: ... (GH-M)`` subjects;
- the patch's own NEWS entry: a file it adds under ``Misc/NEWS.d/next/``.

>>> h = parse_bytes(b"Description: Fix it\\n Why.\\n .\\n More.\\n\\nForwarded: not-needed\\n"
...                 b"\\n--- a/x\\n+++ b/x\\n@@ -1 +1 @@\\n-a\\n+b\\n")
>>> (h.layout.value, h.subject, h.body, h.forwarding.value)
('dep3', 'Fix it', 'Why.\\n\\nMore.', 'not-needed')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from . import header_layouts as hl
from . import patchfile
from .header_layouts import Commit, Field, Layout, Where

__all__ = ["Commit", "CommitRef", "Field", "Forwarding", "Headers", "Layout", "NewsEntry",
           "Ref", "RefKind", "Where", "forwarding", "news_entries", "parse", "parse_bytes",
           "subject_refs", "subject_summary"]
from .patchfile import PatchFile


class Forwarding(str, Enum):
    """DEP-3 ``Forwarded:``, read."""

    NONE = "none"  # no Forwarded field
    NOT_NEEDED = "not-needed"
    NO = "no"
    YES = "yes"
    ADDRESS = "address"  # forwarded to an address (a PR, an issue, a commit, a mail)
    OTHER = "other"


class RefKind(str, Enum):
    ISSUE = "issue"
    PR = "pr"
    BPO = "bpo"  # an issue of bugs.python.org (before CPython moved to GitHub)


@dataclass(frozen=True)
class Ref:
    """An upstream issue or PR the header names. ``repo`` is "" for ``gh-N`` in a subject
    (the upstream it is sent to); ``weak`` for a ``gh-N`` without its colon, which may be a
    PR's number."""

    kind: RefKind
    number: int
    repo: str
    source: str  # the field's name, "subject", "news"
    weak: bool = False


@dataclass(frozen=True)
class CommitRef:
    """An upstream commit the header names (``repo`` "" when it does not say)."""

    sha: str
    repo: str
    source: str  # "cherry-pick", the field's name, "From" (a backport mail's own commit)


@dataclass(frozen=True)
class NewsEntry:
    """A NEWS entry the patch adds (``Misc/NEWS.d/next/<section>/<stamp>.gh-issue-N.<nonce>.rst``)."""

    path: str
    section: str  # as blurb names it: Core_and_Builtins (older trees write "Core and Builtins")
    issue: int | None
    bpo: int | None
    text: str


@dataclass(frozen=True)
class Headers:
    """Everything a patch's header says, read once."""

    layout: Layout
    subject: str  # the first line of the description ("" when there is none)
    title: str  # the subject with the words its DEP-3 synopsis ran on into the next line
    body: str  # the free text, without any field line
    author_name: str
    author_email: str
    date: str  # as written
    fields: tuple[Field, ...]
    commits: tuple[Commit, ...]
    refs: tuple[Ref, ...]
    origin_commits: tuple[CommitRef, ...]
    co_authors: tuple[str, ...]
    branch: str  # "3.13" of a "[3.13] ..." backport subject, else ""
    news: tuple[NewsEntry, ...]

    def field(self, name: str) -> str | None:
        """The first field of this name (any case), None when there is none."""
        low = name.lower()
        return next((f.value for f in self.fields if f.key == low), None)

    @property
    def forwarded(self) -> str:
        return (self.field("Forwarded") or "").strip()

    @property
    def forwarding(self) -> Forwarding:
        return forwarding(self.forwarded) if self.field("Forwarded") is not None \
            else Forwarding.NONE

    @property
    def summary(self) -> str:
        """The title without ``[3.x]`` tags, ``gh-N:`` prefixes and trailing ``(GH-M)``.

        >>> parse_bytes(b"Subject: [3.13] gh-7: Do it (GH-8) (#9)\\nFrom: a@b\\n\\n").summary
        'Do it'
        """
        return subject_summary(self.title)

    def issues(self, github: str = "") -> tuple[int, ...]:
        """Issue numbers of ``github`` (any repository when ""), the most explicit first: a
        ``Bug*:``/``Forwarded:``/``Origin:`` link, the patch's NEWS entry, the subject."""
        return _numbers(self.refs, RefKind.ISSUE, github,
                        ("field", "news", "subject", "weak"))

    def pulls(self, github: str = "") -> tuple[int, ...]:
        """PR numbers: a ``Forwarded:``/``Origin:`` link first, then the subject's ``(GH-M)``
        from the last (the PR that made this commit) to the first."""
        found = list(_numbers(self.refs, RefKind.PR, github, ("field",)))
        for source in ("subject", "title"):
            found += reversed([r.number for r in self.refs
                               if r.kind is RefKind.PR and r.source == source])
        return tuple(dict.fromkeys(found))

    def issue(self, github: str = "") -> int | None:
        numbers = self.issues(github)
        return numbers[0] if numbers else None

    def pull(self, github: str = "") -> int | None:
        numbers = self.pulls(github)
        return numbers[0] if numbers else None

    def origin_commit(self, github: str = "") -> str:
        """The upstream commit this patch was taken from: a ``(cherry picked from commit X)``
        line, else a commit link of ``github`` in ``Origin:``/``Applied-Upstream:``/
        ``Forwarded:``, else the ``From <sha>`` of a ``[3.x] gh-N: ... (GH-M)`` backport mail."""
        for commit in self.origin_commits:
            if not github or not commit.repo or commit.repo.lower() == github.lower():
                return commit.sha
        return ""

    @property
    def bpo(self) -> tuple[int, ...]:
        return tuple(r.number for r in self.refs if r.kind is RefKind.BPO)


# -- references ------------------------------------------------------------------------------

_GITHUB = re.compile(r"https?://github\.com/([\w.-]+/[\w.-]+?)/(issues|pulls?|commit)/"
                     r"([0-9a-f]{7,40}|\d+)\b", re.IGNORECASE)
_BPO = re.compile(r"bugs\.python\.org/(?:issue)?(\d+)\b|\bbpo-(\d+)\b", re.IGNORECASE)
_CHERRY = re.compile(r"cherry[ -]picked from commits? ((?:[0-9a-f]{7,40}(?:,?\s+and\s+|,\s*)?)+)",
                     re.IGNORECASE)
_SHA = re.compile(r"\b[0-9a-f]{7,40}\b")
_BARE_COMMIT = re.compile(r"^(?:commit:?\s*)?([0-9a-f]{12,40})$", re.IGNORECASE)
_TAGS = re.compile(r"^\s*((?:\[[^\]]*\]\s*)*)")
_BRANCH_TAG = re.compile(r"\[(\d+\.\d+)\]")
_LEADING = re.compile(r"^(?:(gh|bpo)-(\d+)(:|,|\s))\s*", re.IGNORECASE)
_TRAILING = re.compile(r"\s*\((?:gh-|#)(\d+)\)\s*$", re.IGNORECASE)


def forwarding(value: str) -> Forwarding:
    """DEP-3 ``Forwarded:`` as a kind.

    >>> [forwarding(v).value for v in ("not-needed.", "No", "yes", "https://x/pull/1", "maybe")]
    ['not-needed', 'no', 'yes', 'address', 'other']
    """
    low = value.strip().lower().rstrip(".").strip()
    if low in ("not-needed", "not needed", "no-needed", "notneeded", "not-need"):
        return Forwarding.NOT_NEEDED
    if low == "no":
        return Forwarding.NO
    if low == "yes":
        return Forwarding.YES
    if re.match(r"^(https?://|mailto:|<?[^\s@]+@[^\s@]+>?$)", low):
        return Forwarding.ADDRESS
    return Forwarding.OTHER if low else Forwarding.NONE


def subject_refs(subject: str) -> tuple[str, list[Ref]]:
    """(branch, refs) of a CPython-style subject: ``[3.x]``, leading ``gh-N:``/``bpo-N:``
    (issues; ``gh-N`` without a colon is weak), trailing ``(GH-M)``/``(#M)`` (PRs, in order).

    >>> branch, refs = subject_refs("[3.11] gh-113171: gh-65056: Fix it (GH-113179) (#118227)")
    >>> branch, [(r.kind.value, r.number, r.weak) for r in refs]
    ('3.11', [('issue', 113171, False), ('issue', 65056, False), ('pr', 113179, False), ('pr', 118227, False)])
    """
    tags = _TAGS.match(subject)
    head = tags.group(1) if tags else ""
    branch_match = _BRANCH_TAG.search(head)
    branch = branch_match.group(1) if branch_match else ""
    rest = subject[len(head):]
    refs: list[Ref] = []
    while True:
        match = _LEADING.match(rest)
        if not match:
            break
        kind = RefKind.BPO if match.group(1).lower() == "bpo" else RefKind.ISSUE
        refs.append(Ref(kind, int(match.group(2)), "", "subject",
                        weak=match.group(3).isspace()))
        rest = rest[match.end():]
        if match.group(3) == ",":  # "gh-1, CVE 2026-3644: Reject..."
            rest = re.sub(r"^[^:]{0,40}:\s*", "", rest, count=1)
    pulls: list[int] = []
    while True:
        match = _TRAILING.search(rest)
        if not match:
            break
        pulls.insert(0, int(match.group(1)))
        rest = rest[:match.start()]
    refs += [Ref(RefKind.PR, n, "", "subject") for n in pulls]
    return branch, refs


def subject_summary(subject: str) -> str:
    """A subject without its tags, issue prefixes and trailing PR numbers.

    >>> subject_summary("gh-122917 Allow stable API extensions")
    'Allow stable API extensions'
    """
    rest = _TAGS.sub("", subject, count=1)
    while True:
        match = _LEADING.match(rest)
        if not match:
            break
        rest = rest[match.end():]
        if match.group(3) == ",":
            rest = re.sub(r"^[^:]{0,40}:\s*", "", rest, count=1)
    while _TRAILING.search(rest):
        rest = _TRAILING.sub("", rest, count=1)
    return rest.strip()


def _field_refs(fields: Iterable[Field]) -> tuple[list[Ref], list[CommitRef]]:
    refs: list[Ref] = []
    commits: list[CommitRef] = []
    for f in fields:
        if not (f.key.startswith("bug") or f.key in ("forwarded", "origin",
                                                     "applied-upstream", "fixes", "closes",
                                                     "link")):
            continue
        if f.key == "origin" and f.value.strip().lower().startswith("vendor"):
            continue  # DEP-3 "vendor": the downstream's own change, not upstream's
        for repo, kind, number in _GITHUB.findall(f.value):
            kind = kind.lower()
            if kind == "commit":
                commits.append(CommitRef(number, repo, f.name))
            elif number.isdigit():
                refs.append(Ref(RefKind.ISSUE if kind == "issues" else RefKind.PR,
                                int(number), repo, f.name))
        for one, two in _BPO.findall(f.value):
            refs.append(Ref(RefKind.BPO, int(one or two), "", f.name))
        bare = _BARE_COMMIT.match(f.value.strip())
        if bare and f.key in ("applied-upstream", "origin"):
            commits.append(CommitRef(bare.group(1), "", f.name))
    return refs, commits


def _cherry_picks(texts: Iterable[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        for match in _CHERRY.finditer(text):
            found += _SHA.findall(match.group(1))
    return list(dict.fromkeys(found))


# -- NEWS entries ----------------------------------------------------------------------------

_NEWS_PATH = re.compile(r"(Misc/NEWS\.d/next/([^/]+)/[^/]*?\b(?:gh-issue|bpo)-(\d+)[^/]*\.rst)$")
_SECTIONS = {"core and builtins": "Core_and_Builtins", "c api": "C_API",
             "tools/demos": "Tools-Demos"}


def _news_path(line: str) -> str:
    """The path of a ``+++``/``---`` line from ``Misc/NEWS.d/`` on ("" when it is not one)."""
    path = line[4:].split("\t", 1)[0].rstrip()
    if path.startswith('"') and path.endswith('"'):
        path = path[1:-1]
    at = path.find("Misc/NEWS.d/next/")
    return path[at:] if at >= 0 else ""


def news_entries(diff: bytes) -> tuple[NewsEntry, ...]:
    """The NEWS entries a diff adds (new files under ``Misc/NEWS.d/next/``).

    >>> d = (b"--- /dev/null\\n+++ b/Misc/NEWS.d/next/Core and Builtins/2023-07-18-16-13-51."
    ...      b"gh-issue-106092.bObgRM.rst\\n@@ -0,0 +1,2 @@\\n+Fix a crash in\\n+frame_dealloc.\\n")
    >>> [(e.section, e.issue, e.text) for e in news_entries(d)]
    [('Core_and_Builtins', 106092, 'Fix a crash in\\nframe_dealloc.')]
    """
    lines = diff.decode("utf-8", "replace").splitlines()
    out: list[NewsEntry] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("+++ ") and i > 0 and lines[i - 1].startswith("--- "):
            path = _news_path(line)
            new = lines[i - 1][4:].split("\t", 1)[0].strip() == "/dev/null" or \
                (i + 1 < len(lines) and lines[i + 1].startswith("@@ -0,0 "))
            match = _NEWS_PATH.search(path) if path and new else None
            if match:
                text = []
                j = i + 1
                while j < len(lines) and not lines[j].startswith(("--- ", "diff ", "Index: ")):
                    if lines[j].startswith("+"):
                        text.append(lines[j][1:])
                    j += 1
                section = _SECTIONS.get(match.group(2).lower(), match.group(2))
                issue = int(match.group(3)) if "gh-issue-" in path else None
                bpo = int(match.group(3)) if issue is None else None
                out.append(NewsEntry(match.group(1), section, issue, bpo,
                                     "\n".join(text).strip()))
                i = j
                continue
        i += 1
    return tuple(out)


# -- the whole header --------------------------------------------------------------------------


_BACKPORT = re.compile(r"^\s*\[\d+\.\d+\]\s*(?:gh|GH)-\d+\b.*\((?:GH-|gh-|#)\d+\)\s*$")


def _reading(pf: PatchFile) -> tuple[hl.Reading, list[hl.Reading]]:
    text = patchfile._header_text(pf.header)
    chunks = hl.split_mails(hl.lines(text))
    first = hl.read(chunks[0])
    others = [hl.read(chunk) for chunk in chunks[1:]]
    # a later mail can follow the diff of the one before it
    later = hl.lines(pf.diff.decode("utf-8", "replace"), 1 + text.count("\n"))
    for chunk in hl.split_mails(later)[1:]:
        if hl.MBOX_FROM.match(chunk[0].text):
            end = next((i for i, _ in enumerate(chunk) if hl.diff_starts(chunk, i)),
                       len(chunk))
            others.append(hl.read(chunk[:end]))
    return first, others


def parse(pf: PatchFile) -> Headers:
    """Read the whole header of a parsed patch file."""
    first, others = _reading(pf)
    fields = list(first.fields)
    for other in others:
        fields += other.fields
    subject = first.subject
    title = first.title or subject
    body_lines = list(first.description or [])
    if first.text:
        if body_lines:
            body_lines.append("")
        body_lines += first.text
    body = "\n".join(line.rstrip() for line in body_lines).strip("\n")
    body = re.sub(r"\n{3,}", "\n\n", body)
    name, email = _author(first.author)
    if "\u2026" in title and body:  # GitHub cut a long title; the body holds it whole
        cut = title.split("\u2026", 1)[0].rstrip()
        line, _, rest = body.partition("\n")
        if cut and line.startswith(cut) and len(line) > len(cut):
            title, body = line.strip(), rest.strip("\n")

    refs: list[Ref] = []
    field_refs, commits = _field_refs(fields)
    refs += field_refs
    news = news_entries(pf.diff)
    refs += [Ref(RefKind.ISSUE, e.issue, "", "news") for e in news if e.issue]
    refs += [Ref(RefKind.BPO, e.bpo, "", "news") for e in news if e.bpo]
    branch, own = subject_refs(subject)
    if title != subject:
        own += [Ref(r.kind, r.number, r.repo, "title", r.weak) for r in subject_refs(title)[1]
                if r.number not in {o.number for o in own}]
    pr_numbers = {r.number for r in refs if r.kind is RefKind.PR}
    for ref in own:
        if ref.weak and ref.number in pr_numbers:  # "gh-122917 Allow..." names its PR
            ref = Ref(RefKind.PR, ref.number, "", "subject")
        refs.append(ref)
    for other in others:
        refs += [r for r in subject_refs(other.subject)[1] if r.kind is not RefKind.PR]
    texts = [subject, body] + [f.value for f in fields] + \
        [o.subject + "\n" + "\n".join(o.text or []) for o in others]
    picks = [CommitRef(sha, "", "cherry-pick") for sha in _cherry_picks(texts)]
    all_commits = first.commits + [c for o in others for c in o.commits]
    backport = [CommitRef(c.sha, "", "From") for c in all_commits[:1]
                if c.sha and len(c.sha) == 40 and _BACKPORT.match(c.subject)]
    origin = list(dict.fromkeys(picks + commits + backport))
    co_authors = tuple(dict.fromkeys(f.value for f in fields if f.key == "co-authored-by"))
    return Headers(
        layout=first.layout, subject=subject, title=title, body=body, author_name=name,
        author_email=email, date=first.date, fields=tuple(fields), commits=tuple(all_commits),
        refs=tuple(dict.fromkeys(refs)), origin_commits=tuple(origin), co_authors=co_authors,
        branch=branch, news=news)


def _author(value: str) -> tuple[str, str]:
    """(name, address) of an author field; a bare name stays whole.

    >>> _author("Samuel Thibault"), _author('"Miss Islington (bot)" <m@i>')
    (('Samuel Thibault', ''), ('Miss Islington (bot)', 'm@i'))
    """
    value = " ".join(value.split())
    if not value:
        return "", ""
    if "@" not in value:
        return value, ""
    return patchfile._split_author(value)


def parse_bytes(data: bytes, fallback_subject: str = "") -> Headers:
    return parse(patchfile.parse(data, fallback_subject))


def _numbers(refs: Iterable[Ref], kind: RefKind, github: str,
             order: tuple[str, ...]) -> tuple[int, ...]:
    def rank(ref: Ref) -> str:
        if ref.source in ("subject", "title", "news"):
            return "weak" if ref.weak else ("news" if ref.source == "news" else "subject")
        return "field"

    chosen = [r for r in refs if r.kind is kind and
              (not github or not r.repo or r.repo.lower() == github.lower())]
    ordered = sorted(chosen, key=lambda r: order.index(rank(r)) if rank(r) in order else 99)
    return tuple(dict.fromkeys(r.number for r in ordered if rank(r) in order))
