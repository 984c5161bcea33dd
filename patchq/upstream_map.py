"""Read and write ``upstream_map.toml`` with tomlkit, so people's comments and order survive.

The format is documented in docs/upstream_map.md. In short::

    [upstream]            path (local clone), url, github ("owner/repo"), fork ("owner/repo")
    [upstreams.NAME]      another upstream (emsdk, a package): the same keys
    [tracks."3.11"]       follows, base, base_commit, upstream (NAME; absent: [upstream])
    [patches.<slug>]      disposition, reason, issue, pr, notes      (people own these)
    [patches.<slug>.tracks."3.11"]   what patchq found: outcome, state, evidence, checked_at
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from .errors import MapError
from .files import atomic_write
from .map_sections import Inline, Layout, Table, apply_changes, mark_inline, render, split
from .model import Track, valid_track

MAP_NAME = "upstream_map.toml"
# the name of ``[upstream]``, the default upstream (``--upstream default`` and a track without
# ``upstream`` mean it); ``[upstreams.NAME]`` tables name the others
DEFAULT_UPSTREAM = "default"
UPSTREAM_KEYS = ("path", "url", "github", "fork", "fork_url")
_UPSTREAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# [patches.<slug>] fields people own (import seeds some from the patch's header, never over
# a value already there); docs/upstream_map.md
PEOPLE_FIELDS = ("disposition", "reason", "issue", "pr", "notes", "origin_commit", "news",
                 "forwarded", "subject", "author", "tested_on", "ci")

HEADER = """\
# upstream_map.toml -- what patchq knows about this downstream series.
# People edit it too: patchq keeps comments and order. Format: docs/upstream_map.md
"""


def _blank_line_before_tables(text: str) -> str:
    """A blank line before each table header that follows a value directly.

    >>> _blank_line_before_tables('[a]\\nx = 1\\n[b]\\n# c\\n[c]\\n')
    '[a]\\nx = 1\\n\\n[b]\\n# c\\n[c]\\n'
    """
    out: list[str] = []
    for line in text.split("\n"):
        if line.startswith("[") and out and out[-1].strip() and \
                not out[-1].lstrip().startswith("#"):
            out.append("")
        out.append(line)
    return "\n".join(out)


def _read_map(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MapError(f"no {MAP_NAME} in {path.parent}",
                       "run `patchq init --upstream DIR` first, or -C to the patch repo") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MapError(f"cannot read {path}: {exc}") from None


def _parse_fast(path: Path, text: str) -> dict:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = str(exc).rsplit("(at line ", 1)
        detail = where[0].strip()
        pos = where[1].rstrip(")").replace(", column ", ":") if len(where) == 2 else "?"
        raise MapError(f"{path.name}:{pos}: {detail}", "fix the TOML syntax") from None


def _tomlkit_text(doc: Any) -> str:
    import tomlkit

    raw = tomlkit.dumps(doc)
    tidy = _blank_line_before_tables(raw)
    if tidy != raw:
        try:
            same = tomlkit.parse(tidy).unwrap() == tomlkit.parse(raw).unwrap()
        except Exception:  # noqa: BLE001 -- any doubt: keep tomlkit's text
            same = False
        if same:
            return tidy
    return raw


def valid_upstream_name(name: str) -> bool:
    """Names of ``[upstreams.NAME]``: short words, never the default's name.

    >>> [valid_upstream_name(n) for n in ("emsdk", "libffi-3.4", "default", "-x", "a/b", "")]
    [True, True, False, False, False, False]
    """
    return bool(_UPSTREAM_NAME.match(name)) and name != DEFAULT_UPSTREAM and ".." not in name


class UpstreamMap:
    """The parsed map. Mutate through the methods, then ``save()``. Tables, inline tables and
    arrays a command adds come from ``new_table``/``new_inline``/``new_array``: tomlkit's
    for a map loaded with tomlkit, plain ones for a map loaded with ``load_editable``."""

    readonly = False

    def __init__(self, path: Path, doc: Any) -> None:
        self.path = path
        self.doc = doc
        # load_editable: the text read, its sections and the data as read
        self._edit: tuple[str, Layout, dict] | None = None

    # -- loading and saving -------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> UpstreamMap:
        import tomlkit
        from tomlkit.exceptions import ParseError

        text = _read_map(path)
        try:
            doc = tomlkit.parse(text)
        except ParseError as exc:
            raise MapError(f"{path.name}:{exc.line}:{exc.col}: {exc.args[0].split(' at line')[0]}",
                           "fix the TOML syntax") from None
        result = cls(path, doc)
        result.validate()
        return result

    @classmethod
    def load_editable(cls, path: Path) -> UpstreamMap:
        """The map as plain data that ``save()`` writes back section by section
        (patchq.map_sections): a few milliseconds where tomlkit takes tens. A layout that
        cannot be edited that way (or Python 3.10) is loaded with tomlkit instead."""
        if sys.version_info < (3, 11):  # no tomllib
            return cls.load(path)
        text = _read_map(path)
        doc = _parse_fast(path, text)
        layout = split(text)
        if layout is None or not mark_inline(layout, doc):
            return cls.load(path)
        before = _parse_fast(path, text)  # what changed is told against this
        mark_inline(layout, before)
        result = cls(path, doc)
        result._edit = (text, layout, before)
        result.validate()
        return result

    @classmethod
    def load_readonly(cls, path: Path) -> UpstreamMap:
        """The map parsed for reading only, as plain dicts and strings, dates and lists.

        Reports read large maps: the standard library's tomllib (Python >= 3.11) parses them
        about ten times faster than tomlkit. Comments are not kept, so ``save()`` refuses.
        On Python 3.10 this is ``load`` (tomlkit) with the same refusal to save.
        """
        if sys.version_info < (3, 11):  # no tomllib
            result = cls.load(path)
            result.readonly = True
            return result
        result = cls(path, _parse_fast(path, _read_map(path)))
        result.readonly = True
        result.validate()
        return result

    @classmethod
    def new(cls, path: Path, upstream: dict[str, str]) -> UpstreamMap:
        import tomlkit

        doc = tomlkit.parse(HEADER)
        table = tomlkit.table()
        for key, value in upstream.items():
            if value:
                table[key] = value
        doc["upstream"] = table
        return cls(path, doc)

    def text(self) -> str:
        """The map as TOML; tables patchq added are set off by a blank line, as people write
        them (tomlkit glues a table added among parsed ones to the one before)."""
        if self._edit is None:
            return _tomlkit_text(self.doc)
        import tomllib

        read, layout, before = self._edit
        fast = render(layout, before, self.doc)
        try:
            if fast is not None and tomllib.loads(fast) == self.doc:  # the check: design.md §7
                return fast
        except ValueError:  # not TOML after all: tomlkit's way below
            pass
        import tomlkit

        doc = tomlkit.parse(read)  # the careful way: tomlkit edits what changed
        apply_changes(doc, before, self.doc)
        return _tomlkit_text(doc)

    def new_table(self, *, super_table: bool = False) -> Any:
        """A table to add (``super_table``: one that only holds tables, with no header)."""
        if self._edit is not None or self.readonly:
            return Table()
        import tomlkit

        return tomlkit.table(is_super_table=super_table)

    def new_inline(self) -> Any:
        if self._edit is not None or self.readonly:
            return Inline()
        import tomlkit

        return tomlkit.inline_table()

    def new_array(self) -> Any:
        if self._edit is not None or self.readonly:
            return []
        import tomlkit

        return tomlkit.array()

    def spaced(self, table: Any) -> None:
        """A blank line after the values of a table patchq added."""
        if isinstance(table, Table):
            table.spaced = True
        elif self._edit is None and not self.readonly:
            import tomlkit

            table.add(tomlkit.nl())

    def save(self, *, new: bool = False) -> None:
        """Write the map (``new``: it must not exist yet; FileExistsError when it does)."""
        if self.readonly:
            raise MapError("this map was loaded read-only", "load it with UpstreamMap.load")
        atomic_write(self.path, self.text().encode("utf-8"), new=new)

    def validate(self) -> None:
        def need_table(value: Any, where: str) -> None:
            if not isinstance(value, dict):
                raise MapError(f"{self.path.name}: [{where}] must be a table",
                               "see docs/upstream_map.md")

        for key in ("upstream", "upstreams", "tracks", "patches"):
            if key in self.doc:
                need_table(self.doc[key], key)
        for name, table in self.doc.get("upstreams", {}).items():
            need_table(table, f"upstreams.{name}")
            if not valid_upstream_name(name):
                raise MapError(f"{self.path.name}: upstream name {name!r} is not usable",
                               "use letters, digits and . _ - (emsdk, libffi), not 'default'")
            for field in UPSTREAM_KEYS:
                if field in table and not isinstance(table[field], str):
                    raise MapError(f"{self.path.name}: upstreams.{name}.{field} must be a string")
        for name, track in self.doc.get("tracks", {}).items():
            need_table(track, f'tracks."{name}"')
            if not valid_track(name):
                raise MapError(f"{self.path.name}: track name {name!r} is not usable",
                               "use names like 3.11 or main")
            for field in ("follows", "base", "base_commit", "upstream"):
                if field in track and not isinstance(track[field], str):
                    raise MapError(f'{self.path.name}: tracks."{name}".{field} must be a string')
            upstream = str(track.get("upstream", DEFAULT_UPSTREAM))
            if upstream not in self.upstream_names() and not valid_upstream_name(upstream) \
                    and upstream != DEFAULT_UPSTREAM:
                raise MapError(f'{self.path.name}: tracks."{name}" names upstream {upstream!r}, '
                               "which is no usable upstream name",
                               "name one of its [upstreams.NAME] tables, or remove the key "
                               "for the default [upstream]")
            if upstream not in self.upstream_names():
                raise MapError(f'{self.path.name}: tracks."{name}" names upstream {upstream!r}, '
                               "which the map does not have",
                               f"add it with `patchq upstream add {upstream} DIR`")
        for slug, record in self.doc.get("patches", {}).items():
            need_table(record, f"patches.{slug}")
            tracks = record.get("tracks", {})
            need_table(tracks, f"patches.{slug}.tracks")

    # -- upstream ---------------------------------------------------------------------------

    @property
    def upstream(self) -> dict:
        return self.doc.get("upstream", {})

    def upstream_get(self, key: str, name: str = DEFAULT_UPSTREAM) -> str:
        """A key of ``[upstream]`` (``name`` "default") or of ``[upstreams.NAME]``; what the
        downstream is (``downstream``, ``downstream_url``) is read from ``[upstream]`` alone."""
        table = self.upstream_table(name) if key in UPSTREAM_KEYS else self.upstream
        value = table.get(key, "")
        return str(value) if value is not None else ""

    def upstream_names(self) -> list[str]:
        """The default upstream first, then the ``[upstreams.NAME]`` tables in map order."""
        return [DEFAULT_UPSTREAM, *self.doc.get("upstreams", {}).keys()]

    def upstream_table(self, name: str) -> dict:
        if name == DEFAULT_UPSTREAM:
            return self.upstream
        tables = self.doc.get("upstreams", {})
        if name not in tables:
            raise MapError(f"unknown upstream {name!r} (known: {', '.join(self.upstream_names())})",
                           "add it with `patchq upstream add NAME DIR`")
        return tables[name]

    def add_upstream(self, name: str, fields: dict[str, str]) -> None:
        """A new ``[upstreams.NAME]`` table (the map's other tables stay as they are)."""
        if not valid_upstream_name(name):
            raise MapError(f"upstream name {name!r} is not usable",
                           "use letters, digits and . _ - (emsdk, libffi), not 'default'")
        if name in self.upstream_names():
            raise MapError(f"the map already has an upstream {name!r}",
                           "edit its [upstreams.NAME] table, or pick another name")
        table = self.new_table()
        for key, value in fields.items():
            if value:
                table[key] = value
        upstreams = self._super("upstreams")
        upstreams[name] = table

    def track_upstream(self, name: str) -> str:
        """The upstream a track's patches apply to (``upstream`` in its table)."""
        self.track(name)
        return str(self.doc["tracks"][name].get("upstream", DEFAULT_UPSTREAM))

    # -- tracks -----------------------------------------------------------------------------

    def track_names(self) -> list[str]:
        return list(self.doc.get("tracks", {}).keys())

    def track(self, name: str) -> Track:
        tracks = self.doc.get("tracks", {})
        if name not in tracks:
            known = ", ".join(tracks.keys()) or "none yet"
            raise MapError(f"unknown track {name!r} (known: {known})",
                           "import a series with `patchq import SOURCE --track T --base REF`")
        table = tracks[name]
        return Track(name=name, follows=str(table.get("follows", name)),
                     base=str(table.get("base", "")), base_commit=str(table.get("base_commit", "")))

    def set_track(self, track: Track, upstream: str | None = None) -> None:
        """Record a track; ``upstream`` (a name) is written for a new track on an upstream that
        is not the default (an existing track keeps its own)."""
        tracks = self._super("tracks")
        table = tracks.get(track.name)
        if table is None:
            table = self.new_table()
            tracks[track.name] = table
            if upstream and upstream != DEFAULT_UPSTREAM:
                self.upstream_table(upstream)  # unknown names fail here
                table["upstream"] = upstream
        table["follows"] = track.follows
        table["base"] = track.base
        table["base_commit"] = track.base_commit

    def track_table(self, name: str) -> Any:
        """The raw table of a track, for commands that record more (last rebase...)."""
        self.track(name)
        return self.doc["tracks"][name]

    # -- patches ----------------------------------------------------------------------------

    def _super(self, key: str) -> Any:
        if key not in self.doc:
            self.doc[key] = self.new_table(super_table=True)
        return self.doc[key]

    def slugs(self) -> list[str]:
        return list(self.doc.get("patches", {}).keys())

    def patch(self, slug: str) -> dict:
        """The record of a patch ({} when there is none). Read-only view."""
        return self.doc.get("patches", {}).get(slug, {})

    def ensure_patch(self, slug: str) -> Any:
        patches = self._super("patches")
        if slug not in patches:
            table = self.new_table()
            table["disposition"] = "undecided"
            patches[slug] = table
        return patches[slug]

    def patch_track(self, slug: str, track: str) -> Any:
        """The per-track table of a patch, created on demand."""
        record = self.ensure_patch(slug)
        if "tracks" not in record:
            record["tracks"] = self.new_table(super_table=True)
        tracks = record["tracks"]
        if track not in tracks:
            tracks[track] = self.new_table()
        return tracks[track]

    def set_aside(self, track: str) -> dict[str, str]:
        """The patches a rebase of ``track`` set aside (``needs_person = true``), each with the
        base commit its file applies to (``set_aside_on``, "" when not recorded)."""
        out = {}
        for slug, record in self.doc.get("patches", {}).items():
            per_track = record.get("tracks", {}).get(track, {})
            if per_track.get("needs_person") is True:
                out[slug] = str(per_track.get("set_aside_on", "") or "")
        return out

    def has_patch_track(self, slug: str, track: str) -> bool:
        return track in self.patch(slug).get("tracks", {})

    def remove_patch_track(self, slug: str, track: str) -> None:
        """Forget a patch on one track; drop the record when no track carries it any more."""
        patches = self.doc.get("patches", {})
        record = patches.get(slug)
        if record is None:
            return
        tracks = record.get("tracks")
        if tracks is not None and track in tracks:
            del tracks[track]
        if not record.get("tracks") and not self._people_fields(record):
            del patches[slug]

    @staticmethod
    def _people_fields(record: dict) -> bool:
        return any(record.get(k) for k in PEOPLE_FIELDS if k != "disposition") or \
            record.get("disposition", "undecided") != "undecided"

    def move_patch_track(self, old: str, new: str, track: str) -> None:
        """A patch renamed on one track: its record follows it. The whole record moves when no
        other track carries ``old``; otherwise ``new`` gets a copy of the people's fields and
        this track's table, and ``old`` keeps the rest."""
        import copy

        patches = self._super("patches")
        if old not in patches or old == new:
            return
        record = patches[old]
        others = [t for t in record.get("tracks", {}) if t != track]
        if new not in patches and not others:
            self.rename_patch(old, new)
            return
        target = self.ensure_patch(new)
        for key, value in record.items():
            if key != "tracks" and key not in target or (
                    key == "disposition" and target.get(key) == "undecided"):
                target[key] = copy.deepcopy(value)
        moved = record.get("tracks", {}).get(track)
        if moved is not None and not self.has_patch_track(new, track):
            self.patch_track(new, track).update(copy.deepcopy(moved))
        self.remove_patch_track(old, track)

    def rename_patch(self, old: str, new: str) -> None:
        patches = self._super("patches")
        if old not in patches or old == new:
            return
        if new in patches:
            raise MapError(f"a record for {new!r} already exists", "pick another name")
        patches[new] = patches[old]
        del patches[old]
