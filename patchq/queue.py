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
from .clock import today
from .errors import ApplyError, GitError, SeriesError, StateError
from .files import FileSet, atomic_write
from .git import FALLBACK_EMAIL, FALLBACK_NAME, Git, Identity, add_trailer
from .model import Description, QueueCommit, SeriesEntry, Track, slugify_subject, valid_slug
from .seriesdir import (
    SERIES,
    SeriesFile,
    check_relative,
    file_digest,
    load_patch,
    read_series,
    render_series,
)
from .upstream_map import UpstreamMap

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
    patches, seen = [], {}
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
    from .git import ObjectStore

    result = BuildResult(base=base)
    fallback_date = fallback_date or git.commit_date(base)
    parent = base
    tree = git.tree_of(base)
    store = ObjectStore(git)
    try:
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
    finally:
        store.close()
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
        if data is None:
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


# -- builds remembered: the same series on the same base is the same commits -----------------

_BUILDS_KEPT = 16


def _build_key(git: Git, base: str, patches: Sequence[LoadedPatch]) -> str:
    """What a build's result depends on: patchq and git, the base, every file and its -pN."""
    import hashlib

    from . import __version__

    digest = hashlib.sha256(f"{__version__}\n{git.out('version')}\n{base}\n".encode())
    for patch in patches:
        digest.update(f"{patch.entry.name}\0{patch.entry.strip}\0{patch.digest}\n".encode())
    return digest.hexdigest()


def build_cached(git: Git, base: str, patches: Sequence[LoadedPatch], *,
                 keep_going: bool = False, progress: Progress | None = None) -> BuildResult:
    """:func:`build`, remembering a complete build in the clone's git dir so that the next
    one of the same series on the same base (``checkout`` right after ``import``, or going
    back to a track) reuses its commits instead of applying every patch again. The commits
    are those :func:`build` would write: the result is the same, only sooner. A build is
    reused only while every object it made is still in the clone."""
    path = git.git_path(pqstore.BUILDS)
    key = _build_key(git, base, patches)
    builds = _read_builds(path)
    known = remembered_build(git, base, patches, builds)
    if known is not None:
        if progress:
            progress(len(patches), len(patches), "(built before)")
        return known
    result = build(git, base, patches, keep_going=keep_going, progress=progress)
    if not result.failed and result.applied:
        builds.pop(key, None)
        builds[key] = {"applied": [[a.slug, a.commit, a.how, list(a.notes)]
                                   for a in result.applied]}
        for old in list(builds)[:-_BUILDS_KEPT]:
            del builds[old]
        try:
            atomic_write(path, json.dumps(builds, indent=1).encode())
        except OSError:
            pass  # a cache: failing to keep it costs time, never correctness
    return result


def _read_builds(path) -> dict:
    try:
        builds = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return builds if isinstance(builds, dict) else {}


def remembered_build(git: Git, base: str, patches: Sequence[LoadedPatch],
                     builds: dict | None = None) -> BuildResult | None:
    """The complete build of this series on this base remembered from an earlier command
    (import, checkout, lint...), while its objects are still in the clone; else None."""
    if builds is None:
        builds = _read_builds(git.git_path(pqstore.BUILDS))
    known = builds.get(_build_key(git, base, patches))
    if not (isinstance(known, dict) and known.get("applied")
            and _objects_present(git, base, known)):
        return None
    return BuildResult(base=base, applied=[Applied(item[0], item[1], item[2],
                                                   tuple(item[3]) if len(item) > 3 else ())
                                           for item in known["applied"]])


def _objects_present(git: Git, base: str, known: dict) -> bool:
    """Are the remembered commits, and every tree and blob they need, still in the clone?"""
    tip = known["applied"][-1][1]
    return git.objects_complete(tip, base)


# -- the manifest: which commit each patch file produced --------------------------------------


class Manifest:
    """Kept in the upstream clone's git dir: commit id -> digest of the patch file it came from.

    It lets export see at a glance that a commit is exactly what a file produced, without
    applying the file again. It is a cache: losing it costs time, never correctness.
    """

    def __init__(self, git: Git, track: str) -> None:
        self.path = pqstore.manifest_path(git, track)
        try:
            self.data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}
        self.data.setdefault("commits", {})

    def digest_for(self, commit: str) -> str | None:
        return self.data["commits"].get(commit)

    def record(self, commit: str, digest: str) -> None:
        self.data["commits"][commit] = digest

    def set_tip(self, branch: str, tip: str) -> None:
        self.data["branch"], self.data["tip"] = branch, tip

    @property
    def tip(self) -> str | None:
        return self.data.get("tip")

    def save(self, keep: Sequence[str] = ()) -> None:
        if keep:
            wanted = set(keep)
            self.data["commits"] = {c: d for c, d in self.data["commits"].items() if c in wanted}
        atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode())


def record_build(git: Git, track: str, branch: str, loaded: LoadedSeries,
                 result: BuildResult) -> None:
    manifest = Manifest(git, track)
    digests = {p.slug: p.digest for p in loaded.patches}
    for item in result.applied:
        manifest.record(item.commit, digests[item.slug])
    manifest.set_tip(branch, result.tip)
    manifest.save(keep=[a.commit for a in result.applied])


# -- export -------------------------------------------------------------------------------


@dataclass
class ExportPlan:
    track: str
    files: FileSet
    entries: list[SeriesEntry]
    unchanged: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    commits: dict[str, str] = field(default_factory=dict)  # slug -> commit
    digests: dict[str, str] = field(default_factory=dict)  # commit -> new file digest
    unapplied: list[str] = field(default_factory=list)  # kept: popped off a partly applied stack

    @property
    def touched(self) -> bool:
        return bool(self.files.changes())


def commit_description(commit: QueueCommit) -> Description:
    subject, _, body = commit.message.partition("\n")
    return Description(subject=subject.strip(), body=body.strip(), author_name=commit.author_name,
                       author_email=commit.author_email, date=commit.author_date)


def _clean_message(message: str) -> str:
    """A message as ``git commit`` cleans it (trailing spaces, runs of blank lines), so that an
    amend that only let git tidy the message does not count as a new description.

    >>> _clean_message("Fix  \\n\\n\\n\\nWhy.\\n\\n")
    'Fix\\n\\nWhy.\\n'
    """
    out: list[str] = []
    for line in message.splitlines():
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def _same_description(commit: QueueCommit, patch: LoadedPatch) -> bool:
    expected = patch.identity("")
    return (_clean_message(commit.message) == _clean_message(patch.file.description.message())
            and commit.author_name == expected.name and commit.author_email == expected.email)


class _Objects:
    """An ObjectStore opened on first use (export often needs none), closed by ``close``."""

    def __init__(self, git: Git) -> None:
        self.git = git
        self._store = None

    def get(self):
        if self._store is None:
            from .git import ObjectStore

            self._store = ObjectStore(self.git)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _applies_to(git: Git, patch: LoadedPatch, commit: QueueCommit,
                objects: _Objects | None = None) -> bool:
    """Does the file, applied to the commit's parent, give exactly the commit's tree?"""
    if patch.file.is_empty:
        return git.tree_of(commit.parent) == commit.tree
    if objects is not None:  # in-process when the patch allows it: the same tree git gives
        tree = fast_tree(objects.get(), commit.parent, patch)
        if tree is not None:
            return tree == commit.tree
    with git.scratch_index(git.tree_of(commit.parent)) as index:
        try:
            index.apply(patch.path, patch.entry.strip, three_way=False, slug=patch.slug)
        except ApplyError:
            return False
        return index.write_tree() == commit.tree


_EFFECT_SEARCH_LIMIT = 20  # removed patches compared by effect with a commit that names none


def unclean(git: Git, loaded: LoadedSeries, base: str, tip: str) -> list[str]:
    """The patches of ``base..tip`` whose files do not give their commit by a plain apply
    (they needed a 3-way merge, fuzz or line endings reconciled): what `export --refresh`
    rewrites from the commits."""
    commits = git.queue_commits(base, tip)
    existing = loaded.by_slug()
    objects = _Objects(git)
    try:
        return [slug for commit, slug in zip(commits, _assign_slugs(commits))
                if slug in existing and not _applies_to(git, existing[slug], commit, objects)]
    finally:
        objects.close()


def _same_effect_as(git: Git, commit: QueueCommit, existing: dict[str, LoadedPatch],
                    candidates: dict[str, str], objects: _Objects | None = None) -> str | None:
    """The removed patch (among ``candidates``: subject -> slug) whose file gives exactly
    ``commit``'s change; it is taken out of ``candidates``."""
    if len(candidates) > _EFFECT_SEARCH_LIMIT:
        return None
    for subject, slug in list(candidates.items()):
        if _applies_to(git, existing[slug], commit, objects):
            del candidates[subject]
            return slug
    return None


def _assign_slugs(commits: list[QueueCommit]) -> list[str]:
    slugs, seen = [], set()
    for commit in commits:
        slug = commit.slug or slugify_subject(commit.message.partition("\n")[0])
        if not valid_slug(slug):
            slug = slugify_subject(slug)
        base, n = slug, 2
        while slug in seen:
            slug, n = f"{base}-{n}", n + 1
        seen.add(slug)
        slugs.append(slug)
    return slugs


def _numbered(names: Sequence[str]) -> bool:
    return bool(names) and sum(1 for n in names if n[:4].isdigit() and n[4:5] == "-") * 2 > len(names)


def plan_export(git: Git, umap: UpstreamMap, loaded: LoadedSeries, base: str, tip: str,
                refresh: Sequence[str] = (), unapplied: Sequence[str] | None = None) -> ExportPlan:
    """What export of ``base..tip`` would write into the series directory.

    ``refresh`` names slugs whose files must be regenerated even if they still apply
    (a rebase refreshes patches that only moved). ``unapplied`` names series patches that are
    not on the branch but stay (popped off a partly applied stack): their files and series
    entries are kept, after the applied ones. None means: ask the stack record
    (:func:`recorded_unapplied`); pass ``()`` to treat every missing patch as removed.
    """
    commits = git.queue_commits(base, tip)
    slugs = _assign_slugs(commits)
    existing = loaded.by_slug()
    manifest = Manifest(git, loaded.track)
    plan = ExportPlan(track=loaded.track, files=FileSet(), entries=[])
    old_names = [e.name for e in loaded.series.entries]
    numbered = _numbered(old_names)
    to_render: list[tuple[int, QueueCommit, str, LoadedPatch | None]] = []
    if unapplied is None:
        unapplied = recorded_unapplied(git, loaded, base, slugs)
    kept = [s for s in unapplied if s in existing and s not in set(slugs)]
    removed_slugs = [s for s in existing if s not in set(slugs) and s not in kept]
    # a patch a rebase set aside (needs_person) is not on the branch but stays, in its place
    aside = [s for s in removed_slugs if umap.patch(s).get("tracks", {}).get(
        loaded.track, {}).get("needs_person") is True]
    removed_slugs = [s for s in removed_slugs if s not in aside]
    removed_by_subject = {existing[s].file.description.subject: s for s in removed_slugs}
    taken = set(old_names)

    # first pass: what each commit is (unchanged, renamed, changed, added); which keep their diff
    objects = _Objects(git)
    try:
        same_effect: set[int] = set()  # positions whose description alone changed
        for position, (commit, slug) in enumerate(zip(commits, slugs)):
            plan.commits[slug] = commit.sha
            patch = existing.get(slug)
            renamed = False
            if patch is None:
                old_slug = removed_by_subject.pop(commit.message.partition("\n")[0], None) or \
                    _same_effect_as(git, commit, existing, removed_by_subject, objects)
                if old_slug is not None and not commit.slug:
                    # a commit that lost its trailer (reworded by hand) is still that patch
                    del plan.commits[slug]
                    slug = slugs[position] = old_slug
                    plan.commits[slug] = commit.sha
                    patch = existing[old_slug]
                    removed_slugs.remove(old_slug)
                elif old_slug is not None:
                    patch, renamed = existing[old_slug], True
                    plan.renamed.append((old_slug, slug))
            if patch is not None and slug not in refresh:
                if manifest.digest_for(commit.sha) == patch.digest:
                    applies = same = True
                else:
                    same = _same_description(commit, patch)
                    applies = _applies_to(git, patch, commit, objects)
                if same and applies and not renamed:
                    plan.entries.append(patch.entry)
                    plan.unchanged.append(slug)
                    plan.digests[commit.sha] = patch.digest
                    continue
                if applies:
                    same_effect.add(position)
            to_render.append((position, commit, slug, patch))
            plan.entries.append(SeriesEntry(name=""))  # placeholder, filled below
    finally:
        objects.close()

    # second pass: names and bytes of the files to write
    diffs = git.commit_diffs([c.sha for p, c, _, _ in to_render if p not in same_effect])
    for position, commit, slug, patch in to_render:
        if patch is not None and patch.slug == slug:
            name = patch.entry.name
            plan.changed.append(slug)
        elif patch is not None:  # renamed
            old = patch.entry.name
            name = old.replace(patch.slug, slug, 1) if patch.slug in old else f"{slug}.patch"
            name = _free_name(name, taken)
            plan.files.delete(loaded.directory / old)
        else:
            name = _free_name(f"{_new_number(plan.entries[:position], taken):04d}-{slug}.patch"
                              if numbered else f"{slug}.patch", taken)
            plan.added.append(slug)
        taken.add(name)
        check_relative(name)
        desc = commit_description(commit)
        same = patch is not None and _same_description(commit, patch)
        if patch is not None and position in same_effect:
            # the diff part stays as it was (and its -pN); only the description may change
            data = patch.file.raw if same else patchfile.redescribe(desc, patch.file)
            entry = SeriesEntry(name=name, strip=patch.entry.strip, options=patch.entry.options)
        else:
            data = patchfile.render(desc, diffs.get(commit.sha, b""),
                                    patch.file if patch is not None else None, same)
            entry = SeriesEntry(name=name, strip=1)
        plan.files.write(loaded.directory / name, data)
        plan.digests[commit.sha] = file_digest(data)
        plan.entries[position] = entry

    renamed_from = {old for old, _ in plan.renamed}
    for slug in removed_slugs:
        if slug not in renamed_from:
            plan.removed.append(slug)
            plan.files.delete(existing[slug].path)
    for slug in kept:  # the unapplied part of the stack, as it is
        plan.entries.append(existing[slug].entry)
        plan.unapplied.append(slug)
    for slug in aside:  # after the patch that came before it in the series
        order = [e.slug for e in loaded.series.entries]
        before = [o for o in order[:order.index(slug)] if o in {e.slug for e in plan.entries}]
        at = next((i + 1 for i, e in enumerate(plan.entries) if before and e.slug == before[-1]),
                  0)
        plan.entries.insert(at, existing[slug].entry)

    new_series = render_series(loaded.series, plan.entries)
    if [e for e in plan.entries] != list(loaded.series.entries) or not loaded.series.exists:
        plan.files.write(loaded.directory / SERIES, new_series.encode("utf-8", "surrogateescape"))
    _plan_map(umap, plan)
    return plan


def _number_of(name: str) -> int | None:
    head = name.rsplit("/", 1)[-1][:5]
    return int(head[:4]) if head[:4].isdigit() and head[4:5] == "-" else None


def _new_number(before: Sequence[SeriesEntry], taken: set[str]) -> int:
    """The number of a patch added to a numbered series (``0004-x.patch``): one more than the
    patch before it if no file has that number yet, else one more than the highest number,
    so that no other file is renumbered.

    >>> _new_number([SeriesEntry("0001-a.patch")], {"0001-a.patch", "0002-b.patch"})
    3
    >>> _new_number([SeriesEntry("0001-a.patch")], {"0001-a.patch", "0005-b.patch"})
    2
    """
    numbers = [n for n in map(_number_of, taken) if n is not None]
    previous = next((n for n in (_number_of(e.name) for e in reversed(before)) if n is not None),
                    0)
    wanted = previous + 1
    if wanted in numbers:
        wanted = max(numbers) + 1
    return wanted


def _free_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, _, ext = name.rpartition(".")
    n = 2
    while f"{stem}-{n}.{ext}" in taken:
        n += 1
    return f"{stem}-{n}.{ext}"


def _plan_map(umap: UpstreamMap, plan: ExportPlan) -> None:
    """Map records for added, removed and renamed patches, written with the files (rendered
    once, and only when a record changed: rendering a big map costs more than the rest)."""
    changed = bool(plan.renamed)
    for old, new in plan.renamed:
        umap.move_patch_track(old, new, plan.track)
    for entry in plan.entries:
        changed |= not umap.has_patch_track(entry.slug, plan.track)
        table = umap.patch_track(entry.slug, plan.track)
        if table.get("carried") is not True:
            table["carried"] = changed = True
        if "since" not in table:
            table["since"], changed = today(), True
        if entry.slug in plan.commits and table.get("needs_person") is True:
            # a patch a rebase set aside is on the branch again: a person resolved it
            del table["needs_person"]
            if "set_aside_on" in table:
                del table["set_aside_on"]
            table["outcome"], changed = "modified", True
    for slug in plan.removed:
        if umap.has_patch_track(slug, plan.track):
            table = umap.patch_track(slug, plan.track)
            if table.get("carried") is not False:
                table["carried"], changed = False, True
    if changed:
        plan.files.write(umap.path, umap.text().encode("utf-8"))


def apply_export(git: Git, plan: ExportPlan, branch: str, tip: str) -> list[Path]:
    """Write the planned files (all or nothing) and remember which commit each file is."""
    written = plan.files.apply()
    manifest = Manifest(git, plan.track)
    for commit, digest in plan.digests.items():
        manifest.record(commit, digest)
    manifest.set_tip(branch, tip)
    manifest.save(keep=list(plan.digests))
    return written



# -- the stack record: a track whose queue branch holds only part of its series ---------------


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


def slugs_of(commits: list[QueueCommit]) -> list[str]:
    """The slug each queue commit stands for (its trailer, else one made from its subject),
    exactly as export assigns them."""
    return _assign_slugs(commits)


def matches_file(git: Git, patch: LoadedPatch, commit: QueueCommit) -> bool:
    """Is ``commit`` exactly what ``patch``'s file gives (description and tree)?"""
    return _same_description(commit, patch) and _applies_to(git, patch, commit)
