"""Which issues an upstream commit's release notes list as fixed: CPython's ``Misc/NEWS`` (a
release tarball's), ``Misc/NEWS.d/<version>.rst`` and ``Misc/NEWS.d/next/`` (a git checkout's)
and ``Doc/whatsnew/``. The rebase quotes them as evidence for a backport whose fix upstream
rewrote (docs/upstream_map.md, "Declared identity").

Parsing is pure (:func:`patterns`, :func:`entries_from_grep`, :func:`next_entries`); one
:class:`ReleaseNotes` reads one commit with one ``git grep`` per batch of issues.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .git import Git, grep_tree, tree_paths

NOTES = ("Misc/NEWS", "Misc/NEWS.d", "Doc/whatsnew")
NEXT = "Misc/NEWS.d/next"
_HEADER = "^What's New [Ii]n Python "
_HEADER_TEXT = re.compile(r"^What's New [Ii]n Python (.+?)\??\s*$")
_ENTRY = re.compile(r"^- ((?:gh|bpo)-\d+)(?:, (?:gh|bpo)-\d+)*:\s*(.*)$")
_NEWS_D = re.compile(r"^\.\. (gh-issue|bpo): (\d+)\s*$")
_WHATSNEW = re.compile(r":(gh|issue):`(\d+)`")
_RELEASE_FILE = re.compile(r"^Misc/NEWS\.d/([^/]+)\.rst$")
_NEXT_FILE = re.compile(r"\.(gh-issue|bpo)-(\d+)\.")


@dataclass(frozen=True)
class NewsEntry:
    """One place the notes list an issue."""

    issue: str    # "gh-91133"
    release: str  # "3.13.0 alpha 3", "3.13.0a3", "next (unreleased)", "3.13" (whatsnew)
    path: str
    line: int = 0
    text: str = ""  # the entry's first line, when the notes have it there

    def where(self) -> str:
        shown = f'"{self.text[:72]}{"..." if len(self.text) > 72 else ""}"' if self.text else ""
        return f"{self.path} ({self.release})" + (f": {shown}" if shown else "")


def _split(issues: Iterable[str]) -> tuple[list[str], list[str]]:
    gh = [i[3:] for i in issues if i.startswith("gh-") and i[3:].isdigit()]
    bpo = [i[4:] for i in issues if i.startswith("bpo-") and i[4:].isdigit()]
    return gh, bpo


def patterns(issues: Sequence[str]) -> list[str]:
    """The ``git grep -E`` patterns that find ``issues`` in the notes (and, in Misc/NEWS, the
    release headers that say under which release an entry stands).

    >>> patterns(["gh-91133", "bpo-4"])[1:]
    ['^- (gh-(91133)|bpo-(4))\\\\b', '^\\\\.\\\\. (gh-issue: (91133)|bpo: (4))\\\\s*$', ':(gh:`(91133)|issue:`(4))`']
    """
    gh, bpo = _split(issues)
    if not gh and not bpo:
        return []
    entry = "|".join(([f"gh-({'|'.join(gh)})"] if gh else []) +
                     ([f"bpo-({'|'.join(bpo)})"] if bpo else []))
    block = "|".join(([f"gh-issue: ({'|'.join(gh)})"] if gh else []) +
                     ([f"bpo: ({'|'.join(bpo)})"] if bpo else []))
    role = "|".join(([f"gh:`({'|'.join(gh)})"] if gh else []) +
                    ([f"issue:`({'|'.join(bpo)})"] if bpo else []))
    return [_HEADER, f"^- ({entry})\\b", f"^\\.\\. ({block})\\s*$", f":({role})`"]


def entries_from_grep(hits: Sequence[tuple[str, int, str]], issues: Sequence[str]
                      ) -> list[NewsEntry]:
    """The entries listing ``issues`` among ``git grep`` hits of :func:`patterns`.

    >>> hits = [("Misc/NEWS", 5, "What's New in Python 3.13.0 alpha 3?"),
    ...         ("Misc/NEWS", 9, "- gh-91133: Fix a bug in tempfile cleanup"),
    ...         ("Misc/NEWS.d/3.12.0a1.rst", 40, ".. gh-issue: 91133"),
    ...         ("Doc/whatsnew/3.12.rst", 7, "(Contributed by X in :gh:`91133`.)")]
    >>> [(e.release, e.path, e.text) for e in entries_from_grep(hits, ["gh-91133"])]
    [('3.13.0 alpha 3', 'Misc/NEWS', 'Fix a bug in tempfile cleanup'), ('3.12.0a1', 'Misc/NEWS.d/3.12.0a1.rst', ''), ('3.12', 'Doc/whatsnew/3.12.rst', '(Contributed by X in :gh:`91133`.)')]
    """
    wanted = set(issues)
    release_at: dict[str, list[tuple[int, str]]] = {}
    for path, line, text in hits:
        header = _HEADER_TEXT.match(text)
        if header:
            release_at.setdefault(path, []).append((line, header.group(1).strip()))
    out: list[NewsEntry] = []
    for path, line, text in hits:
        entry = _ENTRY.match(text)
        if entry:
            for issue in re.findall(r"(?:gh|bpo)-\d+", text.split(":", 1)[0]):
                if issue in wanted:
                    before = [name for at, name in release_at.get(path, []) if at < line]
                    out.append(NewsEntry(issue, before[-1] if before else "?", path, line,
                                         entry.group(2).strip()))
            continue
        block = _NEWS_D.match(text)
        if block:
            issue = ("gh-" if block.group(1) == "gh-issue" else "bpo-") + block.group(2)
            release = _RELEASE_FILE.match(path)
            if issue in wanted:
                out.append(NewsEntry(issue, release.group(1) if release else "next (unreleased)",
                                     path, line))
            continue
        if path.startswith("Doc/whatsnew/"):
            for role, number in _WHATSNEW.findall(text):
                issue = ("gh-" if role == "gh" else "bpo-") + number
                if issue in wanted:
                    name = path.rsplit("/", 1)[-1].removesuffix(".rst")
                    out.append(NewsEntry(issue, name, path, line, text.strip()))
    return out


def next_entries(paths: Iterable[str], issues: Sequence[str]) -> list[NewsEntry]:
    """Unreleased entries (``Misc/NEWS.d/next/<section>/<date>.gh-issue-N.<nonce>.rst``).

    >>> [e.issue for e in next_entries(["Misc/NEWS.d/next/Library/2023.gh-issue-91133.x.rst"],
    ...                                ["gh-91133"])]
    ['gh-91133']
    """
    wanted = set(issues)
    out = []
    for path in paths:
        match = _NEXT_FILE.search(path)
        if match:
            issue = ("gh-" if match.group(1) == "gh-issue" else "bpo-") + match.group(2)
            if issue in wanted:
                out.append(NewsEntry(issue, "next (unreleased)", path))
    return out


class ReleaseNotes:
    """The release notes of one commit (``name`` is how to call it: "v3.13.5"), asked about
    any number of issues; answers are remembered."""

    def __init__(self, git: Git, commit: str, name: str) -> None:
        self.git = git
        self.commit = commit
        self.name = name
        self._found: dict[str, list[NewsEntry]] = {}
        self._next: list[str] | None = None

    def find(self, issues: Iterable[str]) -> dict[str, list[NewsEntry]]:
        wanted = list(dict.fromkeys(issues))
        missing = [i for i in wanted if i not in self._found]
        if missing:
            hits = grep_tree(self.git, self.commit, patterns(missing), NOTES)
            if self._next is None:
                self._next = tree_paths(self.git, self.commit, [NEXT])
            for issue in missing:
                self._found[issue] = []
            for entry in entries_from_grep(hits, missing) + next_entries(self._next, missing):
                self._found[entry.issue].append(entry)
        return {i: self._found[i] for i in wanted}
