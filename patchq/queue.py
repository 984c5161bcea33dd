"""The queue: a track's series as commits on its base, and the way back to files.

``build`` applies a series on a base commit without touching any work tree (a scratch index
and in-process commit objects), so the same series on the same base always gives the same
commits. ``plan_export`` turns queue commits back into patch files, keeping every file whose
description and effect did not change byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import patchfile, validate
from . import store as pqstore
from .errors import ApplyError, GitError, SeriesError, StateError
from .files import atomic_write
from .git import FALLBACK_EMAIL, FALLBACK_NAME, Git, Identity, add_trailer
from .model import SeriesEntry, Track
from .seriesdir import (
    SeriesFile,
    file_digest,
    load_patch,
    read_series,
)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class LoadedPatch:
    """A patch of a series, read from disk."""

    entry: SeriesEntry
    file: patchfile.PatchFile
    path: Path
    digest: str

    @property
    def slug(self) -> str:
        return self.entry.slug

    def message(self) -> str:
        return add_trailer(self.file.description.message(), self.slug)

    def identity(self, fallback_date: str) -> Identity:
        desc = self.file.description
        name = desc.author_name or FALLBACK_NAME
        email = desc.author_email or (FALLBACK_EMAIL if not desc.author_name else "")
        return Identity(name=name, email=email, date=desc.date or fallback_date)


@dataclass(frozen=True)
class LoadedSeries:
    track: str
    directory: Path
    series: SeriesFile
    patches: tuple[LoadedPatch, ...]

    def by_slug(self) -> dict[str, LoadedPatch]:
        return {p.slug: p for p in self.patches}


def load_series(directory: Path, track: str) -> LoadedSeries:
    """Read a track's series and every patch it lists; refuse duplicate slugs."""
    series = read_series(directory)
    patches: list[LoadedPatch] = []
    seen: dict[str, str] = {}
    for entry in series.entries:
        loaded = load_patch(directory, entry)
        if entry.slug in seen:
            raise SeriesError(f"{entry.name} and {seen[entry.slug]} share the slug {entry.slug!r}",
                              "rename one of them")
        seen[entry.slug] = entry.name
        patches.append(LoadedPatch(entry=entry, file=loaded, path=directory / entry.name,
                                   digest=file_digest(loaded.raw)))
    return LoadedSeries(track=track, directory=directory, series=series, patches=tuple(patches))


# -- the track's base and queue branch -----------------------------------------------------


def base_commit(git: Git, track: Track) -> str:
    """The track's base as a commit of the upstream clone, with a clear error if it is gone."""
    if track.base_commit:
        found = git.rev_parse(track.base_commit)
        if found:
            return found
        raise GitError(f"the base of track {track.name} ({track.base} = {track.base_commit[:12]}) "
                       f"is not in {git.path}", "fetch it into the upstream clone")
    return git.resolve(track.base, f"base of track {track.name}")


def queue_on_base(git: Git, track: Track, branch: str) -> tuple[str, str]:
    """(tip, base) of a track's queue branch, checked: it exists and sits on the base."""
    tip = git.branch_tip(branch)
    if tip is None:
        raise StateError(f"there is no queue branch {branch} in {git.path}",
                         f"run `patchq checkout {track.name}` first")
    base = base_commit(git, track)
    if not git.is_ancestor(base, tip):
        raise StateError(f"{branch} does not sit on the track's base {track.base}",
                         f"move the track with `patchq rebase {track.name}` (not git rebase), "
                         f"or rebuild it with `patchq checkout {track.name} --force`")
    return tip, base


# -- building -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    slug: str
    commit: str
    how: str  # clean, 3way, fuzzy (as GNU patch would: docs/design.md), empty
    notes: tuple[str, ...] = ()  # for fuzzy: which hunks took fuzz, which files' line endings


@dataclass
class BuildResult:
    base: str
    applied: list[Applied] = field(default_factory=list)
    failed: list[ApplyError] = field(default_factory=list)

    @property
    def tip(self) -> str:
        return self.applied[-1].commit if self.applied else self.base


def build(git: Git, base: str, patches: Sequence[LoadedPatch], *, keep_going: bool = False,
          stop: bool = False, fallback_date: str | None = None,
          progress: Progress | None = None) -> BuildResult:
    """Apply ``patches`` on ``base`` as one commit each. Stops at the first failure
    (raises ApplyError) unless ``keep_going``, which records failures and skips them, or
    ``stop``, which records the failure and stops there. Patches without a date get
    ``fallback_date`` (default: the date of ``base``).

    No work tree is touched, and no git process runs per patch when it can be helped: a patch
    whose every hunk sits exactly where it says is applied in-process (:func:`fast_tree`,
    blobs read through one ``git cat-file --batch``, blobs, trees and commits written
    in-process); any other patch goes to ``git apply --cached`` in a scratch index, with the
    3-way fallback. The commits are the same either way.
    """
    result = BuildResult(base=base)
    fallback_date = fallback_date or git.commit_date(base)
    parent = base
    tree = git.tree_of(base)
    store = git.objects
    for number, patch in enumerate(patches, 1):
        if progress:
            progress(number, len(patches), patch.slug)
        how = "empty"
        notes: tuple[str, ...] = ()  # how a fuzzy apply went
        if not patch.file.is_empty:
            refused = validate.patch_problems(patch.file.raw, patch.file.diff,
                                              patch.entry.strip)
            new_tree = None if refused else fast_tree(store, tree, patch)
            how = "clean"
            if new_tree is None:
                try:
                    if refused:  # what git refuses, the in-process apply refuses too
                        raise ApplyError(f"{patch.slug}: {refused[0]}", slug=patch.slug,
                                         details=refused[0])
                    how, new_tree = git_tree(git, tree, patch)
                except ApplyError as exc:
                    fuzzy = None if refused else fuzzy_tree(store, tree, patch)
                    if fuzzy is None:
                        if not (keep_going or stop):
                            raise
                        result.failed.append(exc)
                        if stop:
                            break
                        continue
                    how, (new_tree, notes) = "fuzzy", fuzzy
            tree = new_tree
        parent = store.commit(tree, [parent], patch.message(), patch.identity(fallback_date))
        result.applied.append(Applied(patch.slug, parent, how, notes))
    return result


def fast_tree(store, tree: str, patch: LoadedPatch) -> str | None:
    """``tree`` with ``patch`` applied in-process, or None when git must apply it: anything
    :mod:`patchq.fastapply` does not apply exactly as ``git apply`` would (renames, modes,
    binary, a hunk that moved), a new file that exists, a file that is missing or not a
    regular file, a deleted file that would not end up empty."""
    from . import fastapply

    try:
        files = fastapply.parse(patch.file.diff, patch.entry.strip)
    except fastapply.Unsupported:
        return None
    if not files:
        return None
    changes: dict[str, tuple[str, str] | None] = {}
    for item in files:
        if item.old_path is None:
            if item.new_path is None or item.new_path in changes or \
                    store.entry(tree, item.new_path) is not None:
                return None
            data = fastapply.apply_file(None, item)
            if data is None:
                return None
            changes[item.new_path] = (item.mode, store.write("blob", data))
            continue
        if item.old_path in changes or (item.new_path and item.new_path != item.old_path):
            return None
        found = _regular_file(store, tree, item.old_path)
        data = fastapply.apply_file(found[1], item) if found is not None else None
        if found is None or data is None:
            return None
        if item.new_path is None:
            if data:
                return None
            changes[item.old_path] = None
        else:
            changes[item.old_path] = (found[0], store.write("blob", data))
    return store.tree_with(tree, changes) or None


def _regular_file(store, tree: str, path: str) -> tuple[str, bytes] | None:
    """(mode, bytes) of a regular file of ``tree``; None for a link, a submodule, a
    directory or nothing."""
    found = store.entry(tree, path)
    if found is None or found[0] not in ("100644", "100755"):
        return None
    kind, data = store.read(found[1])
    return (found[0], data) if kind == "blob" else None


def fuzzy_tree(store, tree: str, patch: LoadedPatch) -> tuple[str, tuple[str, ...]] | None:
    """(tree, notes): ``patch`` applied as GNU ``patch`` applies it (offsets, fuzz up to 2,
    line endings reconciled; :mod:`patchq.fuzzy`), or None when that refuses it too."""
    from . import fuzzy

    def read(path: str) -> bytes | None:
        found = _regular_file(store, tree, path)
        return found[1] if found else None

    try:
        done = fuzzy.apply_patch(patch.file.diff, patch.entry.strip, read)
    except (fuzzy.Refused, fuzzy.Unsupported):
        return None
    changes: dict[str, tuple[str, str] | None] = {}
    for path, data, mode in done.files:
        if data is None:
            changes[path] = None
            continue
        found = store.entry(tree, path)
        changes[path] = (found[0] if found else (mode or "100644"), store.write("blob", data))
    new_tree = store.tree_with(tree, changes)
    if not new_tree:
        return None
    return new_tree, done.notes or ("applied as GNU patch would (offsets only)",)


def git_tree(git: Git, tree: str, patch: LoadedPatch) -> tuple[str, str]:
    """(how, tree): ``patch`` applied by git in a scratch index holding ``tree``."""
    with git.scratch_index(tree) as index:
        how = index.apply(patch.path, patch.entry.strip, slug=patch.slug)
        return how, index.write_tree()


def stack_record_path(git: Git, track: str) -> Path:
    return pqstore.stack_record_path(git, track)


def read_stack_record(git: Git, track: str) -> dict | None:
    """What the stack commands last recorded for ``track`` (``{"base": commit}``), or None."""
    try:
        data = json.loads(stack_record_path(git, track).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_stack_record(git: Git, track: str, base: str) -> None:
    """Say that ``track``'s queue branch on ``base`` is a stack: series patches above its top
    that are not on the branch are unapplied, not removed."""
    atomic_write(stack_record_path(git, track),
                 json.dumps({"base": base}, sort_keys=True).encode())


def unapplied_tail(series_slugs: Sequence[str], applied_slugs: Sequence[str]) -> list[str]:
    """The series patches after the last one on the branch that are not on it (quilt's view:
    the branch holds the applied part of the series).

    >>> unapplied_tail(["a", "b", "c", "d"], ["a", "x", "b"])
    ['c', 'd']
    >>> unapplied_tail(["a", "b"], [])
    ['a', 'b']
    """
    on_branch = set(applied_slugs)
    last = max((i for i, s in enumerate(series_slugs) if s in on_branch), default=-1)
    return [s for s in series_slugs[last + 1:] if s not in on_branch]


def recorded_unapplied(git: Git, loaded: LoadedSeries, base: str,
                       applied_slugs: Sequence[str]) -> list[str]:
    """The unapplied tail of a stack, when the stack commands recorded one for this base."""
    record = read_stack_record(git, loaded.track)
    if not record or record.get("base") != base:
        return []
    return unapplied_tail([p.slug for p in loaded.patches], applied_slugs)


__all__ = [
    "Applied", "BuildResult", "LoadedPatch", "LoadedSeries", "Progress", "base_commit", "build",
    "fast_tree", "fuzzy_tree", "git_tree", "load_series", "queue_on_base", "read_stack_record",
    "recorded_unapplied", "stack_record_path", "unapplied_tail", "write_stack_record",
]
