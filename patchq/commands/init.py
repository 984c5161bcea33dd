"""`patchq init`: make the current directory a patch repo."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import MapError, PatchqError
from ..git import Git
from ..upstream_map import MAP_NAME, UpstreamMap
from ..workspace import SERIES_DIR

_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class InitResult:
    root: Path
    map_path: Path
    upstream: str
    url: str


def check_repo_name(value: str, option: str) -> str:
    if value and not _REPO.match(value):
        raise MapError(f"{option} {value!r} is not OWNER/REPO", "for example python/cpython")
    return value


def _remote_url(git: Git) -> str:
    return git.remote_url("origin") or ""


def _github_from_url(url: str) -> str:
    match = re.search(r"github\.com[:/]([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(\.git)?/?$", url)
    return match.group(1) if match else ""


def init(root: Path, upstream: str, github: str = "", fork: str = "") -> InitResult:
    """Create upstream_map.toml and series/ in ``root`` for the clone at ``upstream``."""
    check_repo_name(github, "--github")
    check_repo_name(fork, "--fork")
    root = root.resolve()
    map_path = root / MAP_NAME
    if map_path.exists():
        raise MapError(f"{map_path} already exists", "patchq init never overwrites a map")
    clone = Path(upstream).expanduser().resolve()
    git = usable_clone(clone, root, upstream, "upstream")
    try:
        recorded = os.path.relpath(clone, root)
    except ValueError:  # another drive
        recorded = str(clone)
    url = _remote_url(git)
    github = github or _github_from_url(url)
    umap = UpstreamMap.new(map_path, {"path": recorded, "url": url, "github": github,
                                      "fork": fork})
    (root / SERIES_DIR).mkdir(exist_ok=True)
    try:
        umap.save(new=True)  # of two inits at once, one writes the map; the other says so
    except FileExistsError:
        raise MapError(f"{map_path} already exists", "patchq init never overwrites a map") \
            from None
    return InitResult(root=root, map_path=map_path, upstream=recorded, url=url)


def usable_clone(clone: Path, patch_repo: Path, directory: str, name: str) -> Git:
    """The clone at ``clone`` opened, or a MapError: not a git clone, a bare repository, or
    the patch repo itself (or a directory holding it)."""
    root = patch_repo.resolve()
    if clone == root or clone in root.parents:
        # the queue branches are checked out in the clone: the patch repo's own files
        # (upstream_map.toml, series/) would be switched away under it
        raise MapError(f"{directory} is the patch repo or holds it ({root})",
                       f"give the directory of a separate clone of {name}")
    try:
        git = Git(clone)  # refuses what is not a git repository
    except PatchqError as exc:
        raise MapError(f"{directory} is not a git clone ({exc.message})",
                       f"give the directory of your clone of {name}") from None
    if git.git_dir.resolve() == clone:
        raise MapError(f"{directory} is a bare repository, and patchq checks the queue "
                       "branches out in its clone's work tree",
                       f"give a clone of {name} with a work tree (git clone {directory} DIR)")
    return git
