"""What the stack verbs print (applied, unapplied, top, push, pop, goto, new, refresh, delete,
rename, fold, edit, port), and the error a push that stopped at a patch ends with.

Each ``*_lines`` function gives the lines in the order they are printed (``ui.Err`` ones on
standard error); one that ends in a stopped push raises that error after its lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from ..errors import ApplyError, PatchqError
from ..stack_state import edit_hint
from ..ui import Err
from .stack_edit import EditResult, EditSession
from .stack_nav import ALL, Listing, MoveResult, Stop


def target(name: str | None, all_: bool) -> str | int | None:
    """push/pop's argument: a patch name, a count (digits, as quilt reads them), or -a."""
    if all_ and name:
        raise click.UsageError("give a patch, a number or -a, not two of them")
    if all_:
        return ALL
    if name is None:
        return None
    return int(name) if name.isdigit() else name


def finished_note(result: Any) -> Iterator[str]:
    if getattr(result, "recovered", None):
        yield Err(f"finished the interrupted {result.recovered} first")


def listing_lines(listing: Listing) -> Iterator[str]:
    """applied/unapplied/top; the caller exits with ``listing.code`` when there is a message."""
    yield from finished_note(listing)
    yield from listing.slugs
    if listing.aside:
        yield Err(f"set aside by a rebase (`patchq push PATCH` merges one 3-way at its "
                  f"place): {', '.join(listing.aside)}")
    if listing.message:
        yield Err(listing.message)


def _short(details: str) -> str:
    """git's complaints, the first three (they can run to dozens of hunks)."""
    parts = [p for p in details.split("; ") if p and not p.endswith(":")]
    return "; ".join(parts[:3]) + ("; ..." if len(parts) > 3 else "")


def stop_error(stop: Stop) -> PatchqError:
    files = ", ".join(stop.files[:5]) + (" ..." if len(stop.files) > 5 else "")
    back = f"or `patchq pop` to back {stop.slug} out"
    if stop.kind == "conflict":
        return ApplyError(f"patch {stop.slug} does not apply cleanly: conflicts in {files} "
                          f"(merge markers left in {stop.clone})",
                          f"resolve them, `git add` the files, then `patchq push` to go on "
                          f"({back})", slug=stop.slug)
    if stop.kind == "rejects":
        return ApplyError(f"patch {stop.slug} does not apply and has no blob ids for a 3-way "
                          f"merge: rejected hunks are in {files or 'no file'} "
                          f"({_short(stop.details)})",
                          f"apply them by hand, delete the .rej files, `git add` the files, then "
                          f"`patchq push` ({back})", slug=stop.slug)
    if stop.kind == "failed":
        return ApplyError(f"patch {stop.slug} cannot be applied at all "
                          f"({_short(stop.details)})",
                          "fix the patch file in the track's series, then `patchq push`",
                          slug=stop.slug)
    if stop.kind == "clean":
        return ApplyError(f"patch {stop.slug} applied only in the work tree of {stop.clone}",
                          f"check the result, `git add` it, then `patchq push` ({back})",
                          slug=stop.slug)
    return ApplyError(f"patch {stop.slug} does not apply on {stop.branch} "
                      f"({_short(stop.details)})",
                      f"switch to it (`git -C {stop.clone} switch {stop.branch}`) and "
                      "`patchq push` there to resolve the conflict", slug=stop.slug)


def _shown(root: Path | None, path: Path) -> str:
    from ..ui import shown

    return shown(root, path) if root else str(path)


def move_lines(result: MoveResult, quiet: bool = False, root: Path | None = None
               ) -> Iterator[str]:
    """push/pop/goto; raises the stop error at a patch that did not apply. When there was
    nothing to do, the last line is quilt's words and the caller exits with
    ``result.nothing_code``."""
    yield from finished_note(result)
    if result.aborted:
        yield f"Removing patch {result.aborted} (the stopped push)"
    if not quiet:
        for slug in result.popped:
            yield f"Removing patch {slug}"
    if result.resolved:
        yield f"Applied patch {result.resolved} as resolved in the work tree"
        if result.resolved_empty:
            yield f"Patch {result.resolved} is empty now: the resolution dropped its change"
        for path in result.wrote:
            yield f"Refreshed patch {_shown(root, path)}"
    if not quiet:
        for item in result.pushed:
            if item.how == "resolved":
                continue
            if item.how == "empty":
                yield f"Patch {item.slug} appears to be empty; applied"
            elif item.how == "3way":
                yield f"Applying patch {item.slug} (3-way merge)"
            else:
                yield f"Applying patch {item.slug}"
    if result.stop is not None:
        raise stop_error(result.stop)
    if result.nothing:
        yield Err(result.nothing) if result.nothing_code != 0 else result.nothing
        return
    yield ""
    yield f"Now at patch {result.top}" if result.top else "No patches applied"


def new_lines(result: EditResult, root: Path) -> Iterator[str]:
    yield from finished_note(result)
    yield f"Patch {result.slug} is now on top ({_shown(root, result.written[0])})"


def refresh_lines(result: EditResult, root: Path) -> Iterator[str]:
    yield from finished_note(result)
    if result.unchanged:
        yield f"Patch {result.slug} is unchanged"
        return
    yield f"Refreshed patch {result.slug}" + "".join(f" ({_shown(root, p)})"
                                                      for p in result.written)


def delete_lines(result: EditResult, root: Path) -> Iterator[str]:
    yield from finished_note(result)
    if result.popped:
        yield f"Removing patch {result.slug}"
    yield f"Removed patch {result.slug}" + "".join(f" (deleted {_shown(root, p)})"
                                                    for p in result.removed)
    if result.popped:
        yield f"Now at patch {result.top}" if result.top else "No patches applied"


def rename_lines(result: EditResult, root: Path) -> Iterator[str]:
    yield from finished_note(result)
    yield (f"Patch {result.slug} renamed to {result.new_slug} "
           f"({_shown(root, result.written[0])})")


def fold_lines(result: EditResult) -> Iterator[str]:
    yield from finished_note(result)
    yield f"Folded patch {result.slug} into {result.into}"
    yield f"Now at patch {result.top}"


def edit_lines(result: EditSession, started: bool) -> Iterator[str]:
    """edit (``started``), edit --continue and --abort; raises the stop error of a push back
    that stopped."""
    yield from finished_note(result)
    if result.refreshed is not None and not result.refreshed.unchanged:
        yield f"Refreshed patch {result.slug}"
    move = result.move
    if move is not None:
        for slug in move.popped:
            yield f"Removing patch {slug}"
        for item in move.pushed:
            yield f"Applying patch {item.slug}" + (" (3-way merge)" if item.how == "3way"
                                                   else "")
        if move.stop is not None:
            raise stop_error(move.stop)
        yield ""
        yield f"Now at patch {move.top}" if move.top else "No patches applied"
    if started:
        hint = edit_hint(result.slug, result.return_to)
        yield hint[0].upper() + hint[1:] + "."
