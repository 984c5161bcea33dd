"""The durable record of every finished rebase: ``.git/patchq/history/<track>/``.

When a rebase finishes (under patchq's lock, before the operation state goes), one record is
written per operation: ``<started>-<id>.json`` (what :func:`record` documents: the bases, each
patch's outcome and evidence, its old and new file with their git blob ids, its old and new
commit) and, beside it, ``<started>-<id>.range-diff``: ``git range-diff`` of the old queue and
the new one, without the pairs that stayed the same (none at all when every patch was
unchanged: rebase does not run range-diff then), and ``<started>-<id>.old/<slug>.patch``: the
old file of each ``modified`` or ``partial`` patch, whose old commit git may prune one day. ``patchq log SLUG`` reads them, so that a
patch a person resolved (``modified``) pairs with its old version long after the rebase.

The old files and the range-diff are written first and the record last, each atomically, and the name depends on
the operation only (its start time, tracks and commits): a rebase whose end is re-run after a
crash writes the very same record again. Unlike the rest of the store, these records are
history and cannot be rebuilt; they are small (a line per patch).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import store as pqstore
from .errors import PatchqError
from .files import atomic_write

SCHEMA = "patchq.rebase-record/1"
KEEP_OLD = ("modified", "partial")  # outcomes whose old file is kept beside the record
DIR = "history"
_HEADER = re.compile(r"^\s*(?:\d+|-):\s+([0-9a-f]+|-+) ([<>=!]) \s*(?:\d+|-):\s+([0-9a-f]+|-+) ")


def blob_id(data: bytes) -> str:
    """The git blob id (SHA-1) of a file's bytes, as ``git hash-object`` gives it.

    >>> blob_id(b"")
    'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def directory(git: Any, track: str) -> Path:
    return pqstore.path(git, f"{DIR}/{track}")


def _name(state: Mapping) -> str:
    started = str(state.get("started_at", "")).replace("-", "").replace(":", "")
    key = json.dumps([state["track"], state["from"]["commit"], state["to"]["commit"],
                      state.get("started_at", "")]).encode()
    return f"{started or 'unknown'}-{hashlib.sha256(key).hexdigest()[:12]}"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)


def _files(series_dir: Path) -> dict[str, tuple[str, str]]:
    """slug -> (file name, blob id) of a series directory as it is now."""
    from .seriesdir import SERIES, parse_series

    try:
        text = (series_dir / SERIES).read_text(encoding="utf-8", errors="surrogateescape")
        entries = parse_series(text).entries
    except (OSError, PatchqError):
        return {}
    out = {}
    for entry in entries:
        try:
            out[entry.slug] = (entry.name, blob_id((series_dir / entry.name).read_bytes()))
        except OSError:
            continue
    return out


def record(git: Any, state: Mapping, results: Sequence[Any], old_files: Mapping[str, bytes],
           old_names: Mapping[str, str], series_dir: Path, range_diff: str,
           finished_at: str) -> Path:
    """Write the record of a finished rebase (``results``: its PatchResults; ``old_files``
    and ``old_names``: slug -> the file's bytes and name before the rebase; ``range_diff``:
    the changed pairs, "" when range-diff did not run). Returns the record's path; OSError
    when it cannot be written."""
    target = directory(git, state["track"])
    target.mkdir(parents=True, exist_ok=True)
    name = _name(state)
    new_files = _files(series_dir)
    patches = []
    for result in results:
        item = dict(result.as_json())
        slug = item["slug"]
        if slug in old_files:
            item["old_file"] = old_names.get(slug, "")
            item["old_blob"] = blob_id(old_files[slug])
        if slug in new_files:
            item["new_file"], item["new_blob"] = new_files[slug]
        if item["outcome"] in KEEP_OLD and slug in old_files and \
                item.get("old_blob") != item.get("new_blob"):
            kept = f"{name}.old/{slug}.patch"
            _write(target / kept, old_files[slug])
            item["old_kept"] = kept
        patches.append(item)
    diff = None
    if range_diff:
        data = range_diff.encode("utf-8", "surrogateescape")
        atomic_write(target / f"{name}.range-diff", data)
        diff = {"file": f"{name}.range-diff", "sha256": hashlib.sha256(data).hexdigest()}
    counts: dict[str, int] = {}
    for item in patches:
        counts[item["outcome"]] = counts.get(item["outcome"], 0) + 1
    doc = {"schema": SCHEMA, "id": name, "track": state["track"],
           "started_at": state.get("started_at", ""), "finished_at": finished_at,
           "from": dict(state["from"]), "to": dict(state["to"]), "tip": state.get("tip", ""),
           "branch": state.get("branch", ""), "counts": counts, "patches": patches,
           "range_diff": diff}
    path = target / f"{name}.json"
    atomic_write(path, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())
    return path


def keep(ws: Any, git: Any, state: Mapping, results: Sequence[Any], loaded: Any,
         range_diff: str) -> Path | None:
    """The rebase's end calls this once: :func:`record`, with the series as it was before
    (``loaded``). A record that cannot be written is said on stderr and does not fail the
    rebase, whose work is done by then."""
    from .clock import stamp

    old = {p.slug: p.file.raw for p in loaded.patches}
    names = {p.slug: p.entry.name for p in loaded.patches}
    from .rebasing import crash_point

    try:
        path = record(git, state, results, old, names, ws.series_dir(state["track"]),
                      range_diff, stamp())
        crash_point("history recorded")
        return path
    except OSError as exc:
        from .ui import echo

        echo(f"patchq: the rebase is done, but its record for `patchq log` could not be "
             f"written in {directory(git, state['track'])}: {exc.strerror or exc}", err=True)
        return None


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One finished rebase as its record says."""

    path: Path
    doc: dict = field(compare=False)

    @property
    def track(self) -> str:
        return str(self.doc.get("track", ""))

    @property
    def finished_at(self) -> str:
        return str(self.doc.get("finished_at", ""))

    def patch(self, slug: str) -> dict | None:
        return next((p for p in self.doc.get("patches", ()) if p.get("slug") == slug), None)

    def range_diff(self) -> str:
        """The kept range-diff text ("" when there is none or it is gone)."""
        info = self.doc.get("range_diff") or {}
        if not info.get("file"):
            return ""
        try:
            return (self.path.parent / Path(info["file"]).name).read_text(
                encoding="utf-8", errors="replace")
        except OSError:
            return ""


def records(git: Any, tracks: Iterable[str]) -> tuple[list[Record], list[str]]:
    """Every readable record of ``tracks``, oldest first, and a line for each unreadable one
    (skipped, never silently)."""
    out, problems = [], []
    for track in tracks:
        where = directory(git, track)
        if not where.is_dir():
            continue
        for path in sorted(where.glob("*.json")):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                problems.append(f"{path}: unreadable ({exc})")
                continue
            if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
                problems.append(f"{path}: not a {SCHEMA} record")
                continue
            if not _well_formed(doc):
                problems.append(f"{path}: a {SCHEMA} record of the wrong shape (edited by "
                                "hand?); skipped")
                continue
            out.append(Record(path, doc))
    out.sort(key=lambda r: (r.finished_at, _mtime(r.path), r.path.name))
    return out, problems


def _well_formed(doc: dict) -> bool:
    """The parts readers index: ``from``/``to`` tables, ``patches`` a list of tables with a
    string slug, ``range_diff`` a table or nothing."""
    patches = doc.get("patches", [])
    return (all(isinstance(doc.get(k), dict) for k in ("from", "to"))
            and isinstance(patches, list)
            and all(isinstance(p, dict) and isinstance(p.get("slug"), str) for p in patches)
            and isinstance(doc.get("range_diff") or {}, dict)
            and all(isinstance(p.get(k) or "", str) for p in patches
                    for k in ("old_kept", "old_file", "new_file", "old_blob", "new_blob",
                              "old_commit", "new_commit", "detail", "outcome"))
            and all(isinstance(p.get("evidence") or [], list) for p in patches))


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns  # orders records finished in the same second
    except OSError:
        return 0


def excerpt(text: str, old_commit: str | None, new_commit: str | None) -> str:
    """The part of a range-diff about one patch: its pair line (matched by the abbreviated
    old or new commit) and the diff of diffs under it ("" when it is not there).

    >>> rd = ("1:  aaaa111 ! 1:  bbbb222 One\\n    @@ x\\n    -a\\n"
    ...       "2:  cccc333 < -:  ------- Two\\n")
    >>> excerpt(rd, "aaaa111ffff", "bbbb222eeee").splitlines()
    ['1:  aaaa111 ! 1:  bbbb222 One', '    @@ x', '    -a']
    >>> excerpt(rd, "cccc333dddd", None)
    '2:  cccc333 < -:  ------- Two\\n'
    """
    out: list[str] = []
    keep = False
    for line in text.splitlines():
        match = _HEADER.match(line)
        if match:
            old, new = match.group(1), match.group(3)
            keep = bool((old_commit and not old.startswith("-") and old_commit.startswith(old))
                        or (new_commit and not new.startswith("-")
                            and new_commit.startswith(new)))
        if keep:
            out.append(line)
    return "\n".join(out) + ("\n" if out else "")
