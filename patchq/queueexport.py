"""From queue commits back to files: ``plan_export`` keeps every file whose description and
effect did not change byte for byte, ``apply_export`` writes the plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import patchfile
from .clock import today
from .errors import ApplyError
from .files import FileSet
from .git import Git, ObjectStore
from .model import Description, QueueCommit, SeriesEntry, slugify_subject, valid_slug
from .queue import LoadedPatch, LoadedSeries, fast_tree, recorded_unapplied
from .queuecache import Manifest
from .seriesdir import SERIES, check_relative, file_digest, render_series
from .upstream_map import UpstreamMap


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


def _applies_to(git: Git, patch: LoadedPatch, commit: QueueCommit,
                objects: ObjectStore | None = None) -> bool:
    """Does the file, applied to the commit's parent, give exactly the commit's tree?"""
    if patch.file.is_empty:
        return git.tree_of(commit.parent) == commit.tree
    if objects is not None:  # in-process when the patch allows it: the same tree git gives
        tree = fast_tree(objects, commit.parent, patch)
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
    objects = git.objects
    return [slug for commit, slug in zip(commits, _assign_slugs(commits))
            if slug in existing and not _applies_to(git, existing[slug], commit, objects)]


def _same_effect_as(git: Git, commit: QueueCommit, existing: dict[str, LoadedPatch],
                    candidates: dict[str, str], objects: ObjectStore | None = None) -> str | None:
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
    objects = git.objects
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


def slugs_of(commits: list[QueueCommit]) -> list[str]:
    """The slug each queue commit stands for (its trailer, else one made from its subject),
    exactly as export assigns them."""
    return _assign_slugs(commits)


def matches_file(git: Git, patch: LoadedPatch, commit: QueueCommit) -> bool:
    """Is ``commit`` exactly what ``patch``'s file gives (description and tree)?"""
    return _same_description(commit, patch) and _applies_to(git, patch, commit)
