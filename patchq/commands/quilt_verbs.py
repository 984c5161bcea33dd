"""`patchq next`, `previous`, `series`, `files`, `header`, `diff`, `rename NEW` and `refresh
PATCH`: the quilt verbs people reach for, on a track's stack.

The readers take no lock (like `applied`); the writers run under patchq's lock and journal
(:func:`patchq.store.writing`) and change the stack through :mod:`patchq.stack_tx`, so a
refused or interrupted command leaves the branch, the files and the map as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import stack_tx
from .. import store as pqstore
from ..errors import ApplyError, StateError
from ..git import add_trailer, work_tree_tree
from ..model import slug_of
from ..queueexport import _clean_message
from ..seriesdir import file_digest
from ..stack import (
    load,
    load_names,
    push_files,
    queue_commit,
    render_file,
    resolve_track,
    select,
    unexported,
)
from ..stack_state import EditState
from ..workspace import Workspace
from . import stack_edit
from .stack_nav import Listing, refuse_busy, session

# -- next, previous, series ------------------------------------------------------------------


def _names(ws: Workspace, track: str | None):
    """The stack's names, once an interrupted change is finished (as `applied` reads them)."""
    select(ws, track)
    with session(ws, write=False):
        return load_names(ws, resolve_track(ws, track))


def next_patch(ws: Workspace, track: str | None = None, after: str | None = None) -> Listing:
    """The patch after ``after`` (default: the top) in the series: the next one to push."""
    names = _names(ws, track)
    order = list(names.applied + names.unapplied)
    if after:
        slug = names.lookup(after)
        rest = order[order.index(slug) + 1:] if slug in order else []
        if not rest:
            return Listing(names.track, [], f"No patch after {slug}", 1)
        return Listing(names.track, rest[:1])
    if names.unapplied:
        return Listing(names.track, [names.unapplied[0]])
    if not names.applied:
        return Listing(names.track, [], "No patches in series", 1)
    return Listing(names.track, [], f"File series fully applied, ends at patch "
                   f"{names.applied[-1]}", 1)


def previous_patch(ws: Workspace, track: str | None = None,
                   before: str | None = None) -> Listing:
    """The patch below ``before`` (default: the top)."""
    names = _names(ws, track)
    order = list(names.applied + names.unapplied)
    if before:
        slug = names.lookup(before)
    elif names.applied:
        slug = names.applied[-1]
    else:
        return Listing(names.track, [], "No patches applied", 2)
    place = order.index(slug) if slug in order else 0
    if place == 0:
        return Listing(names.track, [], f"No patch before {slug}", 1)
    return Listing(names.track, [order[place - 1]])


@dataclass(frozen=True)
class SeriesItem:
    slug: str
    file: str
    state: str  # applied, top, unapplied, aside (set aside by a rebase), dropped


@dataclass
class SeriesListing:
    track: str
    items: list[SeriesItem] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"track": self.track,
                "patches": [{"slug": i.slug, "file": i.file, "state": i.state}
                            for i in self.items]}

    def lines(self, verbose: bool) -> list[str]:
        """quilt's `series` (-v: ``+`` applied, ``=`` the top, two spaces for the rest)."""
        if not verbose:
            return [i.slug for i in self.items]
        marks = {"applied": "+ ", "top": "= "}
        return [marks.get(i.state, "  ") + i.slug for i in self.items]


def series(ws: Workspace, track: str | None = None) -> SeriesListing:
    """Every patch of the series file, in order, with where it stands in the stack."""
    names = _names(ws, track)
    applied, tail, aside = set(names.applied), set(names.unapplied), set(names.aside)
    top = names.applied[-1] if names.applied else None
    out = SeriesListing(names.track)
    for file_name, slug in names.files:
        state = "top" if slug == top else "applied" if slug in applied else \
            "unapplied" if slug in tail else "aside" if slug in aside else "dropped"
        out.items.append(SeriesItem(slug, file_name, state))
    return out


# -- files, header, diff ---------------------------------------------------------------------


@dataclass(frozen=True)
class PatchView:
    track: str
    slug: str
    applied: bool
    files: tuple[str, ...] = ()
    header: bytes = b""
    diff: bytes = b""
    with_work_tree: bool = False  # diff: the top patch plus the work tree's changes

    def as_json(self) -> dict:
        return {"track": self.track, "slug": self.slug, "applied": self.applied,
                "files": list(self.files)}


def _target(stack, name: str | None) -> str:
    if name:
        return stack.lookup(name)
    if stack.top is None:
        raise StateError("No patches applied", "name a patch (see `patchq series`)")
    return stack.top.slug


def view(ws: Workspace, name: str | None = None, track: str | None = None,
         work_tree: bool = True) -> PatchView:
    """A patch (default: the top one): its files, its header, its diff. An applied patch is
    read from its commit on the queue branch (what is really applied), the top one with the
    work tree's uncommitted changes when ``work_tree`` and the branch is checked out (as
    `quilt diff`: what `patchq refresh` would write); an unapplied one from its file."""
    from ..interdiff import files as diff_files

    select(ws, track)
    with session(ws, write=False):
        stack = load(ws, resolve_track(ws, track))
    slug = _target(stack, name)
    index = stack.applied_index(slug)
    patch = stack.loaded.by_slug().get(slug)
    header = patch.file.preamble if patch is not None else b""
    if index is None:
        assert patch is not None  # lookup found it in the series
        return PatchView(stack.track, slug, False, tuple(diff_files(patch.file.diff,
                                                                    patch.entry.strip)),
                         header, patch.file.diff)
    git = ws.git
    item = stack.applied[index]
    new = item.commit.sha
    live = work_tree and stack.checked_out and index == len(stack.applied) - 1
    if live:
        new = work_tree_tree(git)
    data = git.diff(item.commit.parent, new)
    if patch is None:
        header = (item.commit.message.rstrip("\n") + "\n").encode("utf-8", "surrogateescape")
    return PatchView(stack.track, slug, True, tuple(diff_files(data)), header, data, live)


# -- rename NEW ------------------------------------------------------------------------------


def rename(ws: Workspace, new_name: str, patch: str | None = None,
           track: str | None = None) -> stack_edit.EditResult:
    """Rename ``patch`` (default: the top patch) to ``new_name``: `quilt rename [-P patch]`."""
    select(ws, track)  # the track's upstream clone, before anything is read
    with pqstore.writing(ws, allow_edit=True):
        track_name = resolve_track(ws, track)
        if patch is None:
            names = load_names(ws, track_name)
            if not names.applied:
                raise StateError("No patches applied", "name the patch to rename with -P PATCH")
            patch = names.applied[-1]
        if ("/" not in new_name and not new_name.endswith((".patch", ".diff"))
                and slug_of(new_name) != new_name):
            # NEW with a number prefix (0003-foo) names a file, as `quilt rename` takes it:
            # the slug is what it is without the number, and the file keeps NEW as given
            new_name += ".patch"
        return stack_edit.rename(ws, patch, new_name, track_name)


# -- refresh PATCH ---------------------------------------------------------------------------


def refresh(ws: Workspace, name: str | None = None, track: str | None = None,
            message: str | None = None, editor: stack_edit.Editor | None = None
            ) -> stack_edit.EditResult:
    """Fold the work tree's changes into ``name`` (default: the top patch), which may sit
    below the top (`quilt refresh PATCH`, `stg refresh -p`): the changes go into it and the
    patches above it are applied again from their files on the new commit. Refused, with
    nothing changed, when the changes do not apply to it or a patch above no longer applies
    the same way: then `patchq edit PATCH` lets you make the change there."""
    select(ws, track)
    git = ws.git
    with pqstore.writing(ws, allow_edit=True):  # says itself what it finished first
        resume = refuse_busy(git)
        track_name = resolve_track(ws, track)
        stack = load(ws, track_name)
        slug = _target(stack, name)
        if stack.top is not None and slug == stack.top.slug:
            result = stack_edit.refresh_top(ws, track_name, message, editor, resume)
        else:
            result = _refresh_below(ws, stack, slug, message, editor, resume)
        return result


def _refresh_below(ws: Workspace, stack, slug: str, message: str | None,
                   editor: stack_edit.Editor | None, resume: EditState | None
                   ) -> stack_edit.EditResult:
    git = ws.git
    index = stack.applied_index(slug)
    if index is None:
        raise StateError(f"Patch {slug} is not applied",
                         f"`patchq goto {slug}` first, or refresh an applied patch")
    item = stack.applied[index]
    if not stack.checked_out:
        raise StateError(f"refresh works in the work tree, and {stack.branch} is not checked "
                         f"out in {git.path}",
                         f"switch to it: `git -C {git.path} switch {stack.branch}`")
    if item.patch is None:
        raise StateError(f"{slug} is in no series file yet",
                         f"write it with `patchq export {stack.track}` first")
    above = stack.applied[index + 1:]
    waiting = unexported(git, stack, above)
    if waiting:
        raise StateError(f"{', '.join(waiting[:3])} above {slug} changed on {stack.branch} "
                         "and is in no series file yet",
                         f"write it with `patchq export {stack.track}` first")
    wanted = work_tree_tree(git)
    changes = git.diff(stack.tip, wanted)
    new_message = stack_edit.new_description(item.commit.message, message, editor)
    if not changes and new_message == _clean_message(item.commit.message):
        return stack_edit.EditResult(stack.track, slug, top=stack.top.slug, unchanged=True)
    hint = f"`patchq edit {slug}` to make the change with {slug} on top"
    tree = item.commit.tree
    if changes:
        with git.scratch_index(tree) as scratch:
            try:
                scratch.apply_diff(changes, slug)
            except ApplyError as exc:
                raise StateError(f"the work tree's changes do not apply to {slug} "
                                 f"({exc.details})", hint) from None
            tree = scratch.write_tree()
    sha = git.commit_tree(tree, [item.commit.parent], add_trailer(new_message, slug),
                          stack_edit._ident(item))
    rebuilt = push_files(git, sha, [a.patch for a in above], stack.fallback_date)
    if rebuilt.failed is not None:
        details = rebuilt.error.details if rebuilt.error is not None else "no details"
        raise StateError(f"{rebuilt.failed.slug} does not apply on {slug} with the work "
                         f"tree's changes ({details})", hint)
    new_tip = rebuilt.tip(sha)
    if git.tree_of(new_tip) != wanted:
        raise StateError(f"the patches above {slug} do not give the work tree back once the "
                         "changes are in it (they overlap)", hint)
    data = render_file(git, queue_commit(git, sha), item.patch)
    change = stack_edit._base_change("refresh", stack, new_tip, stack_tx.INDEX, index, git,
                                     resume)
    change.manifest_tip = change.manifest_tip or not unexported(git, stack,
                                                                stack.applied[:index])
    change.manifest[sha] = file_digest(data)
    change.manifest.update({p.commit: p.digest for p in rebuilt.pushed})
    written: list[Path] = []
    if data != item.patch.file.raw:
        change.write(git, item.patch.path, data)
        written.append(item.patch.path)
        stack_edit._write_strip1(git, change, stack, [slug])
    stack_tx.commit(git, change)
    return stack_edit.EditResult(stack.track, slug, top=stack.top.slug, written=written)


# -- header -e: a new description, the diff kept -----------------------------------------------


def reword(ws: Workspace, name: str | None = None, track: str | None = None,
           message: str | None = None, editor: stack_edit.Editor | None = None
           ) -> stack_edit.EditResult:
    """Give ``name`` (default: the top patch) a new description (``message``, or what
    ``editor`` makes of the old one); its diff part stays byte for byte and the work tree is
    not touched. An applied patch's commit is reworded and the commits above it are made
    again on it with the same trees; an unapplied one's file alone is rewritten."""
    import dataclasses

    from .. import patchfile
    from ..queueexport import commit_description

    select(ws, track)
    git = ws.git
    with pqstore.writing(ws, allow_edit=True):
        resume = refuse_busy(git)
        stack = load(ws, resolve_track(ws, track))
        slug = _target(stack, name)
        patch = stack.loaded.by_slug().get(slug)
        if patch is None:
            raise StateError(f"{slug} is in no series file yet",
                             f"write it with `patchq export {stack.track}` first")
        index = stack.applied_index(slug)
        item = stack.applied[index] if index is not None else None
        old = item.commit.message if item is not None else patch.file.description.message()
        new_message = stack_edit.new_description(old, message, editor)
        top = stack.top.slug if stack.top else None
        if new_message == _clean_message(old):
            return stack_edit.EditResult(stack.track, slug, top=top, unchanged=True)
        keep, new_tip = len(stack.applied), stack.tip
        manifest: dict[str, str] = {}
        if item is None:
            subject, _, body = new_message.partition("\n")
            desc = dataclasses.replace(patch.file.description, subject=subject.strip(),
                                       body=body.strip())
            data = patchfile.redescribe(desc, patch.file)
        else:
            assert index is not None
            sha = git.commit_tree(item.commit.tree, [item.commit.parent],
                                  add_trailer(new_message, slug), stack_edit._ident(item))
            commit = queue_commit(git, sha)
            data = render_file(git, commit, patch) if unexported(git, stack, [item]) else \
                patchfile.redescribe(commit_description(commit), patch.file)
            manifest[sha] = file_digest(data)
            keep = index
            new_tip = stack_edit._reparent(git, sha, stack.applied[index + 1:], manifest, {},
                                           stack_edit._digests(git, stack))
        change = stack_edit._base_change("header", stack, new_tip, stack_tx.NONE, keep, git,
                                         resume)
        change.manifest.update(manifest)
        change.write(git, patch.path, data)
        if item is not None and data != patch.file.raw:
            stack_edit._write_strip1(git, change, stack, [slug])
        stack_tx.commit(git, change)
        return stack_edit.EditResult(stack.track, slug, top=top, written=[patch.path])
