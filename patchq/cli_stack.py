"""The stack verbs, declared for cli.py: quilt's applied, unapplied, top, next, previous,
series, files, header, diff, push, pop, goto, new, refresh, delete, rename, fold, and edit."""

from __future__ import annotations

import sys

import click

from .cli_args import Options, json_document, pass_options, track_option


def _editor(text: str) -> str | None:
    """ui.editor, its failure (an $EDITOR that exits non-zero or is not there) one patchq
    error line (exit 1) instead of click's own message; nothing was changed yet."""
    from . import ui
    from .errors import StateError

    try:
        return ui.editor(text)
    except click.ClickException as exc:
        raise StateError(f"the editor failed ({exc.format_message()}); nothing was changed",
                         "fix $VISUAL / $EDITOR, or give the text with -m MSG") from None


def _listing(listing, as_json: bool = False) -> None:
    if as_json:
        json_document("listing", listing)
        return
    from . import ui
    from .commands.stack_render import listing_lines

    ui.emit(listing_lines(listing))
    if listing.message:
        sys.exit(listing.code)


def _move(result, quiet: bool = False, ws=None, as_json: bool = False) -> None:
    if as_json:
        json_document("move", result, ws.root if ws else None)
        return
    from . import ui
    from .commands.stack_render import move_lines

    ui.emit(move_lines(result, quiet, ws.root if ws else None))
    if result.nothing:
        sys.exit(result.nothing_code)


@click.command()
@click.argument("patch", required=False)
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def applied(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the applied patches of the stack, bottom first, one slug a line.

    With PATCH, the stack up to and including it. Exits 1 when no patch is applied (quilt).
    """
    from .commands.stack_nav import applied as run

    _listing(run(opts.workspace(), track, patch), as_json)


@click.command()
@click.argument("patch", required=False)
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def unapplied(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the patches not applied, in series order, one slug a line.

    With PATCH, the patches after it. Exits 1 when the series is fully applied (quilt).
    """
    from .commands.stack_nav import unapplied as run

    _listing(run(opts.workspace(), track, patch), as_json)


@click.command()
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def top(opts: Options, track: str | None, as_json: bool) -> None:
    """Print the topmost applied patch. Exits 2 when none is applied (quilt)."""
    from .commands.stack_nav import top as run

    _listing(run(opts.workspace(), track), as_json)


@click.command()
@click.argument("patch", required=False)
@click.option("-a", "all_", is_flag=True, help="Apply every patch of the series.")
@click.option("-q", "quiet", is_flag=True, help="Only say where the stack ends up.")
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def push(opts: Options, patch: str | None, all_: bool, quiet: bool, track: str | None,
         as_json: bool) -> None:
    """Apply the next patch of the series on the queue branch (or N patches, or up to and
    including PATCH, or all with -a).

    Patches apply with a 3-way merge when their context moved. At a patch that does not apply,
    push stops with the conflict in the work tree: resolve it, `git add` the files and run
    `patchq push` again to go on, or `patchq pop` to back the patch out. A dirty work tree is
    refused. Exits 2 when there is nothing to push (quilt).
    """
    from . import ui
    from .commands.stack_nav import push as run
    from .commands.stack_render import target as stack_target

    target = stack_target(patch, all_)
    ws = opts.workspace()
    with ui.progress("pushing") as bar:
        result = run(ws, track, target, progress=bar)
    _move(result, quiet, ws, as_json)


@click.command()
@click.argument("patch", required=False)
@click.option("-a", "all_", is_flag=True, help="Remove every applied patch.")
@click.option("-f", "force", is_flag=True,
              help="Discard uncommitted changes in the work tree instead of refusing.")
@click.option("-q", "quiet", is_flag=True, help="Only say where the stack ends up.")
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def pop(opts: Options, patch: str | None, all_: bool, force: bool, quiet: bool,
        track: str | None, as_json: bool) -> None:
    """Remove the top patch from the queue branch (or N patches, or until PATCH is on top,
    or all with -a). Popped patches stay in the series file, ready to push again.

    Refused when the work tree has changes (refresh them first, or -f to discard them), and
    when a popped commit was changed with git and never exported. During a stopped push, pop
    backs the stopped patch out. Exits 2 when there is nothing to pop (quilt).
    """
    from .commands.stack_nav import pop as run
    from .commands.stack_render import target

    ws = opts.workspace()
    _move(run(ws, track, target(patch, all_), force), quiet, ws, as_json)


@click.command()
@click.argument("patch")
@track_option
@pass_options
def goto(opts: Options, patch: str, track: str | None) -> None:
    """Push or pop until PATCH is the top patch."""
    from . import ui
    from .commands.stack_nav import goto as run

    with ui.progress("pushing") as bar:
        result = run(opts.workspace(), patch, track, progress=bar)
    _move(result)


@click.command()
@click.argument("name")
@click.option("-m", "message", metavar="MSG",
              help="The description: first line the subject (default: NAME).")
@track_option
@pass_options
def new(opts: Options, name: str, message: str | None, track: str | None) -> None:
    """Add an empty patch NAME after the top patch and make it the top.

    NAME is a slug (the file is named like the series' others: NNNN-NAME.patch or
    NAME.patch) or a file name ending in .patch/.diff. Changes already in the work tree are
    not touched: `patchq refresh` puts them into the new patch.
    """
    from . import ui
    from .commands.stack_edit import new as run
    from .commands.stack_render import new_lines

    ws = opts.workspace()
    ui.emit(new_lines(run(ws, name, message, track), ws.root))


@click.command()
@click.argument("patch", required=False)
@click.option("-e", "edit", is_flag=True, help="Edit the description in $EDITOR too.")
@click.option("-m", "message", metavar="MSG", help="Replace the description.")
@track_option
@pass_options
def refresh(opts: Options, patch: str | None, edit: bool, message: str | None,
            track: str | None) -> None:
    """Fold the work tree's changes into the top patch (or PATCH) and rewrite its file.

    Takes every change to tracked files, staged or not, and new files added with `git add`
    (untracked files are left out). The patch file keeps its header when the description is
    unchanged. PATCH may sit below the top (`quilt refresh PATCH`, `stg refresh -p`): the
    changes go into it and the patches above it are applied again on it, their files kept;
    when the changes do not apply to it or overlap a patch above, nothing changes (use
    `patchq edit PATCH` then).
    """
    from . import ui
    from .commands.quilt_verbs import refresh as run
    from .commands.stack_render import refresh_lines

    ws = opts.workspace()
    ui.emit(refresh_lines(run(ws, patch, track, message, _editor if edit else None),
                          ws.root))


@click.command()
@click.argument("patch", required=False)
@click.option("-r", "remove_file", is_flag=True,
              help="Remove the patch file too (by default it stays in the directory, as quilt "
                   "leaves it).")
@click.option("--backup", is_flag=True, help="With -r, keep the file as FILE~.")
@track_option
@pass_options
def delete(opts: Options, patch: str | None, remove_file: bool, backup: bool,
           track: str | None) -> None:
    """Remove PATCH (default: the top patch) from the series.

    An applied patch also comes off the queue branch, and the patches above it are applied
    again without it; when one of them needs it, nothing changes and patchq says what to do.
    Its map record stays, with carried = false on this track.
    """
    from . import ui
    from .commands.stack_edit import delete as run
    from .commands.stack_render import delete_lines

    ws = opts.workspace()
    ui.emit(delete_lines(run(ws, patch, track, remove_file, backup), ws.root))


@click.command()
@click.argument("names", nargs=-1, required=True, metavar="[OLD] NEW")
@click.option("-P", "patch", metavar="PATCH", help="The patch to rename (default: the top).")
@track_option
@pass_options
def rename(opts: Options, names: tuple[str, ...], patch: str | None, track: str | None) -> None:
    """Rename the top patch (or -P PATCH, or OLD) to NEW: slug, file (its number prefix kept),
    series entry, map record, and the commit's Patchq-Slug trailer when it is applied. A NEW
    ending in .patch/.diff or with a number prefix of its own (0007-foo) is the file name, its
    slug NEW without them. An existing name or one that is no slug is refused."""
    from . import ui
    from .commands.quilt_verbs import rename as run
    from .commands.stack_render import rename_lines

    if len(names) > 2 or len(names) == 2 and patch:
        raise click.UsageError("give NEW (with -P PATCH for another patch than the top), or OLD NEW")
    ws = opts.workspace()
    ui.emit(rename_lines(run(ws, names[-1], names[0] if len(names) == 2 else patch, track),
                         ws.root))


@click.command()
@click.argument("patch")
@track_option
@pass_options
def fold(opts: Options, patch: str, track: str | None) -> None:
    """Merge PATCH into the patch below it.

    The lower patch keeps its description and gets both changes (its file is rewritten);
    PATCH leaves the series, its file is removed, its map record says folded_into. PATCH is
    applied, or the next patch to push.
    """
    from . import ui
    from .commands.stack_edit import fold as run
    from .commands.stack_render import fold_lines

    ui.emit(fold_lines(run(opts.workspace(), patch, track)))


@click.command()
@click.argument("patch", required=False)
@click.option("--continue", "cont", is_flag=True,
              help="Refresh the patch with the work tree's changes and push the rest back.")
@click.option("--abort", is_flag=True, help="Push the rest back without refreshing.")
@click.option("-e", "edit_message", is_flag=True,
              help="With --continue, edit the description in $EDITOR too.")
@click.option("-m", "message", metavar="MSG", help="With --continue, replace the description.")
@track_option
@pass_options
def edit(opts: Options, patch: str | None, cont: bool, abort: bool, edit_message: bool,
         message: str | None, track: str | None) -> None:
    """Amend PATCH where it sits in the stack.

    Pops (or pushes) until PATCH is on top and stops there. Change the files (build, test,
    `patchq new` to insert a patch after it...), then `patchq edit --continue` refreshes PATCH
    with the work tree's changes and pushes the patches that were above it back; a conflict
    stops that push like any other. `patchq edit --abort` pushes them back without refreshing.
    """
    from . import ui
    from .commands import stack_edit
    from .commands.stack_render import edit_lines

    ws = opts.workspace()
    if cont and abort or (cont or abort) and patch:
        raise click.UsageError("give PATCH, --continue or --abort")
    if not (cont or abort or patch):
        raise click.UsageError("name the patch to edit (or --continue / --abort)")
    with ui.progress("pushing") as bar:
        if patch:  # neither --continue nor --abort (refused just above)
            result = stack_edit.edit(ws, patch, track)
        elif cont:
            result = stack_edit.edit_continue(ws, message, _editor if edit_message else None,
                                              progress=bar)
        else:
            result = stack_edit.edit_abort(ws, progress=bar)
    ui.emit(edit_lines(result, started=not (cont or abort)))


@click.command("next")
@click.argument("patch", required=False)
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def next_(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the patch after the top (the next to push), or after PATCH. Exits 1 at the end."""
    from .commands.quilt_verbs import next_patch

    _listing(next_patch(opts.workspace(), track, patch), as_json)


@click.command()
@click.argument("patch", required=False)
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def previous(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the patch below the top, or below PATCH. Exits 1 at the bottom, 2 when none is
    applied (quilt)."""
    from .commands.quilt_verbs import previous_patch

    _listing(previous_patch(opts.workspace(), track, patch), as_json)


@click.command()
@click.option("-v", "verbose", is_flag=True, help="Mark applied patches `+ ` and the top `= `.")
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def series(opts: Options, verbose: bool, track: str | None, as_json: bool) -> None:
    """Print every patch of the series file, in order, one slug a line (as quilt)."""
    from . import ui
    from .commands.quilt_verbs import series as run

    result = run(opts.workspace(), track)
    if as_json:
        ui.print_json(result.as_json())
        return
    ui.emit(result.lines(verbose))


@click.command()
@click.argument("patch", required=False)
@track_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_options
def files(opts: Options, patch: str | None, track: str | None, as_json: bool) -> None:
    """Print the files the top patch (or PATCH) changes, one a line; the top patch's include
    the work tree's uncommitted changes, as `patchq diff` shows them."""
    from . import ui
    from .commands.quilt_verbs import view

    result = view(opts.workspace(), patch, track)
    if as_json:
        ui.print_json(result.as_json())
        return
    ui.emit(result.files)


@click.command()
@click.argument("patch", required=False)
@click.option("-e", "--edit", "edit", is_flag=True,
              help="Edit the description in $EDITOR instead (the diff is kept byte for byte).")
@click.option("-m", "message", metavar="MSG", help="Replace the description (the diff is kept).")
@track_option
@pass_options
def header(opts: Options, patch: str | None, edit: bool, message: str | None,
           track: str | None) -> None:
    """Print the header (description) of the top patch or PATCH, as its file has it.

    With -e or -m, change it instead: the patch's commit (and those above it, same trees) and
    its file's header are rewritten, its diff and the work tree are left as they are.
    """
    from .commands import quilt_verbs

    if not (edit or message is not None):
        click.echo(quilt_verbs.view(opts.workspace(), patch, track).header, nl=False)
        return
    result = quilt_verbs.reword(opts.workspace(), patch, track, message,
                                _editor if edit else None)
    click.echo(f"Patch {result.slug} is unchanged" if result.unchanged else
               f"Replaced header of patch {result.slug}")


@click.command()
@click.argument("patch", required=False)
@click.option("--no-work-tree", is_flag=True,
              help="For the top patch, only its commit (leave out uncommitted changes).")
@track_option
@pass_options
def diff(opts: Options, patch: str | None, no_work_tree: bool, track: str | None) -> None:
    """Print the diff of the top patch (or PATCH).

    Like `quilt diff`, the top patch's diff includes the work tree's uncommitted changes when
    its queue branch is checked out: it is what `patchq refresh` would put in the patch
    (--no-work-tree: the commit alone). Another applied patch shows its commit on the queue
    branch; an unapplied one, the diff of its file.
    """
    from .commands.quilt_verbs import view

    click.echo(view(opts.workspace(), patch, track, not no_work_tree).diff, nl=False)


COMMANDS = (applied, unapplied, top, push, pop, goto, new, refresh, delete, rename, fold, edit,
            next_, previous, series, files, header, diff)
