"""The command line: parse options, call a command function, print its result. Nothing else.

Expected failures (PatchqError) print as one line and exit 1; usage errors exit 2; Ctrl-C
exits 130; anything else is a bug: "unexpected error" and where the details were saved.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .errors import PatchqError


@dataclass
class Options:
    directory: Path
    upstream_dir: str | None

    def workspace(self):
        from .workspace import Workspace

        return Workspace.locate(self.directory, self.upstream_dir)


pass_options = click.make_pass_decorator(Options)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="Run as if started in DIR (the patch repo, or below it).")
@click.option("--upstream-dir", metavar="DIR", envvar="PATCHQ_UPSTREAM",
              help="The upstream clone to use, instead of [upstream] path in the map "
                   "(env PATCHQ_UPSTREAM).")
@click.version_option(package_name="patchq")
@click.pass_context
def cli(ctx: click.Context, directory: Path, upstream_dir: str | None) -> None:
    """Carry a patch series against an upstream you do not control.

    A patch repo holds upstream_map.toml and series/<track>/ (quilt's layout). patchq builds
    each track's series as a queue branch in a clone of upstream, writes it back without
    churn, rebases it onto new upstream releases and finds what upstream already has.

    Start with `patchq demo`, then see docs/tutorial.md.
    """
    if not directory.is_dir():
        raise click.BadParameter(f"{directory} is not a directory", param_hint="-C")
    if upstream_dir:
        upstream_dir = str(Path(upstream_dir).expanduser().resolve())
    os.chdir(directory)  # like git -C: relative paths in arguments are relative to DIR
    ctx.obj = Options(directory=Path("."), upstream_dir=upstream_dir)


def _track_required(value: str) -> str:
    from .model import valid_track

    if not valid_track(value):
        raise click.BadParameter(f"{value!r} is not a usable track name (like 3.11 or main)")
    return value


def _track_cb(ctx, param, value):
    if value is None:
        return None
    return _track_required(value)


# -- init -------------------------------------------------------------------------------------


@cli.command()
@click.option("--upstream", "upstream", required=True, metavar="DIR",
              help="A local clone of upstream (recorded relative to the patch repo).")
@click.option("--github", default="", metavar="OWNER/REPO",
              help="Where upstream's issues and PRs live (default: from the clone's origin).")
@click.option("--fork", default="", metavar="OWNER/REPO", help="Where draft branches are pushed.")
@pass_options
def init(opts: Options, upstream: str, github: str, fork: str) -> None:
    """Make the current directory a patch repo: upstream_map.toml and series/."""
    from .commands.init import init as run

    result = run(opts.directory, upstream, github, fork)
    click.echo(f"created {result.map_path} (upstream clone: {result.upstream})")
    click.echo("next: patchq import SOURCE --track T --base REF")


# -- import -----------------------------------------------------------------------------------


@cli.command("import")
@click.argument("source")
@click.option("--track", "-t", required=True, callback=_track_cb,
              help="Track name, like the upstream branch: 3.11, 3.12, main.")
@click.option("--base", required=True, metavar="REF",
              help="The upstream commit, tag or branch the series applies to.")
@click.option("--name-from", type=click.Choice(["subject", "file"]), default=None,
              help="Name patch files after their subjects, or keep the source's file names "
                   "(default: file for directories, subject for mbox and ranges).")
@click.option("--follows", metavar="BRANCH",
              help="The upstream branch the track follows (default: from --base, v3.11.2 -> 3.11).")
@pass_options
def import_(opts: Options, source: str, track: str, base: str, name_from: str | None,
            follows: str | None) -> None:
    """Import SOURCE as a track's series.

    SOURCE is a directory of `git format-patch` files (applied in file name order), a quilt
    directory with a `series` file (DEP-3 headers, -p0/-p1, comments), an mbox file, or a
    revision range A..B of the upstream clone. Files are copied byte for byte. Reports the
    patches that do not apply on the base, without failing.
    """
    from . import ui
    from .commands.import_ import import_series

    ws = opts.workspace()
    with ui.progress("checking") as bar:
        result = import_series(ws, source, track, base, name_from, follows, progress=bar)
    click.echo(f"imported {len(result.slugs)} patches ({result.kind}) as track {track} on "
               f"{base} ({result.base_commit[:12]}) into series/{track}/")
    if result.not_applying:
        click.echo(f"{len(result.not_applying)} do not apply on {base}:")
        for slug, details in result.not_applying:
            click.echo(f"  {slug}: {details}")
    else:
        click.echo(f"all {len(result.slugs)} apply on {base}")


# -- list -------------------------------------------------------------------------------------


@cli.command("list")
@click.argument("track", required=False, callback=_track_cb)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def list_(opts: Options, track: str | None, as_json: bool) -> None:
    """The patches of TRACK (or of every track) in order."""
    from . import ui
    from .commands.list_ import list_patches

    rows = list_patches(opts.workspace(), track)
    if as_json:
        ui.print_json([r.as_json() for r in rows])
        return
    many = len({r.track for r in rows}) > 1
    columns = (["track"] if many else []) + ["#", "slug", "subject", "author", "files", "+/-",
                                              "upstream", "submission"]
    table_rows = []
    for number, row in enumerate(rows, 1):
        files = row.files[0] if len(row.files) == 1 else f"{len(row.files)} files"
        cells = [number, row.slug, row.subject[:60], row.author.split(" <")[0], files,
                 f"+{row.added}/-{row.removed}", row.state or "-", row.submission]
        table_rows.append(([row.track] if many else []) + cells)
    ui.table(columns, table_rows)


# -- checkout / export --------------------------------------------------------------------------


@cli.command()
@click.argument("track", callback=_track_cb)
@click.option("--branch", metavar="NAME", help="Queue branch name (default patchq/TRACK).")
@click.option("--force", is_flag=True,
              help="Rebuild the queue branch even if it holds commits never exported.")
@pass_options
def checkout(opts: Options, track: str, branch: str | None, force: bool) -> None:
    """Build TRACK's queue branch in the upstream clone and check it out.

    The branch holds the base plus one commit per patch, each with a `Patchq-Slug:` trailer.
    Patches apply with 3-way fallback. A dirty work tree, or a queue branch with commits never
    exported, is refused.
    """
    from . import ui
    from .commands.checkout import checkout as run

    with ui.progress("applying") as bar:
        result = run(opts.workspace(), track, branch, force, progress=bar)
    state = "already up to date" if result.unchanged else "built"
    click.echo(f"{result.branch}: {state}, {result.patches} patches on {result.base} "
               f"({result.base_commit[:12]}), tip {result.tip[:12]}")
    if result.three_way:
        click.echo(f"applied with 3-way merge: {', '.join(result.three_way)}")
    if result.previous and result.previous != result.branch:
        click.echo(f"switched from {result.previous}")


@cli.command()
@click.argument("track", callback=_track_cb)
@click.option("--branch", metavar="NAME", help="Queue branch name (default patchq/TRACK).")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@pass_options
def export(opts: Options, track: str, branch: str | None, dry_run: bool) -> None:
    """Write TRACK's queue branch back into series/TRACK/.

    Unchanged patches keep their files byte for byte; changed ones are written as
    deterministic format-patch style files; the series file and map follow.
    """
    from .commands.export import export as run

    ws = opts.workspace()
    result = run(ws, track, branch, dry_run)
    plan = result.plan
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    verb = "would write" if dry_run else "wrote"
    summary = (f"{len(plan.unchanged)} unchanged, {len(plan.changed)} changed, "
               f"{len(plan.added)} added, {len(plan.removed)} removed, "
               f"{len(plan.renamed)} renamed")
    if not result.written:
        click.echo(f"series/{track}: nothing to write ({summary})")
        return
    click.echo(f"series/{track}: {verb} {len(result.written)} files ({summary})")
    for path in result.written:
        try:
            shown = path.relative_to(ws.root)
        except ValueError:
            shown = path
        click.echo(f"  {shown}")


# -- lint ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("track", required=False, callback=_track_cb)
@click.option("--check-export", is_flag=True,
              help="Also fail when `patchq export` would change files (for CI).")
@click.option("--no-apply", is_flag=True, help="Skip applying the patches (no upstream needed).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_options
def lint(opts: Options, track: str | None, check_export: bool, no_apply: bool,
         as_json: bool) -> None:
    """Check TRACK (or every track): files, parsing, slugs, map records, applying on the base.

    Exits 1 with one line per problem.
    """
    from . import ui
    from .commands.lint import lint as run

    problems = run(opts.workspace(), track, check_export, check_apply=not no_apply)
    if as_json:
        ui.print_json([{"track": p.track, "slug": p.slug, "code": p.code, "message": p.message}
                       for p in problems])
    else:
        for problem in problems:
            click.echo(problem.line())
        if not problems:
            click.echo("no problems found")
    if problems:
        sys.exit(1)


# -- rebase (issue 4) ---------------------------------------------------------------------------

# -- status, record, sync (issue 5) ------------------------------------------------------------

# -- report (issue 6) ---------------------------------------------------------------------------

# -- draft (issue 7) ----------------------------------------------------------------------------

# -- stack: applied, unapplied, top, push, pop, new, refresh, delete, rename, fold, goto, edit;
# -- compare, port (issue 8) --------------------------------------------------------------------

# -- demo ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def demo(directory: Path | None) -> None:
    """Build a small CPython-like upstream and a Pyodide-like series, and run patchq on them.

    Everything stays in DIRECTORY (default: a new temporary directory) to go on by hand:
    DIRECTORY/cpython is the upstream clone, DIRECTORY/patches the patch repo.
    """
    from .commands import demo as sample_demo

    sample = sample_demo.build_sample(directory)
    click.echo(f"sample upstream (CPython-shaped, branches 3.11, 3.12, main): {sample.upstream}")
    click.echo(f"downstream patches (Pyodide-like format-patch files): {sample.incoming}")
    for number, step in enumerate(sample_demo.steps(sample), 1):
        shown = " ".join(step.argv[2:])
        click.echo(f"\n== {number}. patchq {shown}\n   ({step.says})")
        code = main(list(step.argv))
        if code != 0:
            raise PatchqError(f"demo step `patchq {shown}` failed (exit {code})",
                              f"the sample is in {sample.root}")
        if step.argv[2] == "import":
            sample_demo.commit_patch_repo(sample, "Import the Pyodide-like series")
    click.echo(f"\nThe sample stays in {sample.root}. Go on by hand:")
    click.echo(f"  cd {sample.patch_repo}")
    click.echo("  patchq list 3.11; git -C ../cpython log --oneline patchq/3.11")


# -- entry point --------------------------------------------------------------------------------


def _save_crash(exc: BaseException) -> str:
    import tempfile
    import time
    import traceback

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "patchq"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path(tempfile.gettempdir())
    path = base / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    path.write_text(f"patchq {sys.argv[1:]!r}\n{text}")
    return str(path)


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="patchq", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except PatchqError as exc:
        click.echo(f"patchq: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so, keep the details
        where = _save_crash(exc)
        click.echo(f"patchq: unexpected error ({type(exc).__name__}: {exc}); "
                   f"details saved to {where}", err=True)
        return 70
    return 0


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
