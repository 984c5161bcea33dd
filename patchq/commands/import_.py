"""`patchq import`: put an existing series under patchq.

Sources: a directory of ``git format-patch`` files (Pyodide), a quilt directory with a
``series`` file (Debian), an mbox file, or a revision range ``A..B`` of the upstream clone.
Files are copied byte for byte wherever the source has files, so a later export changes
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import headers, patchfile, validate
from .. import store as pqstore
from ..clock import today
from ..errors import MapError, SeriesError
from ..files import FileSet
from ..model import SeriesEntry, Track, slug_of, slugify_subject, valid_slug
from ..queue import Progress, load_series
from ..queuecache import build_cached
from ..queueexport import commit_description
from ..seriesdir import SERIES, check_relative, discover_format_patch_files, read_series
from ..workspace import Workspace

_MBOX_SEPARATOR = patchfile.MBOX_ENVELOPE
_REPLY = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)  # a reply in a mail thread
# the reason import gives a patch whose header says Forwarded: not-needed
SEEDED_REASON = "Forwarded: not-needed (from the patch header)"
_VERSION_TAG = re.compile(r"^v?(\d+\.\d+)\.\d+")
_COVER = re.compile(r"\[[^\]]*\b0+/\d+\s*\]")


@dataclass
class ImportResult:
    track: str
    kind: str
    base: str
    base_commit: str
    slugs: list[str] = field(default_factory=list)
    not_applying: list[tuple[str, str]] = field(default_factory=list)  # (slug, details)
    fuzzy: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # GNU patch's way
    files: list[Path] = field(default_factory=list)
    seeded: dict[str, int] = field(default_factory=dict)  # map fields seeded from headers
    skipped: dict[str, int] = field(default_factory=dict)  # mbox messages left out, by kind

    def skipped_text(self) -> str:
        """One line: the messages of an mbox that were not patches ("" when none)."""
        parts = [f"{n} {kind if n == 1 else _plural(kind)}" for kind, n in self.skipped.items()
                 if n]
        return f"skipped {' and '.join(parts)} of the mbox" if parts else ""

    def seeded_text(self) -> str:
        """One line: what the headers gave the map ("" when nothing)."""
        names = (("downstream-only", "downstream-only (Forwarded: not-needed)"),
                 ("issue", "issues"), ("pr", "PRs"), ("origin_commit", "upstream commits"),
                 ("news", "NEWS entries"), ("forwarded", "Forwarded fields"))
        parts = [f"{self.seeded[k]} {label}" for k, label in names if self.seeded.get(k)]
        return "recorded from the headers: " + ", ".join(parts) if parts else ""


@dataclass(frozen=True)
class _Source:
    kind: str  # quilt, format-patch, mbox, range
    files: dict[str, bytes]  # name -> bytes, in series order
    series_text: str | None  # the source's own series file, kept verbatim
    skipped: tuple[tuple[str, int], ...] = ()  # (kind, how many) messages left out


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError:
        raise SeriesError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise SeriesError(f"cannot read {path}: {exc.strerror}") from None


def _rename_by_subject(files: dict[str, bytes]) -> dict[str, bytes]:
    out = {}
    for number, (name, data) in enumerate(files.items(), 1):
        subject = patchfile.parse(data, slug_of(name)).description.subject
        out[f"{number:04d}-{slugify_subject(subject)}.patch"] = data
    return out


def _quilt_source(directory: Path) -> _Source:
    series = read_series(directory)
    if not series.entries:
        raise SeriesError(f"{directory / SERIES} lists no patches", "is it the right directory?")
    files = {}
    for entry in series.entries:
        path = validate.contained(directory / check_relative(entry.name), directory, "patch")
        files[entry.name] = _read(path) if path.is_file() else _missing(directory, entry.name)
    for name in series.disabled:  # Debian keeps commented-out patches beside the series
        candidate = directory / name
        if candidate.is_file() and name not in files:
            validate.contained(candidate, directory, "patch")
            try:
                files[check_relative(name)] = _read(candidate)
            except SeriesError:
                continue
    text = _read(directory / SERIES).decode("utf-8", "surrogateescape")
    return _Source("quilt", files, text)


def _missing(directory: Path, name: str) -> bytes:
    raise SeriesError(f"the series in {directory} names {name}, which does not exist",
                      "fix the series file or restore the patch")


def _format_patch_source(directory: Path) -> _Source:
    names = discover_format_patch_files(directory)
    if not names:
        raise SeriesError(f"{directory} has no series file and no *.patch or *.diff files",
                          "point import at a patch directory, an mbox file or a range A..B")
    files = {}
    for name in names:
        data = _read(validate.contained(directory / name, directory, "patch"))
        if not is_cover_letter(patchfile.parse(data, slug_of(name))):
            files[name] = data
    return _Source("format-patch", files, None)


def _plural(kind: str) -> str:
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox, each from its ``From `` line.

    >>> len(split_mbox(b"From abc Mon Sep 17 00:00:00 2001\\nA\\nFrom def Mon Sep 17 00:00:00 2001\\nB\\n"))
    2
    """
    starts = [m.start() for m in _MBOX_SEPARATOR.finditer(data)]
    if not starts or starts[0] != 0:
        starts = [0] + starts
    return [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)]) if data[a:b].strip()]


def is_cover_letter(parsed: patchfile.PatchFile) -> bool:
    """``[PATCH 0/N]`` mails (``git format-patch --cover-letter``, mailing lists) carry no diff.

    >>> is_cover_letter(patchfile.parse(b"From: a@b\\nSubject: [PATCH v2 00/12] Intro\\n\\nHi\\n"))
    True
    """
    subject = parsed.field("Subject") or ""
    return parsed.is_empty and bool(_COVER.search(subject))


def _mbox_source(path: Path) -> _Source:
    data = _read(path)
    if not data.startswith(b"From "):  # one patch file, not an mbox: keep its name
        return _Source("file", {check_relative(path.name): data}, None)
    messages = split_mbox(data)
    files: dict[str, bytes] = {}
    covers = empty = replies = 0
    for number, message in enumerate(messages, 1):
        parsed = patchfile.parse(message, f"patch-{number}")
        if is_cover_letter(parsed):
            covers += 1
            continue
        if parsed.is_empty and _REPLY.match(parsed.field("Subject") or ""):
            replies += 1  # review in the thread, no diff: not a patch to carry
            continue
        if is_empty_message(parsed):
            empty += 1
            continue
        subject = parsed.description.subject
        files[f"{len(files) + 1:04d}-{slugify_subject(subject)}.patch"] = message
    return _Source("mbox", files, None,
                   (("cover letter", covers), ("empty message", empty),
                    ("reply", replies)))


def is_empty_message(parsed: patchfile.PatchFile) -> bool:
    """A message of an mbox with neither a diff nor a description body (a mail client's
    blank message, an empty commit's mail): nothing to carry, so import leaves it out.

    >>> is_empty_message(patchfile.parse(b"From: a@b\\nSubject: [PATCH 2/3] x\\n\\n"))
    True
    >>> is_empty_message(patchfile.parse(b"From: a@b\\nSubject: x\\n\\nWhy it matters.\\n"))
    False
    """
    return parsed.is_empty and not parsed.description.body.strip()


def _range_source(ws: Workspace, spec: str) -> _Source:
    if "..." in spec:
        raise SeriesError(f"{spec} is a symmetric range", "give A..B: the commits of B after A")
    start, _, end = spec.partition("..")
    git = ws.git
    a = git.resolve(start or "HEAD", "range start")
    b = git.resolve(end or "HEAD", "range end")
    commits = git.queue_commits(a, b)
    if not commits:
        raise SeriesError(f"range {spec} holds no commits", "check the order of A..B")
    diffs = git.commit_diffs([c.sha for c in commits])
    files = {}
    for number, commit in enumerate(commits, 1):
        slug = commit.slug if valid_slug(commit.slug) else \
            slugify_subject(commit.message.partition("\n")[0])
        data = patchfile.render(commit_description(commit), diffs.get(commit.sha, b""))
        files[f"{number:04d}-{slug}.patch"] = data
    return _Source("range", files, None)


def _open_source(ws: Workspace, source: str) -> _Source:
    path = Path(source).expanduser()
    try:
        if path.is_dir():
            if (path / SERIES).is_file():
                return _quilt_source(path)
            return _format_patch_source(path)
        if path.is_file():
            return _mbox_source(path)
    except OSError as exc:
        raise SeriesError(f"cannot read {source}: {exc.strerror or exc}",
                          "check the path and its permissions") from None
    if ".." in source and not path.exists() and not source.startswith(("/", ".", "~")):
        return _range_source(ws, source)
    raise SeriesError(f"{source} does not exist",
                      "give a patch directory, an mbox file, or a revision range A..B")


def _follows(git, base: str, track: str) -> str:
    match = _VERSION_TAG.match(base)
    if match:
        return match.group(1)
    if git.rev_parse(f"refs/heads/{base}"):
        return base
    return track


def _record_from_headers(ws: Workspace, slug: str, parsed: patchfile.PatchFile,
                         track: str, seeded: dict[str, int]) -> None:
    """Seed a patch's map record from what its whole header says (patchq.headers): issue,
    PR, the upstream commit it was taken from, its own NEWS entry, DEP-3 Forwarded, and
    ``downstream-only`` for ``Forwarded: not-needed``. People own these fields: a value
    already in the map is never replaced."""
    table = ws.map.ensure_patch(slug)
    per_track = ws.map.patch_track(slug, track)
    per_track["carried"] = True
    per_track["since"] = today()
    read = headers.parse(parsed)
    github = ws.upstream_get("github")

    def seed(key: str, value: str) -> None:
        if value and not table.get(key):
            table[key] = value
            seeded[key] = seeded.get(key, 0) + 1

    if read.forwarding is headers.Forwarding.NOT_NEEDED and \
            table.get("disposition", "undecided") == "undecided":
        table["disposition"] = "downstream-only"
        if not table.get("reason"):
            table["reason"] = SEEDED_REASON
        seeded["downstream-only"] = seeded.get("downstream-only", 0) + 1
    repo = github or _only_repo(read)
    issue, pull = read.issue(github), read.pull(github)
    if repo and issue:
        seed("issue", f"{repo}#{issue}")
    if repo and pull:
        seed("pr", f"{repo}#{pull}")
    seed("origin_commit", read.origin_commit(github))
    news = [e for e in read.news if e.issue == issue] or list(read.news)
    seed("news", news[0].path if news else "")
    seed("forwarded", read.forwarded)


def _only_repo(read: headers.Headers) -> str:
    """Without [upstream] github: the one repository the header's links name, if one."""
    repos = {r.repo for r in read.refs if r.repo}
    return repos.pop() if len(repos) == 1 else ""


def import_series(ws: Workspace, source: str, track: str, base: str,
                  name_from: str | None = None, follows: str | None = None,
                  progress: Progress | None = None, upstream: str | None = None
                  ) -> ImportResult:
    """Import ``source`` as ``track`` on ``base`` (of ``upstream``, a name from the map; the
    default upstream when None). Writes nothing when anything is wrong.
    Holds patchq's lock throughout (:func:`patchq.store.writing`)."""
    if upstream:
        ws.use_upstream(upstream)
    with pqstore.writing(ws):
        return _import_series(ws, source, track, base, name_from, follows, progress)


def _import_series(ws: Workspace, source: str, track: str, base: str, name_from: str | None,
                   follows: str | None, progress: Progress | None) -> ImportResult:
    target = ws.series_dir(track)
    if track in ws.map.track_names():
        raise MapError(f"track {track!r} already exists in {ws.map_path.name}",
                       "pick another track name, or remove the track first")
    if (target / SERIES).exists() or (target.exists() and any(target.iterdir())):
        raise SeriesError(f"{target} already holds files", "pick another track name")
    git = ws.git
    base_commit = git.resolve(base, "base")
    if follows:
        validate.branch_name(follows, "--follows")
    src = _open_source(ws, source)
    files = dict(src.files)
    if not files:
        raise SeriesError(f"{source} holds no patches (only a cover letter or empty "
                          "messages?)",
                          "point import at the patches themselves")
    series_text = src.series_text
    if name_from == "subject" and src.kind in ("quilt", "format-patch", "file"):
        if src.kind == "quilt":
            listed = [e.name for e in read_series(Path(source)).entries]
            files = _rename_by_subject({n: files[n] for n in listed})
        else:
            files = _rename_by_subject(files)
        series_text = None
    parsed: dict[str, patchfile.PatchFile] = {}
    slugs: dict[str, str] = {}
    strips = {e.name: e.strip for e in read_series(Path(source).expanduser()).entries} \
        if src.kind == "quilt" and series_text is not None else {}
    for name, data in files.items():
        parsed[name] = patchfile.parse(data, slug_of(name))
        if parsed[name].is_empty and src.kind != "quilt" and \
                parsed[name].style != patchfile.MAIL:
            what = "is an empty file" if not data.strip() else \
                "is not a patch: no diff and no mail header found"
            raise SeriesError(f"{name} {what}", "remove it from the source or fix it")
        for problem in validate.patch_problems(data, parsed[name].diff, strips.get(name, 1)):
            raise SeriesError(f"{name}: {problem}", "remove it from the source or fix it")
        slug = slug_of(name)
        if not valid_slug(slug):
            raise SeriesError(f"{name}: {slug!r} is not usable as a patch name",
                              "rename the file (letters, digits, . _ + - only)")
        if slug in slugs:
            raise SeriesError(f"{name} and {slugs[slug]} share the slug {slug!r}",
                              "rename one of them")
        slugs[slug] = name
    if series_text is None:
        series_text = "".join(SeriesEntry(n).line() + "\n" for n in files)
    fileset = FileSet()
    fileset.write(target / SERIES, series_text.encode("utf-8", "surrogateescape"))
    for name, data in files.items():
        fileset.write(target / name, data)

    # stage the files to check that they apply, without keeping anything if they do not
    result = ImportResult(track=track, kind=src.kind, base=base, base_commit=base_commit,
                          skipped=dict(src.skipped))
    written = fileset.apply()
    try:
        loaded = load_series(target, track)
        built = build_cached(git, base_commit, loaded.patches, keep_going=True,
                             progress=progress)
        result.not_applying = [(e.slug, e.details) for e in built.failed]
        result.fuzzy = [(a.slug, a.notes) for a in built.applied if a.how == "fuzzy"]
        result.slugs = [p.slug for p in loaded.patches]
        ws.map.set_track(Track(name=track, follows=follows or _follows(git, base, track),
                               base=base, base_commit=base_commit), upstream=ws.selected)
        for patch in loaded.patches:
            _record_from_headers(ws, patch.slug, patch.file, track, result.seeded)
        ws.map.save()
    except BaseException:
        _undo(target, written)
        raise
    result.files = written
    return result


def _undo(target: Path, written: list[Path]) -> None:
    for path in written:
        path.unlink(missing_ok=True)
    for directory in sorted((p for p in target.rglob("*") if p.is_dir()), reverse=True):
        try:
            directory.rmdir()
        except OSError:
            pass
    try:
        target.rmdir()
    except OSError:
        pass


def render(result: ImportResult) -> Iterator[str]:
    """What `patchq import` prints."""
    from ..ui import fuzzy_lines

    track, base = result.track, result.base
    yield (f"imported {len(result.slugs)} patches ({result.kind}) as track {track} on "
           f"{base} ({result.base_commit[:12]}) into series/{track}/")
    if result.skipped_text():
        yield result.skipped_text()
    if result.not_applying:
        yield f"{len(result.not_applying)} do not apply on {base}:"
        for slug, details in result.not_applying:
            yield f"  {slug}: {details}"
        yield (f"next: `patchq checkout {track} --partial` builds the "
               f"{len(result.slugs) - len(result.not_applying)} that apply and sets these "
               f"aside; `patchq push PATCH` then applies each for you to resolve")
    else:
        yield f"all {len(result.slugs)} apply on {base}"
    yield from fuzzy_lines(result.fuzzy, track)
    if result.seeded_text():
        yield result.seeded_text()
