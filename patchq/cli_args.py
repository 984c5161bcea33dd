"""The click pieces the commands share: the options object every command gets, the checks of
track names, slugs and dates, the --track option of the stack verbs, and --against's
several-refs option, and printing a --json document."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .errors import PatchqError


@dataclass
class Options:
    directory: Path
    upstream_dir: str | None
    started_in: Path | None = None  # before -C: which upstream clone a stack verb is run in

    def workspace(self):
        from .workspace import Workspace

        return Workspace.locate(self.directory, self.upstream_dir, self.started_in)


pass_options = click.make_pass_decorator(Options)


def track_required(value: str) -> str:
    from .model import valid_track

    if not valid_track(value):
        raise click.BadParameter(f"{value!r} is not a usable track name (like 3.11 or main)")
    return value


def track_cb(ctx, param, value):
    if value is None:
        return None
    return track_required(value)


def tracks_cb(ctx, param, value):
    return tuple(track_required(x) for x in value)


class GreedyOption(click.Option):
    """An option that takes every following word up to the next option:
    ``--against main 3.12 3.11``."""

    def add_to_parser(self, parser, ctx):
        result = super().add_to_parser(parser, ctx)
        for name in self.opts:
            # click's parser keeps its options in these tables (click 8.0 to 8.4); should a
            # later click not, the option still works, one REF per --against
            tables = (getattr(parser, "_long_opt", {}), getattr(parser, "_short_opt", {}))
            option = tables[0].get(name) or tables[1].get(name)
            if option is None or not hasattr(option, "process"):
                continue
            original = option.process

            def process(value, state, original=original):
                values = [value]
                while state.rargs and not state.rargs[0].startswith("-"):
                    values.append(state.rargs.pop(0))
                for item in values:
                    original(item, state)

            option.process = process
        return result


def since_cb(ctx, param, value):
    from .commands.report import check_since

    try:
        return check_since(value)
    except PatchqError as exc:
        raise click.BadParameter(str(exc)) from None


def slug_cb(ctx, param, value):
    from .model import valid_slug

    if value is not None and not valid_slug(value):
        raise click.BadParameter(f"{value!r} is not a patch slug (see `patchq list`)")
    return value


def track_option(func):
    return click.option("--track", "-t", callback=track_cb, metavar="T",
                        help="The track (default: the one whose queue branch is checked out "
                             "in the upstream clone).")(func)


def json_document(kind: str, result: Any, *args: Any) -> None:
    """Print ``result`` as its --json document (:mod:`patchq.commands.json_out`'s ``kind``)
    and exit with the document's code."""
    from . import ui
    from .commands import json_out

    data = getattr(json_out, kind)(result, *args)
    ui.print_json(data)
    if data.get("code"):
        sys.exit(data["code"])


def json_or_lines(as_json: bool, kind: str, render: Callable[[Any], Iterable[Any]],
                  result: Any, *json_args: Any) -> None:
    """A command's --json document, or the lines its ``render`` gives."""
    if as_json:
        json_document(kind, result, *json_args)
        return
    from . import ui

    ui.emit(render(result))
