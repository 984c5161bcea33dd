"""Write ``upstream_map.toml`` again by rewriting only the sections whose values changed.

tomllib reads a map into plain dicts in about a millisecond; tomlkit, which keeps every
comment, needs tens of milliseconds to import, parse and write one (docs/performance.md). A
map patchq wrote is a run of ``[table]`` sections of ``key = value`` lines, with comments and
blank lines between them. For such a map a command can change the plain data and have
``render`` give the new text: every section whose values did not change is copied byte for
byte, a changed one gets its lines again (an unchanged line stays as it was), new tables come
where tomlkit puts them (after their parent's, in the data's order), removed ones go.

``render`` gives up (``None``) whenever that could lose or move something a person wrote:
multi-line strings, arrays of tables, a comment or an odd line among the values of a table
that changed, a removed table with a comment, tables out of tree order, values it cannot
write (floats, dates). The caller then edits the map with tomlkit (``apply_changes``) as
before, and checks the fast text by parsing it again (design.md §7). No I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_KEY = r'(?:[A-Za-z0-9_-]+|"[^"\\\n]*"|\'[^\'\n]*\')'
_HEADER = re.compile(rf"\[({_KEY}(?:\.{_KEY})*)\]\n")
_KEY_PART = re.compile(_KEY)
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')

Path_ = tuple[str, ...]


class Inline(dict):
    """An inline table (``counts = {unchanged = 3}``), not a ``[section]`` of its own."""


class Table(dict):
    """A table a command adds; ``spaced``: a blank line follows its values, as tomlkit's
    ``nl()`` gives (before another table there is one anyway)."""

    spaced = False


@dataclass(frozen=True)
class Section:
    path: Path_
    header: str  # the header line as written, with its newline
    lines: tuple[str, ...]  # the value lines
    simple: bool  # every value line is one ``key = value``, no comment among them
    trailer: str  # the comments and blank lines after the values, as written

    def has_comment(self) -> bool:
        return any(line.lstrip().startswith("#") for line in self.trailer.splitlines()) or \
            not self.simple


@dataclass(frozen=True)
class Layout:
    preamble: str  # comments and blank lines before the first table
    sections: tuple[Section, ...]


def split(text: str) -> Layout | None:
    """The sections of a map, or None for a layout ``render`` does not handle.

    >>> layout = split('# map\\n[a]\\nx = 1\\n\\n[a."b.c"]\\ny = "z"\\n')
    >>> layout.preamble, [s.path for s in layout.sections], layout.sections[0].trailer
    ('# map\\n', [('a',), ('a', 'b.c')], '\\n')
    >>> split('[[a]]\\nx = 1\\n'), split('x = 1\\n'), split("a = '''\\n'''\\n")
    (None, None, None)
    """
    if '"""' in text or "'''" in text or "\r" in text or (text and not text.endswith("\n")):
        return None
    preamble: list[str] = []
    sections: list[Section] = []
    current: tuple[Path_, str] | None = None
    values: list[str] = []
    trailer: list[str] = []
    simple = True

    def close() -> None:
        if current is not None:
            sections.append(Section(current[0], current[1], tuple(values), simple,
                                    "".join(trailer)))

    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if line.lstrip().startswith("["):
            match = _HEADER.fullmatch(line)
            if match is None:
                return None  # [[array of tables]], an indented header, a comment after it
            close()
            current = (tuple(_unquote(k) for k in _KEY_PART.findall(match.group(1))), line)
            values, trailer, simple = [], [], True
        elif current is None:
            if stripped and not stripped.startswith("#"):
                return None  # keys before the first table
            preamble.append(line)
        elif not stripped or stripped.startswith("#"):
            trailer.append(line)
        else:
            if trailer or line[0].isspace():
                simple = False  # a value after a comment, or a continued value
            values.extend(trailer)
            trailer = []
            values.append(line)
    close()
    return Layout("".join(preamble), tuple(sections))


def mark_inline(layout: Layout, data: dict) -> bool:
    """Mark the inline tables of parsed ``data`` (``Inline``) and check that its tables come
    in the text's order; False when they do not (``render`` would move sections)."""
    paths = {s.path for s in layout.sections}
    prefixes = {s.path[:i] for s in layout.sections for i in range(1, len(s.path) + 1)}
    order: list[Path_] = []

    def walk(table: dict, path: Path_) -> None:
        for key, value in table.items():
            if isinstance(value, dict):
                here = (*path, key)
                if here in prefixes:
                    if here in paths:
                        order.append(here)
                    walk(value, here)
                else:
                    table[key] = Inline(value)

    walk(data, ())
    return order == [s.path for s in layout.sections]


def render(layout: Layout, old: dict, new: dict) -> str | None:
    """The text of ``new``: ``layout`` (the text of ``old``) with only what changed written
    again; None when that cannot be done without losing a person's text (see the module)."""
    sections = {s.path: s for s in layout.sections}
    out: list[str] = [layout.preamble]
    kept: set[Path_] = set()

    def header(text: str) -> None:
        last = next((chunk for chunk in reversed(out) if chunk), "").splitlines()[-1:]
        if last and last[0].strip() and not last[0].lstrip().startswith("#"):
            out.append("\n")  # a blank line before a table that follows a value
        out.append(text)

    def table(path: Path_, before: dict | None, after: dict) -> bool:
        mine = {k: v for k, v in after.items() if not _is_table(v)}
        section = sections.get(path)
        if section is not None:
            kept.add(path)
            was = {k: v for k, v in (before or {}).items() if not _is_table(v)}
            if was == mine:
                header(section.header)
                out.extend(section.lines)
                out.append(section.trailer)
            else:
                lines = _rewrite(section, was, mine)
                if lines is None:
                    return False
                header(section.header)
                out.extend(lines)
                out.append(section.trailer)
        elif mine or not any(_is_table(v) for v in after.values()):
            lines = _lines(mine)
            if lines is None:
                return False
            header(f"[{'.'.join(_key(k) for k in path)}]\n")
            out.extend(lines)
            if isinstance(after, Table) and after.spaced:
                out.append("\n")
        for key, value in after.items():
            if _is_table(value):
                prior = (before or {}).get(key)
                if not table((*path, key), prior if isinstance(prior, dict) else None, value):
                    return False
        return True

    for key, value in new.items():
        if not _is_table(value):
            return None  # a value at the top (split refuses them in the text)
        prior = old.get(key)
        if not table((key,), prior if isinstance(prior, dict) else None, value):
            return None
    if any(s.has_comment() for s in layout.sections if s.path not in kept):
        return None  # a removed (or renamed) table takes a person's comment with it
    return "".join(out)


def _rewrite(section: Section, was: dict, mine: dict) -> list[str] | None:
    """The value lines of a changed section: its own line for every value that stayed."""
    if not section.simple or len(section.lines) != len(was):
        return None
    own: dict[str, str] = {}
    for (key, value), line in zip(was.items(), section.lines):
        if not line.startswith(f"{_key(key)} = "):
            return None
        if "#" in line and mine.get(key) != value:
            return None  # perhaps a comment after a value that changes: tomlkit keeps it
        own[key] = line  # kept as written while the value stays
    out = []
    for key, value in mine.items():
        if key in was and was[key] == value:
            out.append(own[key])
        else:
            written = _line(key, value)
            if written is None:
                return None
            out.append(written)
    return out


def _lines(values: dict) -> list[str] | None:
    out = []
    for key, value in values.items():
        line = _line(key, value)
        if line is None:
            return None
        out.append(line)
    return out


def _line(key: str, value: Any) -> str | None:
    text = _value(value)
    return None if text is None else f"{_key(key)} = {text}\n"


def _value(value: Any) -> str | None:
    """A value as tomlkit writes a new one, or None for a kind patchq does not write here.

    >>> [_value(v) for v in (True, 3, 'a"b\\t\\x01', ["x"], Inline(n=1), 1.5)]
    ['true', '3', '"a\\\\"b\\\\t\\\\u0001"', '["x"]', '{n = 1}', None]
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f'"{_escape(value)}"'
    if isinstance(value, list):
        items = [_value(Inline(v) if type(v) is dict else v) for v in value]
        return None if None in items else f"[{', '.join(items)}]"  # type: ignore[arg-type]
    if isinstance(value, Inline):
        pairs = [(k, _value(v)) for k, v in value.items()]
        if any(v is None for _, v in pairs):
            return None
        return "{" + ", ".join(f"{_key(k)} = {v}" for k, v in pairs) + "}"
    return None


def _escape(text: str) -> str:
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else f'"{_escape(key)}"'


def _unquote(key: str) -> str:
    return key[1:-1] if key[:1] in "\"'" else key


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) and not isinstance(value, Inline)


def apply_changes(doc: Any, old: dict, new: dict) -> None:
    """Make a tomlkit document parsed from ``old``'s text hold ``new``: only the keys that
    changed are set or removed, so the rest keeps its comments and layout."""
    import tomlkit

    def item(value: Any) -> Any:
        if isinstance(value, Inline):
            inline = tomlkit.inline_table()
            for k, v in value.items():
                inline[k] = item(v)
            return inline
        if isinstance(value, dict):
            mine = any(not _is_table(v) for v in value.values())
            table = tomlkit.table(is_super_table=not mine and bool(value))
            for k, v in value.items():
                table[k] = item(v)
            if isinstance(value, Table) and value.spaced:
                table.add(tomlkit.nl())
            return table
        if isinstance(value, list):
            array = tomlkit.array()
            for v in value:
                array.append(item(Inline(v) if type(v) is dict else v))
            return array
        return value

    def apply(target: Any, before: dict, after: dict) -> None:
        for key in [k for k in before if k not in after]:
            del target[key]
        for key, value in after.items():
            prior = before.get(key)
            if isinstance(prior, dict) and _is_table(value) and _is_table(prior):
                apply(target[key], prior, value)
            elif key not in before or prior != value or _is_table(prior) != _is_table(value):
                target[key] = item(value)

    apply(doc, old, new)
