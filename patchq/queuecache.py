"""Builds remembered: the same series on the same base is the same commits, so a complete
build is kept in the clone's git dir and reused while its objects are there; and the manifest,
which commit each patch file produced."""

from __future__ import annotations

import json
from collections.abc import Sequence

from . import store as pqstore
from .files import atomic_write
from .git import Git
from .queue import Applied, BuildResult, LoadedPatch, LoadedSeries, Progress, build

# -- builds remembered: the same series on the same base is the same commits -----------------

_BUILDS_KEPT = 16


def _build_key(git: Git, base: str, patches: Sequence[LoadedPatch]) -> str:
    """What a build's result depends on: patchq and git, the base, every file and its -pN."""
    import hashlib

    from . import __version__

    digest = hashlib.sha256(f"{__version__}\n{git.git_version()}\n{base}\n".encode())
    for patch in patches:
        digest.update(f"{patch.entry.name}\0{patch.entry.strip}\0{patch.digest}\n".encode())
    return digest.hexdigest()


def build_cached(git: Git, base: str, patches: Sequence[LoadedPatch], *,
                 keep_going: bool = False, progress: Progress | None = None) -> BuildResult:
    """:func:`build`, remembering a complete build in the clone's git dir so that the next
    one of the same series on the same base (``checkout`` right after ``import``, or going
    back to a track) reuses its commits instead of applying every patch again. The commits
    are those :func:`build` would write: the result is the same, only sooner. A build is
    reused only while every object it made is still in the clone."""
    path = git.git_path(pqstore.BUILDS)
    key = _build_key(git, base, patches)
    builds = _read_builds(path)
    known = remembered_build(git, base, patches, builds)
    if known is not None:
        if progress:
            progress(len(patches), len(patches), "(built before)")
        return known
    result = build(git, base, patches, keep_going=keep_going, progress=progress)
    if not result.failed and result.applied:
        builds.pop(key, None)
        builds[key] = {"applied": [[a.slug, a.commit, a.how, list(a.notes)]
                                   for a in result.applied]}
        for old in list(builds)[:-_BUILDS_KEPT]:
            del builds[old]
        try:
            atomic_write(path, json.dumps(builds, indent=1).encode())
        except OSError:
            pass  # a cache: failing to keep it costs time, never correctness
    return result


def _read_builds(path) -> dict:
    try:
        builds = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return builds if isinstance(builds, dict) else {}


def remembered_build(git: Git, base: str, patches: Sequence[LoadedPatch],
                     builds: dict | None = None) -> BuildResult | None:
    """The complete build of this series on this base remembered from an earlier command
    (import, checkout, lint...), while its objects are still in the clone; else None."""
    if builds is None:
        builds = _read_builds(git.git_path(pqstore.BUILDS))
    known = builds.get(_build_key(git, base, patches))
    if not (isinstance(known, dict) and known.get("applied")
            and _objects_present(git, base, known)):
        return None
    return BuildResult(base=base, applied=[Applied(item[0], item[1], item[2],
                                                   tuple(item[3]) if len(item) > 3 else ())
                                           for item in known["applied"]])


def _objects_present(git: Git, base: str, known: dict) -> bool:
    """Are the remembered commits, and every tree and blob they need, still in the clone?"""
    tip = known["applied"][-1][1]
    return git.objects_complete(tip, base)


# -- the manifest: which commit each patch file produced --------------------------------------


class Manifest:
    """Kept in the upstream clone's git dir: commit id -> digest of the patch file it came from.

    It lets export see at a glance that a commit is exactly what a file produced, without
    applying the file again. It is a cache: losing it costs time, never correctness.
    """

    def __init__(self, git: Git, track: str) -> None:
        self.path = pqstore.manifest_path(git, track)
        try:
            self.data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.data = {}
        self.data.setdefault("commits", {})

    def digest_for(self, commit: str) -> str | None:
        return self.data["commits"].get(commit)

    def record(self, commit: str, digest: str) -> None:
        self.data["commits"][commit] = digest

    def set_tip(self, branch: str, tip: str) -> None:
        self.data["branch"], self.data["tip"] = branch, tip

    @property
    def tip(self) -> str | None:
        return self.data.get("tip")

    def save(self, keep: Sequence[str] = ()) -> None:
        if keep:
            wanted = set(keep)
            self.data["commits"] = {c: d for c, d in self.data["commits"].items() if c in wanted}
        atomic_write(self.path, json.dumps(self.data, indent=1, sort_keys=True).encode())


def record_build(git: Git, track: str, branch: str, loaded: LoadedSeries,
                 result: BuildResult) -> None:
    manifest = Manifest(git, track)
    digests = {p.slug: p.digest for p in loaded.patches}
    for item in result.applied:
        manifest.record(item.commit, digests[item.slug])
    manifest.set_tip(branch, result.tip)
    manifest.save(keep=[a.commit for a in result.applied])


# -- export -------------------------------------------------------------------------------
