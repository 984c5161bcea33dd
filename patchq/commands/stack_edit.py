"""`patchq new`, `refresh`, `delete`, `rename`, `fold`, `edit`: changing a track's stack.

Each keeps the queue branch, the series directory and the map in step, the way quilt keeps
its patches directory: `new` writes an empty patch file, `refresh` rewrites the top patch's
file, `delete`/`rename`/`fold` change the series file and move map records. So `patchq export`
afterwards has nothing left to write for them.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import patchfile, stack_state, stack_tx
from .. import store as pqstore
from ..clock import now, today
from ..errors import StateError
from ..git import Git, Identity, add_trailer, author_ident, work_tree_tree
from ..model import Description, SeriesEntry, slug_of
from ..queueexport import _clean_message, _free_name, _numbered, commit_description
from ..seriesdir import SERIES, check_relative, file_digest, render_series
from ..stack import (
    AppliedPatch,
    Stack,
    check_new_slug,
    exported_tip,
    load,
    push_files,
    queue_commit,
    render_file,
    resolve_track,
    select,
    series_after_render,
    unexported,
)
from ..stack_state import EditState, edit_hint
from ..workspace import Workspace
from .stack_nav import (
    MoveResult,
    pop_stack,
    push_stack,
    refuse_busy,
    refuse_dirty,
    session,
)

Editor = Callable[[str], "str | None"]


@dataclass
class EditResult:
    """What new, refresh, delete, rename and fold did."""

    track: str
    slug: str
    top: str | None = None
    unchanged: bool = False
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    popped: bool = False  # delete took the patch off the branch
    into: str = ""  # fold: the patch below
    new_slug: str = ""  # rename
    recovered: str | None = None


# -- shared pieces ---------------------------------------------------------------------------


def _ident(item: AppliedPatch) -> Identity:
    commit = item.commit
    return Identity(commit.author_name, commit.author_email, commit.author_date)


def _name_and_file(stack: Stack, name: str, position: int) -> tuple[str, str]:
    """(slug, file name) for a NAME a person gave: a slug, or a file name like quilt takes."""
    if name.endswith((".patch", ".diff")) or "/" in name:
        check_relative(name)
        return slug_of(name), name
    names = [e.name for e in stack.loaded.series.entries]
    taken = set(names)
    file_name = f"{position + 1:04d}-{name}.patch" if _numbered(names) else f"{name}.patch"
    return name, _free_name(file_name, taken)


def _write_series(git: Git, change: stack_tx.Change, stack: Stack,
                  entries: list[SeriesEntry]) -> None:
    text = render_series(stack.loaded.series, entries)
    change.write(git, stack.directory / SERIES, text.encode("utf-8", "surrogateescape"))


def _write_strip1(git: Git, change: stack_tx.Change, stack: Stack, slugs: list[str]) -> None:
    """Re-rendered patches are -p1 git diffs now: their series entries say so."""
    data = series_after_render(stack.loaded, slugs)
    if data is not None:
        change.write(git, stack.directory / SERIES, data)


def _write_map(git: Git, change: stack_tx.Change, ws: Workspace, before: str) -> None:
    if ws.map.readonly:
        raise RuntimeError("the map was loaded read-only; reload_map() before changing it")
    after = ws.map.text()
    if after != before:
        change.write(git, ws.map_path, after.encode("utf-8"))


def _reparent(git: Git, parent: str, items: list[AppliedPatch], manifest: dict[str, str],
              slug_for: dict[str, str], old_digests: dict[str, str] | None = None) -> str:
    for item in items:
        slug = slug_for.get(item.slug, item.slug)
        sha = git.commit_tree(item.commit.tree, [parent], add_trailer(item.commit.message, slug),
                              _ident(item))
        digest = (old_digests or {}).get(item.commit.sha)
        if digest:
            manifest[sha] = digest
        parent = sha
    return parent


def _digests(git: Git, stack: Stack) -> dict[str, str]:
    from ..queuecache import Manifest

    data = Manifest(git, stack.track).data["commits"]
    return dict(data)


def _base_change(verb: str, stack: Stack, new_tip: str, work_tree: stack_tx.WorkTree, keep: int,
                 git: Git, resume: EditState | None) -> stack_tx.Change:
    return stack_tx.Change(verb, stack.track, stack.branch, stack.tip, new_tip, work_tree,
                           manifest_keep=[a.commit.sha for a in stack.applied[:keep]],
                           manifest_tip=exported_tip(git, stack), stack_base=stack.base,
                           then=resume)


def _require_checked_out(git: Git, stack: Stack, doing: str) -> None:
    if not stack.checked_out:
        raise StateError(f"{doing} works in the work tree, and {stack.branch} is not checked out "
                         f"in {git.path}", f"switch to it: `git -C {git.path} switch "
                         f"{stack.branch}`")


# -- new -----------------------------------------------------------------------------------------


def new(ws: Workspace, name: str, message: str | None = None,
        track: str | None = None) -> EditResult:
    """Add an empty patch NAME right after the top patch and make it the top. Changes already
    in the work tree stay there, for `patchq refresh` to put into it."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        resume = refuse_busy(git)
        stack = load(ws, resolve_track(ws, track))
        entries = list(stack.loaded.series.entries)
        series_slugs = [e.slug for e in entries]
        applied_in_series = [a.slug for a in stack.applied if a.slug in series_slugs]
        position = series_slugs.index(applied_in_series[-1]) + 1 if applied_in_series else 0
        slug, file_name = _name_and_file(stack, name, position)
        check_new_slug(stack, slug)
        path = stack.directory / file_name
        if path.exists():
            raise StateError(f"{path} exists already", "pick another name")
        text = (message or "").strip() or slug
        subject, _, body = text.partition("\n")
        who_name, who_email = author_ident(git)
        desc = Description(subject=subject.strip(), body=body.strip(), author_name=who_name,
                           author_email=who_email, date=email.utils.format_datetime(now()))
        data = patchfile.render(desc, b"")
        parsed = patchfile.parse(data, slug)
        sha = git.commit_tree(git.tree_of(stack.tip), [stack.tip],
                              add_trailer(parsed.description.message(), slug),
                              Identity(who_name, who_email, desc.date))
        change = _base_change("new", stack, sha, stack_tx.NONE, len(stack.applied), git, resume)
        change.manifest[sha] = file_digest(data)
        change.write(git, path, data)
        entries.insert(position, SeriesEntry(name=file_name))
        _write_series(git, change, stack, entries)
        before = ws.reload_map().text()
        table = ws.map.patch_track(slug, stack.track)
        table["carried"] = True
        table["since"] = today()
        _write_map(git, change, ws, before)
        stack_tx.commit(git, change)
        return EditResult(stack.track, slug, top=slug, written=[path], recovered=recovered)


# -- refresh -------------------------------------------------------------------------------------


def refresh(ws: Workspace, track: str | None = None, message: str | None = None,
            editor: Editor | None = None) -> EditResult:
    """Fold the work tree's changes to tracked files (staged or not, and files added with
    `git add`) into the top patch, and rewrite its file. ``message`` or ``editor`` change
    its description."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        resume = refuse_busy(git)
        result = refresh_top(ws, resolve_track(ws, track), message, editor, resume)
        result.recovered = recovered
        return result


def new_description(old: str, message: str | None, editor: Editor | None) -> str:
    """A patch's description after -m MSG (replacing ``old``) and -e (``editor`` on it), as a
    commit message; refused when it comes out empty."""
    text = old if message is None else message.strip() + "\n"
    if editor is not None:
        edited = editor(text)
        if edited is not None:
            text = edited
    cleaned = _clean_message(text)
    if not cleaned.strip():
        raise StateError("the description is empty", "give the patch a subject line")
    return cleaned


def refresh_top(ws: Workspace, track: str, message: str | None, editor: Editor | None,
                resume: EditState | None) -> EditResult:
    git = ws.git
    stack = load(ws, track)
    _require_checked_out(git, stack, "refresh")
    top = stack.top
    if top is None:
        raise StateError("No patches applied", "`patchq push` a patch or `patchq new NAME` first")
    if top.patch is None:
        raise StateError(f"the top commit {top.slug} is in no series file yet",
                         f"write it with `patchq export {track}` first")
    tree = work_tree_tree(git)
    old_message = top.commit.message
    new_message = new_description(old_message, message, editor)
    if tree == top.commit.tree and new_message == _clean_message(old_message):
        return EditResult(track, top.slug, top=top.slug, unchanged=True)
    sha = git.commit_tree(tree, [top.commit.parent], add_trailer(new_message, top.slug),
                          _ident(top))
    commit = queue_commit(git, sha)
    if tree == top.commit.tree and not unexported(git, stack, [top]):
        data = patchfile.redescribe(commit_description(commit), top.patch.file)
    else:
        data = render_file(git, commit, top.patch)
    change = _base_change("refresh", stack, sha, stack_tx.INDEX, len(stack.applied) - 1, git,
                          resume)
    change.manifest_tip = change.manifest_tip or not unexported(git, stack, stack.applied[:-1])
    change.manifest[sha] = file_digest(data)
    written = []
    if data != top.patch.file.raw:
        change.write(git, top.patch.path, data)
        written.append(top.patch.path)
        _write_strip1(git, change, stack, [top.slug])
    stack_tx.commit(git, change)
    return EditResult(track, top.slug, top=top.slug, written=written)


# -- delete --------------------------------------------------------------------------------------


def delete(ws: Workspace, name: str | None = None, track: str | None = None,
           remove_file: bool = False, backup: bool = False) -> EditResult:
    """Take a patch (the top one by default) out of the series; an applied one comes off
    the branch too, and the patches above it are applied again without it (refused, with
    nothing changed, when one of them no longer applies). Its file stays in the directory
    unless ``remove_file`` (quilt's -r); ``backup`` keeps it as FILE~."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        resume = refuse_busy(git)
        stack = load(ws, resolve_track(ws, track))
        if name is None:
            if stack.top is None:
                raise StateError("No patches applied", "name the patch to delete")
            slug = stack.top.slug
        else:
            slug = stack.lookup(name)
        index = stack.applied_index(slug)
        new_tip, keep, work = stack.tip, len(stack.applied), stack_tx.NONE
        manifest: dict[str, str] = {}
        if index is not None:
            refuse_dirty(git, stack, f"deleting {slug}")
            above = stack.applied[index + 1:]
            waiting = unexported(git, stack, above)
            if waiting:
                raise StateError(f"{', '.join(waiting[:3])} above {slug} changed on "
                                 f"{stack.branch} and is in no series file yet",
                                 f"write it with `patchq export {stack.track}` first")
            start = stack.commit_at(index)
            # each has its file: a commit in no series file is refused just above
            files = [a.patch for a in above if a.patch is not None]
            replayed = push_files(git, start, files, stack.fallback_date)
            if replayed.failed is not None:
                raise StateError(f"{replayed.failed.slug} does not apply without {slug} "
                                 f"({replayed.details})",
                                 f"`patchq goto {slug}`, `patchq delete {slug}`, then "
                                 f"`patchq push` and resolve {replayed.failed.slug}")
            new_tip, keep, work = replayed.tip(start), index, stack_tx.KEEP
            manifest = {p.commit: p.digest for p in replayed.pushed}
        change = _base_change("delete", stack, new_tip, work, keep, git, resume)
        change.manifest.update(manifest)
        removed = []
        patch = stack.loaded.by_slug().get(slug)
        if patch is not None:
            entries = [e for e in stack.loaded.series.entries if e.slug != slug]
            _write_series(git, change, stack, entries)
            if remove_file:
                if backup:
                    change.write(git, patch.path.with_name(patch.path.name + "~"), patch.file.raw)
                change.delete(patch.path)
                removed.append(patch.path)
        before = ws.reload_map().text()
        if ws.map.has_patch_track(slug, stack.track) or patch is not None:
            _mark_deleted(ws.map.patch_track(slug, stack.track),
                          None if remove_file or patch is None else patch.entry.name)
        _write_map(git, change, ws, before)
        stack_tx.commit(git, change)
        remaining = [a.slug for a in stack.applied if a.slug != slug]
        return EditResult(stack.track, slug, top=remaining[-1] if remaining else None,
                          removed=removed, popped=index is not None, recovered=recovered)


def _mark_deleted(record, kept: str | None) -> None:
    """A deleted patch's record on its track: not carried, since when, and the file that
    stays in the series directory (as quilt leaves it), so that lint knows it is kept on
    purpose (docs/upstream_map.md: ``kept_file``)."""
    record["carried"] = False
    record["deleted"] = today()
    if kept:
        record["kept_file"] = kept
    elif "kept_file" in record:
        del record["kept_file"]


# -- rename --------------------------------------------------------------------------------------


def rename(ws: Workspace, old: str, new_name: str, track: str | None = None) -> EditResult:
    """Rename a patch: its slug, its file (number prefix kept), its series entry, its map
    record (the record moves; it is split when another track still carries the old slug)
    and, when applied, its commit's trailer. The work tree is not touched."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        resume = refuse_busy(git)
        stack = load(ws, resolve_track(ws, track))
        slug = stack.lookup(old)
        patch = stack.loaded.by_slug().get(slug)
        if patch is None:
            raise StateError(f"{slug} is in no series file yet",
                             f"write it with `patchq export {stack.track}` first")
        if new_name.endswith((".patch", ".diff")) or "/" in new_name:
            new_slug, file_name = slug_of(new_name), check_relative(new_name)
        else:
            new_slug = new_name
            stem = patch.entry.name
            file_name = stem.replace(slug, new_slug, 1) if slug in stem else f"{new_slug}.patch"
        if new_slug != slug:
            check_new_slug(stack, new_slug)
        new_path = stack.directory / file_name
        if file_name == patch.entry.name and new_slug == slug:
            raise StateError(f"{slug} already has that name", "give a new name")
        if new_path.exists() and file_name != patch.entry.name:
            raise StateError(f"{new_path} exists already", "pick another name")
        index = stack.applied_index(slug)
        new_tip, keep = stack.tip, len(stack.applied)
        manifest: dict[str, str] = {}
        if index is not None:
            keep = index
            new_tip = _reparent(git, stack.commit_at(index), stack.applied[index:], manifest,
                                {slug: new_slug}, _digests(git, stack))
        change = _base_change("rename", stack, new_tip, stack_tx.NONE, keep, git, resume)
        change.manifest.update(manifest)
        if file_name != patch.entry.name:
            change.delete(patch.path)
        change.write(git, new_path, patch.file.raw)
        entries = [SeriesEntry(file_name, e.strip, e.options) if e.slug == slug else e
                   for e in stack.loaded.series.entries]
        _write_series(git, change, stack, entries)
        before = ws.reload_map().text()
        if new_slug != slug:
            ws.map.move_patch_track(slug, new_slug, stack.track)
        _write_map(git, change, ws, before)
        stack_tx.commit(git, change)
        names = [new_slug if a.slug == slug else a.slug for a in stack.applied]
        return EditResult(stack.track, slug, new_slug=new_slug, written=[new_path],
                          top=names[-1] if names else None, recovered=recovered)


# -- fold ----------------------------------------------------------------------------------------


def fold(ws: Workspace, name: str, track: str | None = None) -> EditResult:
    """Merge patch NAME into the patch below it: the lower patch keeps its description and
    takes both changes; NAME leaves the series (its file goes, its map record says
    ``folded_into``). NAME is applied, or the next patch to push (then it must apply)."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        resume = refuse_busy(git)
        stack = load(ws, resolve_track(ws, track))
        slug = stack.lookup(name)
        index = stack.applied_index(slug)
        manifest: dict[str, str] = {}
        if index is not None:
            if index == 0:
                raise StateError(f"{slug} is the first patch: there is no patch below it",
                                 "fold the patch above it into it instead")
            below = stack.applied[index - 1]
            tree, work, keep = stack.applied[index].commit.tree, stack_tx.NONE, index - 1
        else:
            position = stack.unapplied_index(slug)
            if stack.top is None:
                raise StateError(f"{slug} is the first patch: there is no patch below it",
                                 "push it first")
            if position != 0:
                raise StateError(f"{slug} is not applied, and the patch below it is not the top",
                                 f"`patchq goto` the patch below {slug} first")
            below = stack.top
            refuse_dirty(git, stack, f"folding {slug}")
            folded = push_files(git, stack.tip, [stack.unapplied[0]], stack.fallback_date)
            if folded.failed is not None:
                raise StateError(f"{slug} does not apply on {below.slug} "
                                 f"({folded.details})",
                                 f"`patchq push` it, resolve the conflict, then "
                                 f"`patchq fold {slug}`")
            tree, work, keep = git.tree_of(folded.pushed[0].commit), stack_tx.KEEP, \
                len(stack.applied) - 1
        if below.patch is None:
            raise StateError(f"{below.slug} is in no series file yet",
                             f"write it with `patchq export {stack.track}` first")
        merged = git.commit_tree(tree, [below.commit.parent],
                                 add_trailer(below.commit.message, below.slug), _ident(below))
        data = render_file(git, queue_commit(git, merged), below.patch)
        new_tip = merged
        if index is not None:
            new_tip = _reparent(git, merged, stack.applied[index + 1:], manifest, {},
                                _digests(git, stack))
        change = _base_change("fold", stack, new_tip, work, keep, git, resume)
        change.manifest.update(manifest)
        change.manifest[merged] = file_digest(data)
        change.write(git, below.patch.path, data)
        removed = []
        patch = stack.loaded.by_slug().get(slug)
        if patch is not None:
            change.delete(patch.path)
            removed.append(patch.path)
        entries = [SeriesEntry(e.name, 1, e.options) if e.slug == below.slug else e
                   for e in stack.loaded.series.entries if e.slug != slug]
        if entries != list(stack.loaded.series.entries):  # -p1 now: a git diff was written
            _write_series(git, change, stack, entries)
        before = ws.reload_map().text()
        if ws.map.has_patch_track(slug, stack.track) or patch is not None:
            table = ws.map.patch_track(slug, stack.track)
            table["carried"] = False
            table["folded_into"] = below.slug
        _write_map(git, change, ws, before)
        stack_tx.commit(git, change)
        top = stack.top  # when NAME is applied, the top is NAME or a patch above it
        top_slug = top.slug if index is not None and top is not None and top.slug != slug \
            else below.slug
        return EditResult(stack.track, slug, into=below.slug, top=top_slug,
                          written=[below.patch.path], removed=removed, recovered=recovered)


# -- edit ----------------------------------------------------------------------------------------


@dataclass
class EditSession:
    track: str
    slug: str
    return_to: str | None
    move: MoveResult | None = None  # how the stack moved (to the patch, or back up)
    refreshed: EditResult | None = None
    finished: bool = False
    recovered: str | None = None


def edit(ws: Workspace, name: str, track: str | None = None) -> EditSession:
    """Make NAME the top patch (popping what is above it) and leave it for a person to amend;
    `edit --continue` refreshes it and pushes the rest back."""
    select(ws, track)
    git = ws.git
    with session(ws) as recovered:
        state = stack_state.current(git)
        if isinstance(state, EditState):
            raise StateError(f"an edit of {state.slug} is in progress",
                             edit_hint(state.slug, state.return_to))
        refuse_busy(git, allow_edit=False)
        stack = load(ws, resolve_track(ws, track))
        _require_checked_out(git, stack, "edit")
        slug = stack.lookup(name)
        refuse_dirty(git, stack, f"editing {slug}")
        index = stack.applied_index(slug)
        top = stack.top.slug if stack.top else None
        return_to = top if index is not None and top != slug else None
        if index is None and stack.is_aside(slug):  # pushed at its place: the rest comes back
            order = stack.series_slugs()
            above = [a for a in stack.applied
                     if a.slug in order and order.index(a.slug) > order.index(slug)]
            return_to = top if above else None
        edit_state = EditState.of(stack.track, slug, return_to)
        if index is None:
            move = push_stack(ws, stack.track, slug, None, edit_state, verb="edit")
        elif top == slug:
            stack_tx.commit(git, stack_tx.Change("edit", stack.track, stack.branch, stack.tip,
                                                 stack.tip, stack_tx.NONE, then=edit_state))
            move = MoveResult(stack.track, top=slug)
        else:
            move = pop_stack(ws, stack.track, slug, False, edit_state, verb="edit")
        return EditSession(stack.track, slug, return_to, move=move, recovered=recovered)


def _edit_state(git: Git) -> EditState:
    state = stack_state.current(git)
    if not isinstance(state, EditState):
        if state is not None:
            pqstore.refuse_if_busy(git)
        raise StateError("no edit is in progress", "start one with `patchq edit PATCH`")
    return state


def edit_continue(ws: Workspace, message: str | None = None, editor: Editor | None = None,
                  progress=None) -> EditSession:
    """Refresh the patch being edited with the work tree's changes, push the rest back."""
    select(ws, None)
    git = ws.git
    with session(ws) as recovered:
        state = _edit_state(git)
        refreshed = None
        if git.is_dirty() or message is not None or editor is not None:
            refreshed = refresh_top(ws, state.track, message, editor, state)
        result = _back_up(ws, state, progress)
        result.refreshed, result.recovered = refreshed, recovered
        return result


def edit_abort(ws: Workspace, progress=None) -> EditSession:
    """Go back to where the edit started without refreshing (refused with uncommitted
    changes, so none is lost)."""
    select(ws, None)
    git = ws.git
    with session(ws) as recovered:
        state = _edit_state(git)
        if git.is_dirty():
            files = git.dirty_files()
            raise StateError(f"the work tree has changes ({', '.join(files[:3])})",
                             f"keep them with `patchq edit --continue`, or discard them with "
                             f"`git -C {git.path} checkout -- .` and abort again")
        result = _back_up(ws, state, progress)
        result.recovered = recovered
        return result


def _back_up(ws: Workspace, state: EditState, progress) -> EditSession:
    git = ws.git
    track, return_to = state.track, state.return_to
    session_result = EditSession(track, state.slug, return_to, finished=True)
    stack = load(ws, track)
    if return_to and stack.unapplied_index(return_to) is not None:
        move = push_stack(ws, track, return_to, progress, None, verb="edit")
        session_result.move = move
        session_result.finished = move.stop is None
    else:
        stack_tx.commit(git, stack_tx.Change("edit", track, stack.branch, stack.tip, stack.tip,
                                             stack_tx.NONE))
        session_result.move = MoveResult(track, top=stack.top.slug if stack.top else None)
    return session_result
