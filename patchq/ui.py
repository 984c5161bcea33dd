"""Printing for the CLI: tables and progress, with rich on a terminal and plain text elsewhere.

rich is imported only when a terminal is there to use it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


def print_json(data: Any, verb: str | None = None) -> None:
    """``data`` as the versioned JSON document of ``verb`` (default: the command running;
    :mod:`patchq.json_schema`, docs/json.md)."""
    from .json_schema import document

    if verb is None:
        ctx = click.get_current_context(silent=True)
        verb = ctx.info_name if ctx is not None else None
    if verb is not None:
        data = document(verb, data)
    click.echo(json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False, default=str))


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
