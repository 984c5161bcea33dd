"""A track as a stack, the way quilt and StGit users see it. Reads and computes; prints nothing.

The series file lists the whole stack. The queue branch holds the applied part: one commit per
patch on the track's base, in series order. Patches above the branch's top that are not on it
are *unapplied*: their series files are their only copy, and pushing applies those files.
Series patches missing below the top were taken off the branch by hand (git rebase, reset):
they are *dropped*, and the next export removes them, as it always did; except the ones a
rebase *set aside* (``needs_person`` in the map, :mod:`patchq.aside`): they stay, and pushing
one merges it 3-way at its place.

Nothing here moves a branch or writes a file: :mod:`patchq.stack_tx` does that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import patchfile
from .errors import ApplyError, GitError, SeriesError, StateError
from .git import Git
from .model import QueueCommit, slug_of
from .queue import LoadedPatch, LoadedSeries, build, load_series, queue_on_base, unapplied_tail
from .queuecache import Manifest
from .queueexport import commit_description, matches_file, slugs_of
from .seriesdir import file_digest

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class AppliedPatch:
    """A patch on the queue branch: its commit, and its series patch (None for a commit that
    is not in the series yet, made with git on the branch)."""

    slug: str
    commit: QueueCommit
    patch: LoadedPatch | None


@dataclass
class Stack:
    track: str
    branch: str
    base: str  # the track's base commit
    tip: str  # the queue branch's tip
    loaded: LoadedSeries
    applied: list[AppliedPatch]
    unapplied: list[LoadedPatch]
    dropped: list[str] = field(default_factory=list)
    aside: list[LoadedPatch] = field(default_factory=list)  # set aside by a rebase
    checked_out: bool = False  # the branch is HEAD of the upstream clone
    fallback_date: str = ""  # the date of patches without one (the base's, as checkout uses)

    @property
    def top(self) -> AppliedPatch | None:
        return self.applied[-1] if self.applied else None

    @property
    def directory(self) -> Path:
        return self.loaded.directory

    def applied_slugs(self) -> list[str]:
        return [a.slug for a in self.applied]

    def unapplied_slugs(self) -> list[str]:
        return [p.slug for p in self.unapplied]

    def series_slugs(self) -> list[str]:
        return [p.slug for p in self.loaded.patches]

    def lookup(self, name: str) -> str:
        """The slug a user's NAME means: a slug, a file name of the series, or a path to it
        (``series/3.11/0003-foo.patch``, as quilt accepts ``patches/foo.diff``)."""
        candidates = [name, Path(name).name, slug_of(Path(name).name)]
        known = {p.slug: p for p in self.loaded.patches}
        by_file = {p.entry.name: p.slug for p in self.loaded.patches}
        for candidate in candidates:
            if candidate in known:
                return candidate
            if candidate in by_file:
                return by_file[candidate]
        for applied in self.applied:  # a commit not in the series yet
            if applied.slug in candidates:
                return applied.slug
        raise StateError(f"Patch {name} is not in series",
                         f"see the series with `patchq applied` and `patchq unapplied`"
                         f" (track {self.track})")

    def applied_index(self, slug: str) -> int | None:
        for number, item in enumerate(self.applied):
            if item.slug == slug:
                return number
        return None

    def is_aside(self, slug: str) -> bool:
        return any(p.slug == slug for p in self.aside)

    def unapplied_index(self, slug: str) -> int | None:
        for number, patch in enumerate(self.unapplied):
            if patch.slug == slug:
                return number
        return None

    def commit_at(self, count: int) -> str:
        """The commit with the first ``count`` applied patches (the base for 0)."""
        return self.applied[count - 1].commit.sha if count else self.base


# -- which track, and loading it ------------------------------------------------------------


def checked_out_track(ws, git: Git) -> str | None:
    """The track whose queue branch is checked out in the upstream clone, if any (a track of
    this clone's upstream, when the map names several)."""
    branch = git.current_branch()
    if branch is None:
        return None
    for name in ws.map.track_names():
        if ws.queue_branch(name) == branch and _in_clone(ws, name, git):
            return name
    return None


def _in_clone(ws, track: str, git: Git) -> bool:
    """Is ``git`` the clone of ``track``'s upstream?"""
    from .errors import PatchqError

    try:
        return ws.git_for(track).path == git.path
    except PatchqError:  # its upstream's clone is not there
        return False


def select(ws, track: str | None) -> None:
    """Select the upstream a stack verb works in: ``--track``'s; else, when the map names
    several upstreams, the clone with an operation in progress or a track's queue branch
    checked out (the one the current directory is in, when several have)."""
    from . import store as pqstore
    from .errors import PatchqError

    if track:
        ws.use_track(track)
        pqstore.refuse_if_others_busy(ws)
        return
    umap = ws.read_only().map
    names = umap.upstream_names()
    if len(names) < 2:
        return
    busy, on_queue = [], []
    paths = set()
    for name in names:
        try:
            git = ws.git_of(name)
        except PatchqError:
            continue
        if git.path.resolve() in paths:  # two upstreams, one clone: look at it once
            continue
        paths.add(git.path.resolve())
        if pqstore.current(git) is not None:
            busy.append((name, git))
        elif checked_out_track(ws, git) is not None:
            on_queue.append((name, git))
    found = busy or on_queue
    here = (getattr(ws, "started_in", None) or Path.cwd()).resolve()
    inside = [(n, g) for n, g in found if here == g.path or g.path in here.parents]
    if len(inside) == 1 or len(found) == 1:
        name, git = (inside or found)[0]
        track = checked_out_track(ws, git)
        if track is not None:  # the upstream of the track checked out there
            ws.use_track(track)
        else:
            ws.use_upstream(name)
        pqstore.refuse_if_others_busy(ws)
    elif found:
        shown = ", ".join(f"{n} ({g.path})" for n, g in found)
        raise StateError(f"several upstream clones have a queue branch checked out: {shown}",
                         "pass --track T, or run patchq from inside the clone you work in")


def resolve_track(ws, track: str | None) -> str:
    """``--track`` if given, else the track whose queue branch is checked out."""
    if track:
        ws.track(track)  # unknown tracks fail here, with the known ones listed
        return track
    git = ws.git
    found = checked_out_track(ws, git)
    if found is None:
        head = git.current_branch() or "a detached HEAD"
        raise StateError(f"no track's queue branch is checked out in {git.path} (it is on {head})",
                         "pass --track T, or build and check out one with `patchq checkout T`")
    return found


def _branch(ws, track_name: str) -> tuple[str, str, str]:
    """(queue branch, its tip, the track's base), checked."""
    from . import owner

    branch = ws.queue_branch(track_name)
    owner.check(ws.git, ws.root, branch, track_name)
    tip, base = queue_on_base(ws.git, ws.track(track_name), branch)
    return branch, tip, base


@dataclass(frozen=True)
class Names:
    """The stack as names only (for listings: no patch file is read)."""

    track: str
    applied: tuple[str, ...]
    unapplied: tuple[str, ...]
    files: tuple[tuple[str, str], ...]  # (file name, slug) of the series entries
    aside: tuple[str, ...] = ()  # set aside by a rebase and not on the branch (any place)

    def lookup(self, name: str) -> str:
        candidates = (name, Path(name).name, slug_of(Path(name).name))
        known = {slug for _, slug in self.files} | set(self.applied)
        by_file = dict(self.files)
        for candidate in candidates:
            if candidate in known:
                return candidate
            if candidate in by_file:
                return by_file[candidate]
        raise StateError(f"Patch {name} is not in series",
                         f"see the series with `patchq applied` and `patchq unapplied`"
                         f" (track {self.track})")


def load_names(ws, track_name: str) -> Names:
    """Applied and unapplied slugs of ``track_name``, from the series file and the branch."""
    from .seriesdir import read_series

    _, tip, base = _branch(ws, track_name)
    series = read_series(ws.series_dir(track_name))
    applied = slugs_of(ws.git.queue_commits(base, tip))
    series_slugs = [e.slug for e in series.entries]
    tail = unapplied_tail(series_slugs, applied)
    marked = ws.map.set_aside(track_name)
    aside = [s for s in series_slugs if s in marked and s not in applied]
    return Names(track_name, tuple(applied), tuple(tail),
                 tuple((e.name, e.slug) for e in series.entries), tuple(aside))


def load(ws, track_name: str) -> Stack:
    """The stack of ``track_name``: its series, its queue branch, what is applied."""
    git = ws.git
    branch, tip, base = _branch(ws, track_name)
    loaded = load_series(ws.series_dir(track_name), track_name)
    commits = git.queue_commits(base, tip)
    slugs = slugs_of(commits)
    by_slug = loaded.by_slug()
    applied = [AppliedPatch(slug, commit, by_slug.get(slug)) for slug, commit in zip(slugs, commits)]
    series_slugs = [p.slug for p in loaded.patches]
    tail = set(unapplied_tail(series_slugs, slugs))
    on_branch = set(slugs)
    marked = ws.map.set_aside(track_name)
    aside = [p for p in loaded.patches
             if p.slug in marked and p.slug not in on_branch and p.slug not in tail]
    return Stack(track=track_name, branch=branch, base=base, tip=tip, loaded=loaded,
                 applied=applied, unapplied=[p for p in loaded.patches if p.slug in tail],
                 dropped=[s for s in series_slugs if s not in on_branch and s not in tail
                          and s not in marked],
                 aside=aside,
                 checked_out=git.current_branch() == branch,
                 fallback_date=git.commit_date(base))


# -- what is on the branch but in no file yet ------------------------------------------------


def unexported(git: Git, stack: Stack, items: Sequence[AppliedPatch]) -> list[str]:
    """The slugs of ``items`` whose commit is not what their series file gives (changed with
    git on the branch and never exported), or that have no series file at all."""
    manifest = Manifest(git, stack.track)
    out = []
    for item in items:
        if item.patch is None or manifest.digest_for(item.commit.sha) != item.patch.digest and \
                not matches_file(git, item.patch, item.commit):
            out.append(item.slug)
    return out


def exported_tip(git: Git, stack: Stack) -> bool:
    """Is the branch's tip one that export (or checkout) last wrote, i.e. nothing on the
    branch waits to be exported?"""
    return Manifest(git, stack.track).tip == stack.tip


# -- applying series files on a commit -------------------------------------------------------


@dataclass(frozen=True)
class Pushed:
    slug: str
    commit: str
    how: str  # clean, 3way, empty
    digest: str


@dataclass
class PushResult:
    pushed: list[Pushed] = field(default_factory=list)
    failed: LoadedPatch | None = None
    error: ApplyError | None = None  # why ``failed`` does not apply (set with it)

    def tip(self, start: str) -> str:
        return self.pushed[-1].commit if self.pushed else start

    @property
    def details(self) -> str:
        """What git said about the patch that does not apply ("" when all applied)."""
        return self.error.details if self.error is not None else ""


def push_files(git: Git, start: str, patches: Sequence[LoadedPatch], fallback_date: str,
               progress: Progress | None = None) -> PushResult:
    """Apply series files on ``start``, one commit each, stopping at the first patch that
    does not apply. No work tree is touched; the commits are the ones ``checkout`` builds
    (:func:`patchq.queue.build`)."""
    built = build(git, start, patches, stop=True, fallback_date=fallback_date,
                  progress=progress)
    digests = {p.slug: p.digest for p in patches}
    result = PushResult(pushed=[Pushed(a.slug, a.commit, a.how, digests[a.slug])
                                for a in built.applied])
    if built.failed:
        error = built.failed[0]
        result.error = error
        result.failed = next(p for p in patches if p.slug == error.slug)
    return result


# -- commits back to files ---------------------------------------------------------------------


def render_file(git: Git, commit: QueueCommit, patch: LoadedPatch | None,
                diff: bytes | None = None) -> bytes:
    """The patch file for ``commit``, keeping ``patch``'s header (DEP-3 fields, extra mail
    headers) when its description did not change, as export does."""
    desc = commit_description(commit)
    if diff is None:
        diff = git.commit_diffs([commit.sha]).get(commit.sha, b"")
    original = patch.file if patch is not None else None
    same = patch is not None and original is not None \
        and desc.message() == original.description.message() \
        and desc.author_name == patch.identity("").name \
        and desc.author_email == patch.identity("").email
    return patchfile.render(desc, diff, original, same)


def series_after_render(loaded: LoadedSeries, slugs: Sequence[str]) -> bytes | None:
    """The series file once the patches ``slugs`` were written by :func:`render_file` (git
    diffs with a/ and b/: -p1), or None when no entry changes (they already were -p1)."""
    from .model import SeriesEntry
    from .seriesdir import render_series

    wanted = set(slugs)
    entries = [SeriesEntry(e.name, 1, e.options) if e.slug in wanted else e
               for e in loaded.series.entries]
    if entries == list(loaded.series.entries):
        return None
    return render_series(loaded.series, entries).encode("utf-8", "surrogateescape")


def queue_commit(git: Git, sha: str) -> QueueCommit:
    """One commit read the way the queue reads its commits."""
    parents = git.parents(sha)
    parent = parents[0] if parents else sha
    found = git.queue_commits(parent, sha)
    if len(found) != 1:
        raise GitError(f"cannot read commit {sha[:12]}")
    return found[0]


def digest(data: bytes) -> str:
    return file_digest(data)


def check_new_slug(stack: Stack, slug: str) -> None:
    from .model import valid_slug

    if not valid_slug(slug):
        raise SeriesError(f"{slug!r} is not a usable patch name",
                          "use letters, digits and . _ + - @ (no spaces, no leading -)")
    if slug in stack.series_slugs() or slug in stack.applied_slugs():
        raise StateError(f"Patch {slug} exists already", "pick another name")

