"""Finding a patch's change in upstream (docs/design.md §5). Used by rebase and status.

Methods, cheapest first; every finding says which one found it:

1. ``patch-id``: ``git patch-id --stable`` equality with a commit of the range;
2. ``hunks``: the same at hunk level (upstream adds NEWS and tests beside the fix): every
   ``+``/``-`` hunk is looked for in the ref's tree (at its place, or with moved context) and
   in the commits of the range;
3. ``reverse-apply``: the patch's reverse applies to the ref and the patch itself does not;
4. links in commit messages: ``(cherry picked from commit X)``, ``GH-N``/``gh-N``, a
   recorded PR whose merge commit is reachable;
5. the PR's state on GitHub (recorded by ``patchq sync``).

The tree decides the state: a hunk whose pre-image is still in the ref's tree is absent,
whatever a commit message or an older commit says (a change upstream reverted later reads
absent). Links and GitHub state are evidence shown beside the state, never a state by
themselves. A patch is *present* when every hunk outside tests and release notes is in the
ref (upstream rewrites those; they are still counted in ``hunks_present``/``hunks_total``),
*partial* when some hunk is, *absent* otherwise. Patches given together are a series: a hunk
whose new lines a later patch replaces counts when that later patch's hunk is in the ref.

A :class:`Detector` indexes one ref once (and the commits of ``since..ref`` touching the
patches' files), then answers for any number of patches; :meth:`Detector.find_all` batches
the git calls, so 100 patches cost a handful of git processes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from .git import DIFF_CONFIG, Git
from .model import Evidence, Method, UpstreamState

__all__ = ["Detector", "Evidence", "Finding", "Links", "Method", "PatchChange", "Verdict"]


class Verdict(str, Enum):
    """What the ref says of one hunk."""

    IN = "in"            # its change is there
    OUT = "out"          # its pre-image is there: the change is not
    UNKNOWN = "unknown"  # neither could be found (the code moved or changed)


@dataclass(frozen=True)
class HunkResult:
    """One hunk of a patch in one ref: where it is, and how that was found."""

    path: str
    header: str  # "@@ -38,7 +38,11 @@" or "binary" / "rename" for files without hunks
    verdict: Verdict
    how: str = ""  # "in place", "moved", "changed since", "range", "release notes"...
    commits: tuple[str, ...] = ()

    @property
    def accessory(self) -> bool:
        return is_accessory(self.path)

    def as_json(self) -> dict:
        return {"path": self.path, "header": self.header, "verdict": self.verdict.value,
                "how": self.how, "commits": list(self.commits)}


@dataclass(frozen=True)
class Finding:
    slug: str
    ref: str
    state: UpstreamState
    evidence: tuple[Evidence, ...] = ()
    hunks_total: int = 0
    hunks_present: int = 0
    hunks: tuple[HunkResult, ...] = ()
    ref_commit: str = ""
    notes: tuple[str, ...] = ()

    @property
    def method(self) -> Method | None:
        """The method that found the change (None when absent and nothing links it)."""
        return self.evidence[0].method if self.evidence else None

    def as_json(self) -> dict:
        return {"slug": self.slug, "ref": self.ref, "state": self.state.value,
                "evidence": [e.as_json() for e in self.evidence],
                "hunks_total": self.hunks_total, "hunks_present": self.hunks_present,
                "ref_commit": self.ref_commit, "notes": list(self.notes),
                "hunks": [h.as_json() for h in self.hunks]}

    def as_map(self, checked_at: str) -> dict:
        """The fields of ``patches.<slug>.tracks."<track>".upstream."<ref>"``
        (docs/upstream_map.md)."""
        return {"state": self.state.value,
                "evidence": [e.as_json() for e in self.evidence],
                "hunks_total": self.hunks_total, "hunks_present": self.hunks_present,
                "checked_at": checked_at, "ref_commit": self.ref_commit}


@dataclass(frozen=True)
class PatchChange:
    """What detection needs of a patch: its queue commit (the patch applied on its parent),
    its message and its map record (issue, pr...)."""

    slug: str
    commit: str
    message: str = ""
    record: Mapping = field(default_factory=dict)


# git's diff options pinned for detection; ``git log`` refuses an empty diff.orderFile, so
# that pair is left out (diff-tree ignores the setting anyway).
_LOG_CONFIG = tuple(x for pair in zip(DIFF_CONFIG[::2], DIFF_CONFIG[1::2])
                    if not pair[1].startswith("diff.orderFile") for x in pair)


def _patch_ids(git: Git, diff_text: bytes) -> dict[str, str]:
    """patch-id -> commit id for every commit in a ``git log -p`` output."""
    if not diff_text.strip():
        return {}
    res = git.run("patch-id", "--stable", input=diff_text)
    out: dict[str, str] = {}
    for line in res.stdout.decode().splitlines():
        pid, _, commit = line.partition(" ")
        out.setdefault(pid, commit)
    return out


# -- reading git's diffs ------------------------------------------------------------------------
#
# A small scanner for the diffs git itself prints (``diff-tree -p``, ``log -p``): it works on
# bytes, keeps commits apart and is about fifteen times faster than a general parser on the
# thousands of commits of an upstream range.

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_COMMIT_LINE = re.compile(rb"^commit ([0-9a-f]{40})\b")
_OCTAL = re.compile(rb"\\([0-7]{3}|.)")
_ESCAPES = {b"n": b"\n", b"t": b"\t", b'"': b'"', b"\\": b"\\", b"a": b"\a", b"b": b"\b",
            b"f": b"\f", b"r": b"\r", b"v": b"\v"}


def _unquote(path: bytes) -> str:
    """A path as git prints it (C-quoted when unusual), without its a/ or b/ prefix.

    >>> _unquote(b'"b/caf\\\\303\\\\251.txt"'), _unquote(b"a/Lib/x.py")
    ('café.txt', 'Lib/x.py')
    """
    path = path.rstrip(b"\t")
    if path.startswith(b'"') and path.endswith(b'"'):
        path = _OCTAL.sub(lambda m: bytes([int(m.group(1), 8)]) if len(m.group(1)) == 3
                          else _ESCAPES.get(m.group(1), m.group(1)), path[1:-1])
    text = path.decode("utf-8", "surrogateescape")
    if text == "/dev/null":
        return ""
    return text[2:] if text[:2] in ("a/", "b/") else text


@dataclass(frozen=True)
class Hunk:
    header: str
    lines: tuple[tuple[int, bytes], ...]  # (tag, text): tag is ord(" "), ord("-") or ord("+")

    @property
    def before(self) -> tuple[bytes, ...]:
        return tuple(t for tag, t in self.lines if tag != _PLUS)

    @property
    def after(self) -> tuple[bytes, ...]:
        return tuple(t for tag, t in self.lines if tag != _MINUS)

    def blocks(self) -> list[Block]:
        """The runs of changed lines, each with the context line on either side."""
        out: list[Block] = []
        lines = self.lines
        i = 0
        while i < len(lines):
            if lines[i][0] == _SPACE:
                i += 1
                continue
            start = i
            while i < len(lines) and lines[i][0] != _SPACE:
                i += 1
            removed = tuple(t for tag, t in lines[start:i] if tag == _MINUS)
            added = tuple(t for tag, t in lines[start:i] if tag == _PLUS)
            lead = []
            j = start - 1
            while j >= 0 and lines[j][0] == _SPACE and len(lead) < 3:
                lead.insert(0, lines[j][1])
                j -= 1
            trail = []
            j = i
            while j < len(lines) and lines[j][0] == _SPACE and len(trail) < 3:
                trail.append(lines[j][1])
                j += 1
            out.append(Block(removed, added, tuple(lead), tuple(trail)))
        return out


@dataclass(frozen=True)
class Block:
    removed: tuple[bytes, ...]
    added: tuple[bytes, ...]
    lead: tuple[bytes, ...]  # up to three context lines just before
    trail: tuple[bytes, ...]  # up to three context lines just after

    def key(self) -> tuple:
        return (self.removed, self.added)


@dataclass
class FileDiff:
    old_path: str = ""  # "" for a new file
    new_path: str = ""  # "" for a deleted file
    binary: bool = False
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path


_SPACE, _MINUS, _PLUS = ord(" "), ord("-"), ord("+")


def _norm(line: bytes) -> bytes:
    return line.rstrip()


_SECTION = re.compile(rb"^(?:commit ([0-9a-f]{40})\b.*|diff --git (.*))$", re.MULTILINE)


def parse_git_diff(data: bytes, paths: set[str] | None = None
                   ) -> list[tuple[str, list[FileDiff]]]:
    """Split git's diff output into commits (``commit <sha>`` lines) and files with hunks.
    Lines are kept without their newline and trailing blanks. Output without commit lines
    gives one commit named "". With ``paths``, files touching none of them are skipped
    (their text is never looked at line by line).

    >>> diff = (b"commit " + b"1" * 40 + b"\\ndiff --git a/x b/x\\n--- a/x\\n+++ b/x\\n"
    ...         b"@@ -1,2 +1,2 @@\\n a\\n-b\\n+c\\n")
    >>> [(sha[:4], [(f.path, [h.lines for h in f.hunks]) for f in files])
    ...  for sha, files in parse_git_diff(diff)]
    [('1111', [('x', [((32, b'a'), (45, b'b'), (43, b'c'))])])]
    """
    commits: list[tuple[str, list[FileDiff]]] = []
    files: list[FileDiff] = []
    marks = list(_SECTION.finditer(data))
    for number, mark in enumerate(marks):
        if mark.group(1) is not None:
            files = []
            commits.append((mark.group(1).decode(), files))
            continue
        end = marks[number + 1].start() if number + 1 < len(marks) else len(data)
        current = FileDiff()
        rest = mark.group(2)
        if not rest.startswith(b'"') and b" b/" in rest:
            old, _, new = rest.partition(b" b/")
            current.old_path = _unquote(old)
            current.new_path = new.decode("utf-8", "surrogateescape")
            if paths is not None and current.old_path not in paths and \
                    current.new_path not in paths:
                continue
        if not commits:
            commits.append(("", files))
        _parse_file(data[mark.end() + 1:end].split(b"\n"), current)
        if paths is not None and current.old_path not in paths and current.new_path not in paths:
            continue
        files.append(current)
    return commits


def _parse_file(lines: list[bytes], current: FileDiff) -> None:
    """The lines of one ``diff --git`` section (after its first line) into ``current``."""
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if line.startswith(b"--- "):
            current.old_path = _unquote(line[4:])
        elif line.startswith(b"+++ "):
            current.new_path = _unquote(line[4:])
        elif line.startswith(b"new file mode"):
            current.old_path = ""
        elif line.startswith(b"deleted file mode"):
            current.new_path = ""
        elif line.startswith((b"rename from ", b"copy from ")):
            current.old_path = _unquote(line.split(b" from ", 1)[1])
        elif line.startswith((b"rename to ", b"copy to ")):
            current.new_path = _unquote(line.split(b" to ", 1)[1])
        elif line.startswith((b"Binary files ", b"GIT binary patch")):
            current.binary = True
        elif line.startswith(b"@@ "):
            match = _HUNK.match(line)
            if not match:
                continue
            old_count = int(match.group(2)) if match.group(2) is not None else 1
            new_count = int(match.group(4)) if match.group(4) is not None else 1
            body: list[tuple[int, bytes]] = []
            while i < n and (old_count > 0 or new_count > 0):
                text = lines[i]
                i += 1
                tag = text[0] if text else _SPACE
                if tag == ord("\\"):
                    continue
                if tag == _SPACE:
                    old_count -= 1
                    new_count -= 1
                elif tag == _MINUS:
                    old_count -= 1
                elif tag == _PLUS:
                    new_count -= 1
                else:
                    i -= 1
                    break
                body.append((tag, _norm(text[1:])))
            header = match.group(0).decode("ascii", "replace")
            current.hunks.append(Hunk(header, tuple(body)))


# -- looking for lines in a file ----------------------------------------------------------------


def _significant(line: bytes) -> bool:
    """A line that says something on its own (not blank, not a lone brace)."""
    text = line.strip()
    return len(text) >= 3 and any(c.isalnum() for c in text.decode("utf-8", "replace"))


_TRAILING_BLANK = re.compile(rb"[ \t\r\x0b\x0c](?:\n|\Z)")


class FileText:
    """One file of the ref, lines without trailing blanks, for contiguous-line look-ups
    (one substring search in C per question, no index to build).

    >>> text = FileText(b"one  \\r\\ntwo\\nthree")
    >>> text.find([b"one", b"two"]), text.find([b"two", b"three"]), text.find([b"tw"])
    (True, True, False)
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        body = data
        if _TRAILING_BLANK.search(data):  # CRLF files, stray blanks: strip line by line
            body = b"\n".join(line.rstrip() for line in data.split(b"\n"))
        self._blob = b"\n" + body + (b"" if body.endswith(b"\n") else b"\n")
        self._normalized: str | None = None

    def find(self, seq: Sequence[bytes]) -> bool:
        """Does ``seq`` occur as consecutive lines?"""
        if not seq:
            return True
        return b"\n" + b"\n".join(seq) + b"\n" in self._blob

    def normalized_text(self) -> str:
        """The text with every run of white space made one space (for re-wrapped prose)."""
        if self._normalized is None:
            self._normalized = " ".join(self.data.decode("utf-8", "replace").split())
        return self._normalized


def _strong(seq: Sequence[bytes]) -> bool:
    return any(map(_significant, seq))


def _block_verdict(block: Block, text: FileText) -> Verdict:
    """One changed run whose hunk's context moved: its new lines beside a line of their
    context (IN), or its old lines still between their context (OUT)."""
    lead1, trail1 = block.lead[-1:], block.trail[:1]
    old = block.lead + block.removed + block.trail
    pre = _strong(old) and text.find(old)
    if block.added:
        post = any(_strong(seq) and text.find(seq)
                   for seq in (lead1 + block.added, block.added + trail1))
        core = _trim(block.added)
        if not post and _distinctive(core):
            post = text.find(core)  # a long, distinctive addition found anywhere
    else:  # a pure removal: the lines around it now touch, and the lines are gone
        joined = lead1 + trail1
        post = _strong(joined) and text.find(joined) if joined else True
        if _strong(block.removed) and text.find(block.removed):
            post = False
    if post and not pre:
        return Verdict.IN
    if pre and not post:
        return Verdict.OUT
    return Verdict.UNKNOWN


def _trim(seq: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Without blank lines at either end."""
    start, end = 0, len(seq)
    while start < end and not seq[start].strip():
        start += 1
    while end > start and not seq[end - 1].strip():
        end -= 1
    return seq[start:end]


def _distinctive(seq: tuple[bytes, ...]) -> bool:
    """Lines unlikely to be anywhere by chance: two or more significant ones, 40+ bytes."""
    lines = [t for t in seq if _significant(t)]
    return len(lines) >= 2 and sum(len(t.strip()) for t in lines) >= 40


def hunk_verdict(hunk: Hunk, text: FileText | None, new_file: bool = False,
                 deleted: bool = False) -> tuple[Verdict, str]:
    """What ``text`` (the ref's version of the hunk's file, None when it has none) says of
    ``hunk``, and how: 'in place' (the post-image with its context) or 'moved' (each changed
    run found beside a line of its context).

    >>> h = parse_git_diff(b"diff --git a/f b/f\\n--- a/f\\n+++ b/f\\n@@ -1,3 +1,3 @@\\n"
    ...                    b" one\\n-two\\n+TWO\\n three\\n")[0][1][0].hunks[0]
    >>> [hunk_verdict(h, FileText(t))[0].value for t in
    ...  (b"one\\nTWO\\nthree\\n", b"one\\ntwo\\nthree\\n", b"zero\\none\\nTWO\\nthree!\\n", b"x\\n")]
    ['in', 'out', 'in', 'unknown']
    """
    if text is None:
        if deleted:
            return Verdict.IN, "file removed"
        return (Verdict.OUT, "no such file") if new_file else (Verdict.UNKNOWN, "no such file")
    if deleted:
        return (Verdict.OUT, "file still there") if text.find(hunk.before) else \
            (Verdict.UNKNOWN, "file changed")
    before, after = hunk.before, hunk.after
    post = text.find(after)
    pre = bool(before) and text.find(before)
    if post and not pre:
        return Verdict.IN, "in place"
    if pre and not post:
        return Verdict.OUT, "not applied"
    if new_file:
        return Verdict.UNKNOWN, "file differs"
    verdicts = [_block_verdict(b, text) for b in hunk.blocks()]
    if verdicts and all(v is Verdict.IN for v in verdicts):
        return Verdict.IN, "moved"
    if any(v is Verdict.OUT for v in verdicts):
        return Verdict.OUT, "not applied"
    if any(v is Verdict.IN for v in verdicts):
        # some runs are there and none of the old text is left: upstream took the change
        # and changed some of its lines again since
        return Verdict.IN, "changed since"
    return Verdict.UNKNOWN, "changed"


_NEWS_NEXT = re.compile(r"^(.*/)?NEWS\.d/next/")


_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_test\.[a-z]+$")


def _is_release_note(path: str) -> bool:
    return bool(_NEWS_NEXT.match(path))


def is_accessory(path: str) -> bool:
    """Tests and release notes: upstream usually rewrites them when it takes a fix, so they
    are counted but do not decide whether the change itself is present.

    >>> [is_accessory(p) for p in ("Lib/test/test_ssl.py", "Misc/NEWS.d/next/Library/x.rst",
    ...                            "Lib/ssl.py", "Lib/test/support/__init__.py")]
    [True, True, False, True]
    """
    return _is_release_note(path) or bool(_TEST_PATH.search(path))


# -- commit-message links -----------------------------------------------------------------------

_CHERRY = re.compile(r"cherry[ -]picked from commit ([0-9a-f]{7,40})", re.IGNORECASE)
_COMMIT_URL = re.compile(r"/commit/([0-9a-f]{7,40})\b")
_GH_ISSUE = re.compile(r"(?<![A-Za-z0-9])gh-(\d+)\b")
_GH_PR = re.compile(r"(?<![A-Za-z0-9])GH-(\d+)\b|\(#(\d+)\)")
_ISSUE_URL = re.compile(r"github\.com/[\w.-]+/[\w.-]+/issues/(\d+)")
_PULL_URL = re.compile(r"github\.com/[\w.-]+/[\w.-]+/pull/(\d+)")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_RECORDED = re.compile(r"^(?:[\w.-]+/[\w.-]+)?#(\d+)$")


@dataclass(frozen=True)
class Links:
    """What a message says about upstream: cherry-picked commits, issue and PR numbers.

    >>> Links.parse("[3.11] gh-101234: Fix it (GH-101235) (#101240)\\n"
    ...             "(cherry picked from commit 3e3a96459ef7)")
    Links(commits=('3e3a96459ef7',), issues=('101234',), pulls=('101235', '101240'))
    """

    commits: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    pulls: tuple[str, ...] = ()

    @classmethod
    def parse(cls, message: str) -> Links:
        commits = _CHERRY.findall(message) + _COMMIT_URL.findall(message)
        issues = _GH_ISSUE.findall(message) + _ISSUE_URL.findall(message)
        pulls = [a or b for a, b in _GH_PR.findall(message)] + _PULL_URL.findall(message)
        return cls(tuple(dict.fromkeys(commits)), tuple(dict.fromkeys(issues)),
                   tuple(dict.fromkeys(pulls)))

    def __bool__(self) -> bool:
        return bool(self.commits or self.issues or self.pulls)


def _recorded_pr(record: Mapping) -> str:
    match = _RECORDED.match(str(record.get("pr", "") or "").strip())
    return match.group(1) if match else ""


# -- the detector -------------------------------------------------------------------------------


# (repository, commit) -> (parent, files, patch-id): commits never change, so a status that
# checks several refs reads each patch's diff once
_PATCHES: dict[tuple[str, str], tuple[str, list[FileDiff], str | None]] = {}


@dataclass
class _PatchData:
    change: PatchChange
    parent: str
    files: list[FileDiff]
    patch_id: str | None = None


class Detector:
    """Detect patches in ``ref``; ``since`` bounds the commits searched by patch-id and links
    (typically the old base: upstream commits the series has not seen yet)."""

    def __init__(self, git: Git, ref: str, since: str | None = None) -> None:
        self.git = git
        self.ref = ref
        self.ref_commit = git.resolve(ref, "ref")
        self.since = git.resolve(since, "ref") if since else None
        self._range_ids: dict[str, str] | None = None
        # indexes of the range, filled on demand for the paths the patches touch
        self._covered: set[str] = set()
        self._seen_commits: set[str] = set()  # commits whose patch-id is known
        self._blocks: dict[tuple, list[str]] = {}  # (path, removed, added) -> commits
        self._path_ids: dict[str, str] = {}  # patch-id -> commit, of commits touching paths
        self._messages: list[tuple[str, str]] | None = None
        self._texts: dict[str, FileText | None] = {}
        self._notes_searched: set[str] = set()  # release-note needles already grepped for
        self._note_files: set[str] = set()  # files of the ref that may hold them
        self._is_ancestor: dict[tuple[str, str], bool] = {}

    def _range(self) -> str:
        return f"{self.since}..{self.ref_commit}" if self.since else self.ref_commit

    def range_patch_ids(self) -> dict[str, str]:
        if self._range_ids is None:
            if self.since is None:
                self._range_ids = {}
            else:
                log = self.git.run("log", "-p", "--no-color", "--no-merges", "--format=commit %H",
                                   self._range(), "--").stdout
                self._range_ids = _patch_ids(self.git, log)
        return self._range_ids

    def commit_patch_id(self, commit: str) -> str | None:
        diff = self.git.run("diff-tree", "-p", "--no-color", "--format=commit %H", commit).stdout
        ids = _patch_ids(self.git, diff)
        return next(iter(ids), None)

    def reverse_applies(self, commit: str) -> bool:
        """The commit's change is in ref: its reverse applies and it does not apply forward."""
        diff = self.git.run("diff-tree", "-p", "--binary", "--full-index", "--no-color",
                            commit + "^", commit).stdout
        if not diff.strip():
            return False
        with self.git.scratch_index(self.git.tree_of(self.ref_commit)) as index:
            reverse = self.git.run("apply", "--cached", "--check", "-R", "-", env=index.env,
                                   input=diff, ok=(0, 1, 128)).status == 0
            if not reverse:
                return False
            forward = self.git.run("apply", "--cached", "--check", "-", env=index.env,
                                   input=diff, ok=(0, 1, 128)).status == 0
            return not forward

    # -- batch reading -----------------------------------------------------------------------

    def _load_patches(self, changes: Sequence[PatchChange]) -> list[_PatchData]:
        full = {c.commit: c.commit if _FULL_SHA.match(c.commit) else
                self.git.resolve(c.commit, "patch commit") for c in changes}
        where = str(self.git.path)
        missing = [c for c in dict.fromkeys(full.values()) if (where, c) not in _PATCHES]
        if missing:
            res = self.git.run("diff-tree", "--stdin", "-r", "-p", "-M", "--no-color",
                               "--format=commit %H %P",
                               input=("\n".join(missing) + "\n").encode(), config=_LOG_CONFIG)
            stdout = res.stdout
            parents = {m.group(1).decode(): m.group(2).decode() for m in
                       re.finditer(rb"^commit ([0-9a-f]{40}) ?([0-9a-f]{40})?", stdout,
                                   re.MULTILINE) if m.group(2)}
            parsed = dict(parse_git_diff(stdout))
            ids = _commit_patch_ids(self.git, stdout)
            if len(_PATCHES) > 20000:
                _PATCHES.clear()
            for sha in missing:
                _PATCHES[(where, sha)] = (parents.get(sha, ""), parsed.get(sha, []), ids.get(sha))
        out = []
        for change in changes:
            parent, files, pid = _PATCHES[(where, full[change.commit])]
            out.append(_PatchData(change, parent, files, pid))
        return out

    def _cover(self, paths: Iterable[str], filesets: Iterable[frozenset[str]] = ()) -> None:
        """Index the range's commits that touch ``paths``: the changed runs of their hunks
        in those paths, and the patch-ids of the commits that touch exactly the files of
        one of ``filesets`` (only those can have a patch's patch-id)."""
        missing = sorted({p for p in paths if p} - self._covered)
        self._covered.update(missing)
        if not missing or self.since is None:
            return
        specs = [f":(literal){p}" for p in missing]
        log = self.git.run("log", "-p", "-M", "--no-merges", "--no-color", "--format=commit %H",
                           self._range(), "--", *specs, config=_LOG_CONFIG).stdout
        for sha, files in parse_git_diff(log, set(missing)):
            for diff in files:
                for hunk in diff.hunks:
                    for block in hunk.blocks():
                        if any(map(_significant, block.removed + block.added)):
                            commits = self._blocks.setdefault((diff.path, *block.key()), [])
                            if sha not in commits:
                                commits.append(sha)
        wanted = set(filesets)
        if not wanted:
            return
        names = self.git.run("log", "-M", "--full-diff", "--no-merges", "--name-only",
                             "--format=commit %H", self._range(), "--", *specs,
                             config=_LOG_CONFIG).stdout.decode("utf-8", "surrogateescape")
        candidates, sha, touched = [], "", set()
        for line in names.splitlines() + ["commit end"]:
            if line.startswith("commit "):
                if sha and frozenset(touched) in wanted and sha not in self._seen_commits:
                    candidates.append(sha)
                sha, touched = line[7:].strip(), set()
            elif line.strip():
                touched.add(_unquote(line.encode("utf-8", "surrogateescape")))
        if candidates:
            self._seen_commits.update(candidates)
            diff = self.git.run("diff-tree", "--stdin", "-r", "-p", "-M", "--no-color",
                                "--format=commit %H", input=("\n".join(candidates) + "\n")
                                .encode(), config=_LOG_CONFIG).stdout
            for pid, commit in _patch_ids_all(self.git, diff).items():
                self._path_ids.setdefault(pid, commit)

    def _read_texts(self, paths: Iterable[str]) -> None:
        wanted = sorted({p for p in paths if p and p not in self._texts})
        if not wanted:
            return
        for path, data in zip(wanted, _cat_files(self.git, self.ref_commit, wanted)):
            self._texts[path] = FileText(data) if data is not None else None

    def _entries(self, wanted: Mapping[str, set[str]]) -> dict[str, str | None]:
        """``"<commit>:<path>"`` -> ``"<mode> <blob>"`` (None when missing): one
        ``git ls-tree`` per commit."""
        out: dict[str, str | None] = {}
        for commit, paths in wanted.items():
            res = self.git.run("ls-tree", "-r", "-z", "--full-tree", commit, "--",
                               *(f":(literal){p}" for p in sorted(paths)))
            found = {}
            for item in res.stdout.split(b"\0"):
                meta, _, path = item.partition(b"\t")
                if path:
                    mode, _, sha = meta.decode().split(" ")
                    found[path.decode("utf-8", "surrogateescape")] = f"{mode} {sha}"
            for path in paths:
                out[f"{commit}:{path}"] = found.get(path)
        return out

    def _ancestor(self, commit: str, of: str) -> bool:
        key = (commit, of)
        if key not in self._is_ancestor:
            full = self.git.rev_parse(commit)
            self._is_ancestor[key] = bool(full) and self.git.is_ancestor(full, of)
        return self._is_ancestor[key]

    def _range_messages(self) -> list[tuple[str, str]]:
        if self._messages is None:
            self._messages = []
            if self.since is not None:
                out = self.git.run("log", "--format=%H%x00%B%x01", self._range(), "--").stdout
                for record in out.decode("utf-8", "replace").split("\x01"):
                    sha, _, body = record.strip("\n").partition("\x00")
                    if sha:
                        self._messages.append((sha, body))
        return self._messages

    # -- finding -----------------------------------------------------------------------------

    def find(self, change: PatchChange) -> Finding:
        return self.find_all([change])[0]

    def find_all(self, changes: Sequence[PatchChange]) -> list[Finding]:
        """Findings for ``changes``, given in series order: a hunk whose lines a later patch
        of the same call changes again is judged together with that later patch."""
        if not changes:
            return []
        patches = self._load_patches(changes)
        paths = {p for d in patches for f in d.files for p in (f.old_path, f.new_path) if p}
        self._cover(paths, {frozenset(f.path for f in d.files) for d in patches if d.files})
        self._read_texts(paths)
        wanted: dict[str, set[str]] = {}
        for data in patches:
            for f in data.files:
                if f.binary or not f.hunks:
                    for commit, path in ((self.ref_commit, f.path), (data.change.commit, f.path),
                                         (data.parent, f.old_path), (self.ref_commit, f.old_path)):
                        if commit and path:
                            wanted.setdefault(commit, set()).add(path)
        blobs = self._entries(wanted)
        self._grep_notes(patches)
        per_patch = [[r for diff in data.files for r in self._file_results(data, diff, blobs)]
                     for data in patches]
        _supersede(patches, per_patch, self._texts)
        reverse = self._reverse_apply_many([
            data.change.commit for data, results in zip(patches, per_patch)
            if self._wants_reverse_apply(data, [r for r, _ in results])])
        findings = [self._finding(data, [r for r, _ in results], data.change.commit in reverse)
                    for data, results in zip(patches, per_patch)]
        return self._name_backports(findings)

    def _name_backports(self, findings: list[Finding]) -> list[Finding]:
        """When a commit that brought a patch's change is a backport (its message says
        ``cherry picked from commit X``), say so as cherry-pick evidence."""
        found = {c for f in findings for e in f.evidence[:1] for c in e.commits
                 if e.method in (Method.PATCH_ID, Method.HUNKS)}
        if not found:
            return findings
        out = self.git.run("show", "-s", "--no-walk=unsorted", "--format=%H%x00%B%x01",
                           *sorted(found)).stdout.decode("utf-8", "replace")
        sources: dict[str, list[str]] = {}
        for record in out.split("\x01"):
            sha, _, body = record.strip("\n").partition("\x00")
            picked = _CHERRY.findall(body)
            if sha and picked:
                sources[sha] = picked
        if not sources:
            return findings
        result = []
        for finding in findings:
            first = finding.evidence[0] if finding.evidence else None
            extra = [] if first is None or first.method not in (Method.PATCH_ID, Method.HUNKS) \
                else [Evidence(Method.CHERRY_PICK, (c,), "a backport of " +
                               ", ".join(p[:12] for p in sources[c]))
                      for c in first.commits if c in sources]
            known = {(e.method, e.commits) for e in finding.evidence}
            extra = [e for e in extra if (e.method, e.commits) not in known]
            result.append(replace(finding, evidence=finding.evidence[:1] + tuple(extra) +
                                  finding.evidence[1:]) if extra else finding)
        return result

    def _file_results(self, data: _PatchData, diff: FileDiff, blobs: Mapping[str, str | None]
                      ) -> list[tuple[HunkResult, Hunk | None]]:
        if diff.binary or not diff.hunks:
            mine = blobs.get(f"{data.change.commit}:{diff.path}")
            theirs = blobs.get(f"{self.ref_commit}:{diff.path}")
            what = "binary" if diff.binary else ("rename" if diff.old_path != diff.new_path
                                                 else "mode")
            old_gone = not diff.old_path or diff.old_path == diff.new_path or \
                blobs.get(f"{self.ref_commit}:{diff.old_path}") is None
            if mine == theirs and old_gone:
                verdict = Verdict.IN
            elif diff.old_path and blobs.get(f"{data.parent}:{diff.old_path}") == \
                    blobs.get(f"{self.ref_commit}:{diff.old_path}") is not None:
                verdict = Verdict.OUT
            else:
                verdict = Verdict.UNKNOWN
            how = "same file" if verdict is Verdict.IN else ""
            return [(HunkResult(diff.path, what, verdict, how), None)]
        text = self._texts.get(diff.new_path or diff.old_path)
        if text is None and diff.new_path and diff.old_path and diff.old_path != diff.new_path:
            text = self._texts.get(diff.old_path)
        results = []
        for hunk in diff.hunks:
            verdict, how = hunk_verdict(hunk, text, new_file=not diff.old_path,
                                        deleted=not diff.new_path)
            if verdict is not Verdict.IN and text is None and not diff.old_path and \
                    _is_release_note(diff.new_path) and self._release_note_found(diff, hunk):
                verdict, how = Verdict.IN, "release notes"
            commits = self._range_commits(diff.path, hunk)
            if verdict is Verdict.UNKNOWN and commits:
                verdict, how = Verdict.IN, "range"
            results.append((HunkResult(diff.path, hunk.header, verdict, how, commits), hunk))
        return results

    def _range_commits(self, path: str, hunk: Hunk) -> tuple[str, ...]:
        """The commits of the range holding every significant changed run of ``hunk`` in
        ``path`` (and not undone by a later commit holding the reverse)."""
        found: list[str] = []
        for block in hunk.blocks():
            if not any(map(_significant, block.removed + block.added)):
                continue
            commits = self._blocks.get((path, *block.key()))
            if not commits:
                return ()
            undo = self._blocks.get((path, block.added, block.removed), ())
            if any(self._ancestor(c, u) for c in commits for u in undo if c != u):
                return ()
            found.append(commits[0])
        return tuple(dict.fromkeys(found))

    @staticmethod
    def _note_words(hunk: Hunk) -> list[bytes]:
        return [t for t in hunk.after if t.strip() and not t.startswith(b"..")]

    def _grep_notes(self, patches: Sequence[_PatchData]) -> None:
        """Find, in one ``git grep``, the files of the ref that may hold the patches'
        ``NEWS.d/next/`` entries (by their gh-issue number, else their longest word)."""
        needles, roots = set(), set()
        for data in patches:
            for diff in data.files:
                if diff.old_path or not _is_release_note(diff.new_path) or \
                        self._texts.get(diff.new_path) is not None:
                    continue
                issue = re.search(r"gh-issue-(\d+)", diff.new_path)
                for hunk in diff.hunks:
                    words = self._note_words(hunk)
                    if words:
                        needles.add(issue.group(1) if issue else max(
                            b" ".join(words).decode("utf-8", "replace").split(), key=len))
                        roots.add(diff.new_path.split("NEWS.d/next/")[0])
        needles -= self._notes_searched
        if not needles:
            return
        self._notes_searched |= needles
        patterns = [arg for needle in sorted(needles) for arg in ("-e", needle)]
        specs = [spec for root in sorted(roots)
                 for spec in (f":(literal){root}NEWS.d/", f":(literal){root}NEWS")]
        res = self.git.run("grep", "-l", "-F", *patterns, self.ref_commit, "--", *specs,
                           ok=(0, 1))
        found = [line.split(":", 1)[1] if ":" in line else line
                 for line in res.stdout.decode("utf-8", "surrogateescape").splitlines()]
        self._read_texts(found)
        self._note_files.update(found)

    def _release_note_found(self, diff: FileDiff, hunk: Hunk) -> bool:
        """A ``NEWS.d/next/`` entry moves into the release's notes when upstream releases
        (``NEWS.d/<version>.rst`` in git, ``Misc/NEWS`` in a release tarball): look for its
        words there, whatever the line breaks."""
        words = self._note_words(hunk)
        if not words:
            return False
        wanted = " ".join(b" ".join(words).decode("utf-8", "replace").split())
        root = diff.new_path.split("NEWS.d/next/")[0]
        for path in sorted(self._note_files):
            text = self._texts.get(path)
            if path.startswith(root) and text is not None and wanted in text.normalized_text():
                return True
        return False

    def _reverse_apply_many(self, commits: Sequence[str]) -> set[str]:
        """The commits whose reverse applies to the ref and which do not apply forward
        (as :meth:`reverse_applies`, with one diff and one scratch index for all)."""
        if not commits:
            return set()
        out = self.git.run("diff-tree", "--stdin", "-p", "--binary", "--full-index",
                           "--no-color", "--format=commit %H",
                           input=("\n".join(commits) + "\n").encode()).stdout
        marks = list(re.finditer(rb"^commit ([0-9a-f]{40})\n", out, re.MULTILINE))
        diffs = {m.group(1).decode(): out[m.end():marks[i + 1].start() if i + 1 < len(marks)
                                          else len(out)] for i, m in enumerate(marks)}
        found = set()
        with self.git.scratch_index(self.git.tree_of(self.ref_commit)) as index:
            for sha in commits:
                diff = diffs.get(sha, b"")
                if not diff.strip():
                    continue
                if self.git.run("apply", "--cached", "--check", "-R", "-", env=index.env,
                                input=diff, ok=(0, 1, 128)).status != 0:
                    continue
                if self.git.run("apply", "--cached", "--check", "-", env=index.env,
                                input=diff, ok=(0, 1, 128)).status != 0:
                    found.add(sha)
        return found

    def _patch_id_commit(self, data: _PatchData) -> str | None:
        pid_commit = self._path_ids.get(data.patch_id or "") if data.patch_id else None
        if pid_commit is None and data.patch_id and self._range_ids is not None:
            pid_commit = self._range_ids.get(data.patch_id)
        return pid_commit

    def _wants_reverse_apply(self, data: _PatchData, results: list[HunkResult]) -> bool:
        """Only a patch with hunks neither found nor contradicted (and no patch-id match)
        needs git apply's opinion."""
        return bool(results) and any(r.verdict is Verdict.UNKNOWN for r in results) and \
            not any(r.verdict is Verdict.OUT for r in results) and \
            not self._patch_id_commit(data)

    def _finding(self, data: _PatchData, results: list[HunkResult],
                 reverse_applies: bool = False) -> Finding:
        change = data.change
        evidence: list[Evidence] = []
        notes: list[str] = []
        pid_commit = self._patch_id_commit(data)
        has_out = any(r.verdict is Verdict.OUT for r in results)
        if pid_commit and not has_out:
            results = [r if r.verdict is Verdict.IN else
                       HunkResult(r.path, r.header, Verdict.IN, "patch-id", (pid_commit,))
                       for r in results]
            evidence.append(Evidence(Method.PATCH_ID, (pid_commit,)))
        elif pid_commit:
            notes.append(f"patch-id matches {pid_commit[:12]}, but the change is not in "
                         f"{self.ref} any more (reverted or changed later)")
        if reverse_applies and any(r.verdict is Verdict.UNKNOWN for r in results):
            results = [r if r.verdict is Verdict.IN else
                       HunkResult(r.path, r.header, Verdict.IN, "reverse-apply") for r in results]
            evidence.append(Evidence(Method.REVERSE_APPLY, (self.ref_commit,),
                                     f"its reverse applies to {self.ref}"))
        total = len(results)
        present = sum(1 for r in results if r.verdict is Verdict.IN)
        deciding = [r for r in results if not r.accessory] or results
        if deciding and all(r.verdict is Verdict.IN for r in deciding):
            state = UpstreamState.PRESENT
        elif present:
            state = UpstreamState.PARTIAL
        else:
            state = UpstreamState.ABSENT
        if present and not evidence:
            commits = tuple(dict.fromkeys(c for r in results for c in r.commits)) or \
                (self.ref_commit,)
            hows = ", ".join(dict.fromkeys(r.how for r in results if r.verdict is Verdict.IN))
            if state is UpstreamState.PARTIAL:
                commits = ()
            evidence.append(Evidence(Method.HUNKS, commits,
                                     f"{present}/{total} hunks in {self.ref}: {hows}"))
        missing = [r for r in results if r.verdict is not Verdict.IN]
        if missing and present:
            shown = "; ".join(f"{r.path} {r.header}" for r in missing[:4])
            more = f"; and {len(missing) - 4} more" if len(missing) > 4 else ""
            what = "tests or release notes differ" if state is UpstreamState.PRESENT \
                else "not found"
            notes.append(f"{what}: {shown}{more}")
        links = self._link_evidence(change)
        if links and state is UpstreamState.ABSENT:
            notes.append("commit messages or GitHub link it, but its change is not in "
                         f"the tree of {self.ref}")
        evidence.extend(links)
        return Finding(change.slug, self.ref, state, tuple(evidence), total, present,
                       tuple(results), self.ref_commit, tuple(notes))

    def _link_evidence(self, change: PatchChange) -> list[Evidence]:
        record = change.record or {}
        links = Links.parse(change.message or "")
        pr = _recorded_pr(record)
        github = record.get("github", {}) if isinstance(record.get("github"), Mapping) else {}
        out: list[Evidence] = []
        if not links and not pr and not github:
            return out
        messages = self._range_messages() if (links or pr) else []
        for sha in links.commits:
            if self._ancestor(sha, self.ref_commit):
                out.append(Evidence(Method.CHERRY_PICK, (self.git.rev_parse(sha) or sha,),
                                    f"the commit it was cherry-picked from is in {self.ref}"))
                continue
            picks = [c for c, body in messages
                     if any(p.startswith(sha) or sha.startswith(p) for p in _CHERRY.findall(body))]
            if picks:
                out.append(Evidence(Method.CHERRY_PICK, tuple(picks[:5]),
                                    f"cherry-picked from {sha[:12]} like the patch"))
        if links.issues or links.pulls:
            issues, pulls = set(links.issues), set(links.pulls)
            hits = []
            for sha, body in messages:
                found = Links.parse(body)
                if issues & set(found.issues) or pulls & set(found.pulls):
                    hits.append(sha)
            if hits:
                named = ", ".join([f"gh-{n}" for n in links.issues] +
                                  [f"GH-{n}" for n in links.pulls])
                out.append(Evidence(Method.GH_LINK, tuple(hits[:5]),
                                    f"commit messages in {self.ref} name {named}"))
        if pr:
            hits = [sha for sha, body in messages if pr in Links.parse(body).pulls]
            merge = str(github.get("pr_merge_commit", "") or "")
            if merge and self._ancestor(merge, self.ref_commit):
                hits.insert(0, self.git.rev_parse(merge) or merge)
            if hits:
                out.append(Evidence(Method.PR_MERGE, tuple(dict.fromkeys(hits))[:5],
                                    f"the recorded PR #{pr} is merged into {self.ref}"))
        if str(github.get("pr_state", "")) == "merged":
            merge = str(github.get("pr_merge_commit", "") or "")
            base = str(github.get("pr_base", "") or "?")
            out.append(Evidence(Method.GITHUB, (merge,) if merge else (),
                                f"GitHub: PR #{pr or '?'} merged into {base}"))
        return out


def _supersede(patches: Sequence[_PatchData],
               per_patch: list[list[tuple[HunkResult, Hunk | None]]],
               texts: Mapping[str, FileText | None]) -> None:
    """A hunk neither found nor contradicted, whose new lines later patches of the series
    replace in hunks that are in the ref (and whose other new lines are in the ref's file),
    is in the ref as the series has it."""
    for k, results in enumerate(per_patch):
        for n, (result, hunk) in enumerate(results):
            if result.verdict is not Verdict.UNKNOWN or hunk is None:
                continue
            wanted = {t for tag, t in hunk.lines if tag == _PLUS and _significant(t)}
            text = texts.get(result.path)
            if not wanted or text is None:
                continue
            kept = {t for t in wanted if text.find((t,))}
            removed: set[bytes] = set()
            by: list[str] = []
            for j in range(k + 1, len(per_patch)):
                for later, later_hunk in per_patch[j]:
                    if later_hunk is None or later.path != result.path or \
                            later.verdict is not Verdict.IN:
                        continue
                    lines = {t for tag, t in later_hunk.lines if tag == _MINUS} & wanted
                    if lines - removed:
                        removed |= lines
                        by.append(patches[j].change.slug)
                if removed and wanted <= removed | kept:
                    how = "changed again by " + ", ".join(dict.fromkeys(by))
                    results[n] = (HunkResult(result.path, result.header, Verdict.IN, how,
                                             result.commits), hunk)
                    break


def _commit_patch_ids(git: Git, diff_text: bytes) -> dict[str, str]:
    """commit -> patch-id for every commit in a diff output."""
    if not diff_text.strip():
        return {}
    res = git.run("patch-id", "--stable", input=diff_text)
    out: dict[str, str] = {}
    for line in res.stdout.decode().splitlines():
        pid, _, sha = line.partition(" ")
        out[sha] = pid
    return out


def _patch_ids_all(git: Git, diff_text: bytes) -> dict[str, str]:
    """patch-id -> commit for every commit (the first commit wins for equal ids)."""
    return _patch_ids(git, diff_text)


def _cat_files(git: Git, commit: str, paths: Sequence[str]) -> list[bytes | None]:
    """The contents of ``commit:path`` for each path (None when missing), one git process."""
    res = git.run("cat-file", "--batch", input=("".join(f"{commit}:{p}\n" for p in paths)).encode())
    data = res.stdout
    out: list[bytes | None] = []
    pos = 0
    for _ in paths:
        end = data.index(b"\n", pos)
        header = data[pos:end]
        pos = end + 1
        if header.endswith((b" missing", b" ambiguous")):
            out.append(None)
            continue
        parts = header.split(b" ")
        kind, size = parts[1], int(parts[2])
        body = data[pos:pos + size]
        pos += size + 1
        out.append(body if kind == b"blob" else None)
    return out
