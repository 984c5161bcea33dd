"""Printing for the CLI: tables and progress, with rich on a terminal and plain text elsewhere.

rich is imported only when a terminal is there to use it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click


def is_tty(stream=None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("PATCHQ_PLAIN"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def some(names: Sequence[str], shown: int = 5) -> str:
    """``a, b, c`` or, for a long list, ``a, b, c, d, e and 34 more``.

    >>> some(["a", "b"]), some([str(n) for n in range(8)], 3)
    ('a, b', '0, 1, 2 and 5 more')
    """
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


def echo(text: str = "", err: bool = False) -> None:
    click.echo(text, err=err)


def json_text(data: Any, verb: str | None = None) -> str:
    """``data`` as the versioned JSON document of ``verb`` (default: the command running;
    :mod:`patchq.json_schema`, docs/json.md)."""
    return json.dumps(versioned(data, verb), indent=2, sort_keys=False, ensure_ascii=False,
                      default=str)


def print_json(data: Any, verb: str | None = None) -> None:
    click.echo(json_text(data, verb))


def versioned(data: Any, verb: str | None = None) -> Any:
    """``data`` with its schema key (:mod:`patchq.json_schema`), ``verb`` defaulting to the
    command running."""
    from .json_schema import document

    if verb is None:
        ctx = click.get_current_context(silent=True)
        # the command's path below `patchq`: "list", "upstream-list"
        verb = "-".join(ctx.command_path.split()[1:]) or None if ctx is not None else None
    return data if verb is None else document(verb, data)


class Err(str):
    """A line a render function means for standard error."""


@dataclass(frozen=True)
class Table:
    """A table among a render function's lines (printed by ``table``)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]


Line = str | Table


def emit(lines: Iterable[Line]) -> None:
    """Print what a command's ``render`` gives, line by line as it comes (an ``Err`` line on
    standard error, a ``Table`` as ``table`` prints it)."""
    for line in lines:
        if isinstance(line, Table):
            table(line.columns, line.rows)
        else:
            click.echo(line, err=isinstance(line, Err))


def shown(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` when it is below it."""
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def fuzzy_lines(fuzzy: Sequence[tuple[str, Sequence[str]]], track: str) -> Iterator[str]:
    """Name the patches that applied only as GNU patch applies them, and how."""
    if not fuzzy:
        return
    yield (f"{len(fuzzy)} apply only as GNU patch would (their files are kept byte for "
           f"byte; `patchq export {track} --refresh` rewrites them clean):")
    for slug, notes in fuzzy:
        yield f"  {slug}: {'; '.join(notes)}"


def editor(text: str) -> str | None:
    """``text`` edited in $EDITOR, its ``#`` lines dropped (None: the editor was left)."""
    edited = click.edit(text + "\n# Lines starting with '#' are dropped. An unchanged text keeps "
                               "the description.\n", require_save=False)
    if edited is None:
        return None
    return "\n".join(ln for ln in edited.splitlines() if not ln.startswith("#")) + "\n"


def styled(text: str, style: str) -> str:
    """``text`` in a rich style (``green``, ``dim``...) for a ``table`` cell on a terminal;
    unchanged elsewhere."""
    if not is_tty():
        return text
    from rich.markup import escape as rich_escape

    return f"[{style}]{rich_escape(text)}[/{style}]"


def escape(text: str) -> str:
    """Text for a ``table`` cell: rich markup characters escaped on a terminal."""
    if not is_tty():
        return text
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> None:
    """A table: rich on a terminal, aligned plain text otherwise (stable for scripts)."""
    if is_tty():
        from rich.console import Console
        from rich.table import Table

        tab = Table(title=title or None, show_lines=False, header_style="bold")
        for column in columns:
            tab.add_column(column, overflow="fold")
        for row in rows:
            tab.add_row(*(str(c) for c in row))
        Console().print(tab)
        return
    if title:
        echo(title)
    text_rows = [[str(c) for c in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    echo("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for row in text_rows:
        echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


@contextmanager
def progress(label: str, enabled: bool = True) -> Iterator[Callable[[int, int, str], None]]:
    """A progress callback ``(done, total, what)``: a rich bar when stderr is a terminal;
    otherwise nothing, like git (so a failure prints one line), unless ``PATCHQ_PROGRESS=1``
    asks for a few plain lines on stderr (at most about ten per run, for CI logs)."""
    if not enabled or (not is_tty(sys.stderr) and not os.environ.get("PATCHQ_PROGRESS")):
        yield lambda done, total, what: None
        return
    if is_tty(sys.stderr):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[what]}"), transient=True,
                      console=None) as bar:
            task = bar.add_task(label, total=None, what="")

            def update(done: int, total: int, what: str) -> None:
                bar.update(task, completed=done, total=total, what=what)

            yield update
        return
    last = {"step": -1}

    def plain(done: int, total: int, what: str) -> None:
        step = done * 10 // max(total, 1)
        if total >= 20 and step != last["step"] or done == total:
            last["step"] = step
            click.echo(f"{label}: {done}/{total} {what}", err=True)

    yield plain
