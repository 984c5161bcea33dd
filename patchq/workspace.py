"""Where things are: the patch repo, its map, its series directories and the upstream clones.

A command gets a :class:`Workspace` and asks it for what it needs; the workspace loads the
map and opens the upstream clones lazily and says clearly what is missing.

A map may name several upstreams (``[upstream]``, the default, and ``[upstreams.NAME]``);
each track names its own. ``ws.git`` is the clone of the *selected* upstream: a command that
works on a track selects it first (``ws.use_track(track)``), and one that goes over several
tracks asks ``ws.git_for(track)``. ``--upstream-dir``/``PATCHQ_UPSTREAM`` override the
default upstream's clone only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MapError, SeriesError
from .model import Track, valid_track
from .upstream_map import DEFAULT_UPSTREAM, MAP_NAME, UpstreamMap

if TYPE_CHECKING:
    from .git import Git

ENV_UPSTREAM = "PATCHQ_UPSTREAM"
SERIES_DIR = "series"


def find_root(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` holding upstream_map.toml."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / MAP_NAME).is_file():
            return candidate
    return None


@dataclass
class Workspace:
    root: Path
    upstream_override: str | None = None
    _map: UpstreamMap | None = field(default=None, repr=False)
    selected: str = DEFAULT_UPSTREAM
    started_in: Path | None = None  # where the command was started (before -C)
    _gits: dict[str, Git] = field(default_factory=dict, repr=False)

    @classmethod
    def locate(cls, cwd: Path | None = None, upstream_dir: str | None = None,
               started_in: Path | None = None) -> Workspace:
        cwd = Path(cwd or os.getcwd())
        root = find_root(cwd)
        if root is None:
            raise MapError(f"no {MAP_NAME} here or above {cwd}",
                           "run `patchq init --upstream DIR` in your patch repo, or use -C DIR")
        return cls(root=root, upstream_override=upstream_dir,
                   started_in=(started_in or cwd).resolve())

    @property
    def map_path(self) -> Path:
        return self.root / MAP_NAME

    @property
    def map(self) -> UpstreamMap:
        if self._map is None:
            self._map = UpstreamMap.load(self.map_path)
        return self._map

    def read_only(self) -> Workspace:
        """Load the map for reading only (UpstreamMap.load_readonly: several times faster on a
        big map). A command that writes the map afterwards calls ``reload_map()`` first."""
        if self._map is None:
            self._map = UpstreamMap.load_readonly(self.map_path)
        return self

    def forget_map(self) -> None:
        """Drop the map read so far: the next use reads the file again (after taking the
        lock, so that a read-modify-write sees what another command wrote)."""
        self._map = None

    def reload_map(self, *, editable: bool = False) -> UpstreamMap:
        """Read the map again (after taking the lock); ``editable``: as plain data written
        back section by section (UpstreamMap.load_editable), for a command that only sets
        values through the map's methods and ``new_table``/``new_inline``/``new_array``."""
        self._map = UpstreamMap.load_editable(self.map_path) if editable else None
        return self.map

    def series_dir(self, track: str) -> Path:
        if not valid_track(track):
            raise SeriesError(f"track name {track!r} is not usable",
                              "use names like 3.11 or main")
        from .validate import contained

        return contained(self.root / SERIES_DIR / track, self.root, "series directory")

    def track(self, name: str) -> Track:
        return self.map.track(name)

    def tracks(self, name: str | None = None) -> list[Track]:
        if name:
            return [self.track(name)]
        names = self.map.track_names()
        if not names:
            raise MapError("no tracks yet", "import a series with `patchq import`")
        return [self.map.track(n) for n in names]

    # -- upstreams ---------------------------------------------------------------------------

    def upstream_of(self, track: str) -> str:
        """The name of the upstream ``track`` applies to (``default`` for ``[upstream]``)."""
        return self.map.track_upstream(track)

    def use_track(self, track: str) -> Workspace:
        """Select ``track``'s upstream: ``ws.git`` is its clone from now on."""
        self.selected = self.upstream_of(track)
        return self

    def use_upstream(self, name: str) -> Workspace:
        self.map.upstream_table(name)  # unknown names fail here, with the known ones listed
        self.selected = name
        return self

    def upstream_get(self, key: str, track: str | None = None) -> str:
        """A key (``github``, ``fork``, ``url``...) of ``track``'s upstream, or of the
        selected one."""
        return self.map.upstream_get(key, self.upstream_of(track) if track else self.selected)

    def upstream_path(self, name: str | None = None) -> Path:
        name = name or self.selected
        override = self.upstream_override or os.environ.get(ENV_UPSTREAM)
        if override and name == DEFAULT_UPSTREAM:
            return Path(override).expanduser().resolve()
        recorded = self.map.upstream_get("path", name)
        if not recorded:
            if name != DEFAULT_UPSTREAM:
                raise MapError(f"no clone configured for upstream {name!r}",
                               f"set [upstreams.{name}] path in upstream_map.toml")
            raise MapError("no upstream clone configured",
                           "set [upstream] path in upstream_map.toml, pass --upstream-dir, "
                           f"or set {ENV_UPSTREAM}")
        path = Path(recorded).expanduser()
        return (path if path.is_absolute() else self.root / path).resolve()

    def git_of(self, name: str) -> Git:
        """The clone of upstream ``name`` (patchq.git.Git), opened on first use."""
        if name not in self._gits:
            from .errors import PatchqError
            from .git import Git

            path = self.upstream_path(name)
            if path == self.root.resolve():
                # its queue branches would be checked out over the map and the series
                where = "[upstream] path" if name == DEFAULT_UPSTREAM else \
                    f"[upstreams.{name}] path"
                raise MapError(f"the clone of upstream {name} is the patch repo itself ({path})",
                               f"set {where} in {MAP_NAME} to a separate clone")
            try:
                self._gits[name] = Git(path)
            except PatchqError as exc:
                if name == DEFAULT_UPSTREAM:
                    raise
                raise type(exc)(f"upstream {name}: {exc.message}",
                                f"clone it there, or set [upstreams.{name}] path in "
                                f"{MAP_NAME}") from None
        return self._gits[name]

    def git_for(self, track: str) -> Git:
        """The clone of ``track``'s upstream."""
        return self.git_of(self.upstream_of(track))

    @property
    def git(self):
        """The selected upstream's clone (patchq.git.Git), opened on first use."""
        return self.git_of(self.selected)

    def clones(self) -> list[Git]:
        """Every upstream clone that opens (default first), for the lock and the journal."""
        from .errors import PatchqError

        out: list[Git] = []
        for name in self.map.upstream_names():
            try:
                git = self.git_of(name)
            except PatchqError:
                continue
            if all(g.path != git.path for g in out):
                out.append(git)
        return out

    def queue_branch(self, track: str) -> str:
        from .validate import branch_name

        table = self.map.track_table(track)
        if "queue" not in table:
            return f"patchq/{track}"
        return branch_name(str(table["queue"]), f"[tracks.{track}] queue")
