"""`patchq upstream add` and `patchq upstream list`: the upstreams one patch repo carries
patches against (``[upstream]``, the default, and ``[upstreams.NAME]``; docs/upstream_map.md).

Pyodide carries patches against CPython, emsdk and many packages; one patch repo keeps them
all, one track per series, each track naming its upstream. Every upstream has its own clone,
with its own queue branches and its own store (``.git/patchq/``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import MapError, PatchqError
from ..upstream_map import DEFAULT_UPSTREAM, valid_upstream_name
from ..workspace import Workspace
from .init import _github_from_url, _remote_url, check_repo_name, usable_clone


@dataclass(frozen=True)
class UpstreamInfo:
    name: str
    path: str          # as recorded in the map
    clone: str         # where it is now ("" when it cannot be resolved)
    url: str
    github: str
    fork: str
    tracks: tuple[str, ...]
    default: bool

    def as_json(self) -> dict:
        return {"name": self.name, "default": self.default, "path": self.path,
                "clone": self.clone, "url": self.url, "github": self.github, "fork": self.fork,
                "tracks": list(self.tracks)}


def add(ws: Workspace, name: str, directory: str, github: str = "", fork: str = ""
        ) -> UpstreamInfo:
    """Record the clone at ``directory`` as upstream ``name`` (under patchq's lock; the map's
    comments and order are kept, only the new table is added)."""
    from .. import store as pqstore

    if not valid_upstream_name(name):
        raise MapError(f"upstream name {name!r} is not usable",
                       "use letters, digits and . _ - (emsdk, libffi), not 'default'")
    check_repo_name(github, "--github")
    check_repo_name(fork, "--fork")
    clone = Path(directory).expanduser().resolve()
    git = usable_clone(clone, ws.root, directory, name)
    try:
        recorded = os.path.relpath(clone, ws.root)
    except ValueError:  # another drive
        recorded = str(clone)
    url = _remote_url(git)
    github = github or _github_from_url(url)
    with pqstore.writing(ws):
        umap = ws.map
        umap.add_upstream(name, {"path": recorded, "url": url, "github": github, "fork": fork})
        umap.save()
    return _info(ws, name)


def _info(ws: Workspace, name: str) -> UpstreamInfo:

    umap = ws.map
    try:
        clone = str(ws.upstream_path(name))
    except PatchqError:
        clone = ""
    tracks = tuple(t for t in umap.track_names() if umap.track_upstream(t) == name)
    return UpstreamInfo(name=name, path=umap.upstream_get("path", name), clone=clone,
                        url=umap.upstream_get("url", name),
                        github=umap.upstream_get("github", name),
                        fork=umap.upstream_get("fork", name), tracks=tracks,
                        default=name == DEFAULT_UPSTREAM)


def list_upstreams(ws: Workspace) -> list[UpstreamInfo]:
    ws.read_only()
    return [_info(ws, name) for name in ws.map.upstream_names()]


# -- rendering ---------------------------------------------------------------------------------


def render_added(info: UpstreamInfo) -> list[str]:
    return [f"added upstream {info.name} (clone: {info.path}"
            + (f", GitHub: {info.github}" if info.github else "") + ")",
            f"next: patchq import SOURCE --track T --base REF --upstream {info.name}"]


def render_list(infos: list[UpstreamInfo]) -> list[str]:
    """One line per upstream: name, clone, GitHub repository, tracks."""
    width = max(len(i.name) for i in infos)
    lines = []
    for info in infos:
        tracks = ", ".join(info.tracks) or "none yet"
        where = info.path or "(no clone configured)"
        lines.append(f"{info.name.ljust(width)}  {where}  {info.github or '-'}  tracks: {tracks}")
    return lines

