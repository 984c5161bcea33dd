"""`patchq draft`: an upstream issue and pull request for a patch, in CPython's conventions.

Offline (the default), for one patch:

1. the patch is taken as its track applies it (alone on the base, or after the patches
   before it when it needs them) and ported onto upstream's target branch with a 3-way merge,
   in a scratch index: the user's work tree, index and current branch are never touched;
2. ``drafts/<slug>/issue.md``, ``pr.md`` and ``news.rst`` are written in the patch repo
   (a file the user edited is kept; ``--regenerate`` overwrites it);
3. the branch ``patchq/draft/<slug>`` in the upstream clone points at one commit on the target:
   the ported change, and once the issue number is known, the NEWS entry, with the title
   ``gh-<issue>: <summary>``.

Nothing is made when the port conflicts. Online (``--open``, ``--push``) is in
:mod:`patchq.commands.draft_online`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import conventions as cv
from ..clock import now
from ..errors import ApplyError, GitError, MapError, PatchqError, StateError
from ..files import FileSet
from ..git import Git, Identity
from ..model import valid_slug, valid_track
from ..queue import LoadedPatch, LoadedSeries, base_commit, build, load_series
from ..workspace import Workspace

BRANCH_PREFIX = "patchq/draft/"
DRAFTS_DIR = "drafts"
META = ".patchq.json"
ISSUE_MD, PR_MD, NEWS_RST = "issue.md", "pr.md", "news.rst"

Progress = Callable[[int, int, str], None]


class AlreadyUpstream(PatchqError):
    """The patch's change is already in the target branch: nothing to draft."""


@dataclass
class DraftResult:
    """What `patchq draft` did for one patch."""

    slug: str
    track: str
    target: str
    target_ref: str
    target_commit: str
    branch: str
    commit: str
    branch_state: str  # created, updated, unchanged
    how: str  # clean, 3way
    section: str
    issue: int | None
    news_file: str
    directory: Path
    texts: dict[str, str]  # file name -> text, as written
    written: list[str] = field(default_factory=list)  # draft files that changed
    kept: list[str] = field(default_factory=list)  # files the user edited, kept
    # online
    github: str = ""
    issue_url: str = ""
    issue_created: bool = False
    pr: int | None = None
    pr_url: str = ""
    pr_state: str = ""  # created, updated, unchanged, found
    pushed: str = ""  # pushed, up-to-date, ""
    fork: str = ""
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        data = asdict(self)
        data["directory"] = str(self.directory)
        return data


# -- finding the patch ----------------------------------------------------------------------


def check_slug(slug: str) -> str:
    if not valid_slug(slug):
        raise PatchqError(f"{slug!r} is not a patch slug",
                          "slugs are letters, digits and . _ + - @; see `patchq list`")
    return slug


def _track_order(name: str) -> tuple:
    """Newest first: main, then versions from high to low, then other names."""
    if name == "main":
        return (0,)
    if re.fullmatch(r"\d+(\.\d+)*", name):
        return (1, tuple(-int(p) for p in name.split(".")))
    return (2, name)


@dataclass
class Cache:
    """What `draft --all` reads once for many patches: each track's series and, for patches
    that need the ones before them, the track's series built on its base."""

    series: dict[str, LoadedSeries] = field(default_factory=dict)
    builds: dict[str, object] = field(default_factory=dict)
    targets: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Located:
    track: str
    series: LoadedSeries
    patch: LoadedPatch
    others: tuple[str, ...]  # other tracks carrying the same slug


def locate(ws: Workspace, slug: str, track: str | None, target: str,
           cache: Cache | None = None) -> Located:
    """The patch in its track's series. Without ``--track``: the track named like the target,
    else the newest track that carries it."""
    names = [track] if track else ws.map.track_names()
    if track:
        ws.track(track)
    found: dict[str, LoadedSeries] = {}
    for name in names:
        loaded = cache.series.get(name) if cache is not None else None
        if loaded is None:
            directory = ws.series_dir(name)
            if not directory.is_dir():
                continue
            loaded = load_series(directory, name)
            if cache is not None:
                cache.series[name] = loaded
        if slug in loaded.by_slug():
            found[name] = loaded
    if not found:
        where = f"track {track}" if track else "any track"
        raise PatchqError(f"no patch {slug!r} in {where}", "see `patchq list` for the slugs")
    chosen = target if target in found else min(found, key=_track_order)
    loaded = found[chosen]
    return Located(track=chosen, series=loaded, patch=loaded.by_slug()[slug],
                   others=tuple(sorted((n for n in found if n != chosen), key=_track_order)))


def resolve_target(ws: Workspace, git: Git, target: str) -> tuple[str, str]:
    """(ref, commit) of upstream's target branch: the remote-tracking branch of the remote
    whose URL is [upstream] url when there is one, else the local branch, else origin's."""
    if not valid_track(target):
        raise PatchqError(f"{target!r} is not a branch name", "use --target main or 3.12")
    url = ws.map.upstream_get("url")
    refs = []
    if url:
        for remote in git.out("remote").split():
            res = git.run("remote", "get-url", "--", remote, ok=(0, 2, 128))
            if res.status == 0 and res.stdout.decode().strip() == url:
                refs.append(f"refs/remotes/{remote}/{target}")
    refs += [f"refs/heads/{target}", f"refs/remotes/origin/{target}"]
    for ref in refs:
        sha = git.rev_parse(ref)
        if sha:
            return ref.removeprefix("refs/heads/").removeprefix("refs/remotes/"), sha
    raise GitError(f"upstream branch {target!r} is not in {git.path}",
                   f"fetch it (git -C {git.path} fetch origin {target}) or pass --target")


# -- porting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Port:
    target_ref: str
    target_commit: str
    tree: str  # the target with the change, before any NEWS entry
    how: str
    files: tuple[tuple[str, int], ...]  # (path, lines changed) on the target
    own_news: bool  # the patch brings its own NEWS entry


def _patch_trees(git: Git, base: str, located: Located,
                 cache: Cache | None = None) -> tuple[str, str]:
    """(before, after) trees of the patch as its track applies it on the base."""
    patch = located.patch
    if patch.file.is_empty:
        raise PatchqError(f"patch {patch.slug} has no diff", "there is nothing to draft")
    base_tree = git.tree_of(base)
    with git.scratch_index(base_tree) as index:
        try:
            index.apply(patch.path, patch.entry.strip, three_way=False, slug=patch.slug)
            return base_tree, index.write_tree()
        except ApplyError:
            pass  # it needs the patches before it
    patches = located.series.patches
    if cache is not None:  # the whole series once, for every patch that needs it
        key = f"{located.track}:{base}"
        if key not in cache.builds:
            cache.builds[key] = build(git, base, patches, keep_going=True)
        result = cache.builds[key]
    else:
        result = build(git, base, patches[:patches.index(patch) + 1], keep_going=True)
    applied = [a.slug for a in result.applied]
    if patch.slug not in applied:
        raise ApplyError(f"patch {patch.slug} does not apply on {located.track}'s base",
                         f"fix it first (`patchq lint {located.track}`)", slug=patch.slug)
    at = applied.index(patch.slug)
    commit = result.applied[at].commit
    parent = result.applied[at - 1].commit if at > 0 else base
    return git.tree_of(parent), git.tree_of(commit)


def port(git: Git, base: str, located: Located, target: str, target_ref: str,
         target_commit: str, cache: Cache | None = None) -> Port:
    """Port the patch onto the target commit (3-way); nothing is written but objects."""
    before, after = _patch_trees(git, base, located, cache)
    diff = git.diff(before, after)
    target_tree = git.tree_of(target_commit)
    slug = located.patch.slug
    with git.scratch_index(target_tree) as index:
        try:
            how = index.apply_diff(diff, slug=slug)
        except ApplyError as exc:
            raise ApplyError(
                f"{slug} does not apply on {target} ({target_ref} {target_commit[:12]}): "
                f"{exc.details}",
                f"nothing was made; port it by hand on {target}, or draft from another track "
                "with --track", slug=slug, details=exc.details) from None
        tree = index.write_tree()
    if tree == target_tree:
        raise AlreadyUpstream(f"{slug}: {target} already has this change",
                              "nothing to draft; `patchq status` records it")
    stats = git.numstat(target_tree, tree)
    files = tuple((path, added + removed) for path, added, removed in stats)
    own_news = any(path.startswith(cv.NEWS_DIR + "/") for path, _ in files)
    return Port(target_ref=target_ref, target_commit=target_commit, tree=tree, how=how,
                files=files, own_news=own_news)


# -- the map's facts ----------------------------------------------------------------------------


_ISSUE_REF = re.compile(r"^(?:(?P<repo>[\w.-]+/[\w.-]+)#|gh-|#)?(?P<n>\d+)$", re.IGNORECASE)
_ISSUE_URL = re.compile(r"/(?P<repo>[\w.-]+/[\w.-]+)/(?:issues|pull)/(?P<n>\d+)/?$")


def parse_ref(value: object, github: str = "") -> int | None:
    """The number in a recorded ``OWNER/REPO#N`` (``#N``, ``gh-N``, ``N``, an issue URL);
    None for another repository's or for nothing.

    >>> [parse_ref(v, "python/cpython") for v in ("python/cpython#12", "gh-3", "7", "",
    ...   "https://github.com/python/cpython/issues/9", "other/repo#5")]
    [12, 3, 7, None, 9, None]
    """
    text = str(value or "").strip()
    match = _ISSUE_REF.match(text) or _ISSUE_URL.search(text)
    if not match:
        return None
    repo = match.group("repo")
    if repo and github and repo.lower() != github.lower():
        return None
    return int(match.group("n"))


def record_ref(github: str, number: int) -> str:
    return f"{github}#{number}" if github else f"#{number}"


def _downstream_link(ws: Workspace, patch_path: Path) -> str:
    """A web address of the patch file: [upstream] downstream_url + its path, else from the
    patch repo's origin on GitHub or GitLab; "" when nothing says."""
    rel = patch_path.relative_to(ws.root).as_posix()
    base = ws.map.upstream_get("downstream_url").rstrip("/")
    if base:
        return f"{base}/{rel}"
    try:
        repo = Git(ws.root)
        res = repo.run("remote", "get-url", "origin", ok=(0, 2, 128))
        top = Path(repo.out("rev-parse", "--show-toplevel"))
    except (GitError, OSError):
        return ""
    url = res.stdout.decode("utf-8", "replace").strip() if res.status == 0 else ""
    match = re.match(r"^(?:https://|git@|ssh://git@)(github\.com|gitlab\.com)[:/]"
                     r"([\w.-]+/[\w.-]+?)(?:\.git)?/?$", url)
    if not match:
        return ""
    try:
        path = patch_path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return ""
    return f"https://{match.group(1)}/{match.group(2)}/blob/HEAD/{path}"


# -- the drafts on disk -----------------------------------------------------------------------


def drafts_dir(ws: Workspace, slug: str) -> Path:
    return ws.root / DRAFTS_DIR / check_slug(slug)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_meta(directory: Path) -> dict:
    try:
        data = json.loads((directory / META).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def meta_bytes(meta: dict) -> bytes:
    return (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode("utf-8")


def merge_drafts(directory: Path, generated: dict[str, str], meta: dict, issue: int | None,
                 regenerate: bool) -> tuple[dict[str, str], list[str], dict[str, str]]:
    """The texts to use: what patchq generated, except for files the user edited since
    patchq last wrote them (kept, with the issue number filled in).

    Returns (texts, kept file names, digests of what patchq generated)."""
    previous = meta.get("generated", {}) if isinstance(meta.get("generated"), dict) else {}
    texts, kept, digests = {}, [], {}
    for name, text in generated.items():
        path = directory / name
        try:
            on_disk = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            on_disk = None
        except (OSError, UnicodeDecodeError) as exc:
            raise PatchqError(f"cannot read {path}: {exc}", "fix or remove the file") from None
        ours = on_disk is None or on_disk == text or previous.get(name) == _digest(on_disk)
        if ours or regenerate:
            texts[name] = text
            digests[name] = _digest(text)
        else:
            texts[name] = cv.fill_placeholder(on_disk, issue)
            kept.append(name)
            digests[name] = str(previous.get(name, ""))
    return texts, kept, digests


# -- one draft --------------------------------------------------------------------------------


@dataclass
class Options:
    """What the command line says, beyond the slug."""

    track: str | None = None
    target: str = "main"
    issue: int | None = None
    section: str | None = None
    regenerate: bool = False
    force: bool = False


@dataclass
class Prepared:
    """A draft computed in memory: nothing written yet."""

    located: Located
    port: Port
    facts: cv.DraftFacts
    texts: dict[str, str]
    kept: list[str]
    meta: dict
    directory: Path
    branch: str
    commit: str
    old_tip: str | None


def _issue_number(ws: Workspace, located: Located, opts: Options) -> int | None:
    github = ws.map.upstream_get("github")
    if opts.issue:
        return opts.issue
    recorded = parse_ref(ws.map.patch(located.patch.slug).get("issue"), github)
    if recorded:
        return recorded
    number, _ = cv.split_issue(located.patch.file.description.subject)
    return number


def prepare(ws: Workspace, slug: str, opts: Options, issue: int | None = None,
            cache: Cache | None = None) -> Prepared:
    """Port the patch and compose its drafts in memory (objects in the upstream clone only).
    ``issue`` overrides what the map and the options say (after `--open` created one)."""
    check_slug(slug)
    git = ws.git
    located = locate(ws, slug, opts.track, opts.target, cache)
    track = ws.track(located.track)
    base = base_commit(git, track)
    if cache is not None and opts.target in cache.targets:
        target_ref, target_commit = cache.targets[opts.target]
    else:
        target_ref, target_commit = resolve_target(ws, git, opts.target)
        if cache is not None:
            cache.targets[opts.target] = (target_ref, target_commit)
    ported = port(git, base, located, opts.target, target_ref, target_commit, cache)
    record = ws.map.patch(slug)
    number = issue or _issue_number(ws, located, opts)

    section = opts.section or str(record.get("news_section", "") or "")
    if section:
        try:
            section = cv.check_section(section)
        except ValueError as exc:
            raise PatchqError(str(exc), "sections: " + ", ".join(cv.SECTIONS)) from None
    else:
        section = cv.news_section(ported.files)

    directory = drafts_dir(ws, slug)
    meta = read_meta(directory)
    news_file = ""
    if number and not ported.own_news:
        old = cv.parse_news_path(str(meta.get("news_file", "")))
        if old == (section, number):
            news_file = str(meta["news_file"])
        else:
            stamp = str(meta.get("news_stamp", "")) or cv.news_stamp(now())
            if not re.fullmatch(r"\d{4}(-\d\d){5}", stamp):
                stamp = cv.news_stamp(now())
            news_file = cv.news_path(section, stamp, number, cv.nonce(f"{slug} {stamp}"))
            meta["news_stamp"] = stamp

    desc = located.patch.file.description
    _, summary = cv.split_issue(desc.subject)
    body = cv.strip_trailers(desc.body)
    per_track = record.get("tracks", {}).get(located.track, {})
    paths = [p for p, _ in ported.files]
    facts = cv.DraftFacts(
        slug=slug, summary=summary, body=body, author=desc.author_name, issue=number,
        target=opts.target, target_commit=target_commit, track=located.track,
        track_base=track.base, patch_file=located.patch.path.relative_to(ws.root).as_posix(),
        files=ported.files, how=ported.how, section=section, news_file=news_file,
        reason=str(record.get("reason", "") or ""), notes=str(record.get("notes", "") or ""),
        since=_since(desc.date) or str(per_track.get("since", "") or ""),
        downstream=ws.map.upstream_get("downstream"),
        downstream_link=_downstream_link(ws, located.patch.path),
        platforms=tuple(cv.platforms([summary, body, str(record.get("reason", ""))], paths)),
        other_tracks=located.others)
    generated = {ISSUE_MD: cv.issue_markdown(facts), PR_MD: cv.pr_markdown(facts),
                 NEWS_RST: cv.news_text(summary, body, desc.author_name)}
    texts, kept, digests = merge_drafts(directory, generated, meta, number, opts.regenerate)
    meta["generated"] = digests

    tree = ported.tree
    if news_file:
        with git.scratch_index(ported.tree) as index:
            index.add_file(news_file, texts[NEWS_RST].encode("utf-8"))
            tree = index.write_tree()
    title, _ = cv.split_markdown(texts[PR_MD])
    title = title or cv.pr_title(summary, number)
    if not number:
        title = title.removeprefix(cv.PLACEHOLDER + ":").strip()
    message = f"{title}\n\n{body}\n" if body else f"{title}\n"
    author = located.patch.identity(git.commit_date(base))
    branch = BRANCH_PREFIX + slug
    old_tip = git.branch_tip(branch)
    commit = _reuse_or_commit(git, old_tip, tree, target_commit, message, author)
    meta.update({"news_file": news_file, "branch": branch, "target": opts.target})
    return Prepared(located=located, port=ported, facts=facts, texts=texts, kept=kept,
                    meta=meta, directory=directory, branch=branch, commit=commit,
                    old_tip=old_tip)


def _since(date: str) -> str:
    """The patch's own date as YYYY-MM-DD ("" when it has none).

    >>> _since("Tue, 21 Feb 2023 11:30:00 +0000"), _since("")
    ('2023-02-21', '')
    """
    import email.utils

    try:
        return email.utils.parsedate_to_datetime(date).strftime("%Y-%m-%d") if date else ""
    except (TypeError, ValueError, IndexError):
        return ""


def _reuse_or_commit(git: Git, old_tip: str | None, tree: str, parent: str, message: str,
                     author: Identity) -> str:
    """The old tip when it already is this exact change (so re-runs change nothing), else a
    new commit."""
    if old_tip:
        old_tree, parents, old_author, old_message = git.commit_info(old_tip)
        if (old_tree, parents, old_author, old_message) == (tree, (parent,),
                                                            author.signature(), message):
            return old_tip
    committer = git.committer_identity(now().isoformat())
    return git.commit_tree(tree, [parent], message, author, committer)


def write(ws: Workspace, prepared: Prepared, opts: Options) -> tuple[str, list[str]]:
    """Move the draft branch and write the draft files, all or nothing.

    Returns (branch state, draft files written)."""
    git = ws.git
    branch, old, new = prepared.branch, prepared.old_tip, prepared.commit
    if git.current_branch() == branch and old != new:
        raise StateError(f"{branch} is checked out in {git.path}",
                         "switch to another branch there first; patchq never touches your "
                         "work tree")
    if old and old != new and not opts.force and not _patchq_wrote(git, branch, old,
                                                                   prepared.meta):
        raise StateError(f"{branch} has commits patchq did not write (tip {old[:12]})",
                         "keep them by renaming the branch, or pass --force to replace it")
    prepared.meta["commit"] = new
    files = FileSet()
    for name, text in prepared.texts.items():
        files.write(prepared.directory / name, text.encode("utf-8"))
    files.write(prepared.directory / META, meta_bytes(prepared.meta))
    ref = f"refs/heads/{branch}"
    if old != new:
        git.update_ref(ref, new, old, f"patchq draft {prepared.located.patch.slug}")
    try:
        written = files.apply()
    except BaseException:
        if old != new:
            if old is None:
                git.delete_ref(ref, new)
            else:
                git.update_ref(ref, old, new, "patchq draft: undo")
        raise
    state = "unchanged" if old == new else ("created" if old is None else "updated")
    return state, [p.name for p in written if p.name != META]


def _patchq_wrote(git: Git, branch: str, tip: str, meta: dict) -> bool:
    """Is ``tip`` a commit patchq itself put on the draft branch (the drafts' record, or the
    branch's reflog when the drafts were removed)?"""
    if meta.get("commit") == tip:
        return True
    last = git.last_reflog(f"refs/heads/{branch}")
    return last is not None and last[0] == tip and last[1].startswith("patchq draft")


def result_of(prepared: Prepared, state: str, written: list[str], github: str) -> DraftResult:
    facts = prepared.facts
    return DraftResult(
        slug=facts.slug, track=facts.track, target=facts.target,
        target_ref=prepared.port.target_ref, target_commit=prepared.port.target_commit,
        branch=prepared.branch, commit=prepared.commit, branch_state=state,
        how=prepared.port.how, section=facts.section, issue=facts.issue,
        news_file=facts.news_file, directory=prepared.directory, texts=dict(prepared.texts),
        written=written, kept=list(prepared.kept), github=github)


def _record_issue_option(ws: Workspace, slug: str, number: int) -> str:
    """`--issue N` is the user saying so: record it (say what it replaced)."""
    github = ws.map.upstream_get("github")
    value = record_ref(github, number)
    record = ws.map.ensure_patch(slug)
    old = str(record.get("issue", "") or "")
    if old == value:
        return ""
    record["issue"] = value
    ws.map.save()
    return f"recorded issue {value}" + (f" (was {old})" if old else "")


def draft(ws: Workspace, slug: str, opts: Options, online=None,
          cache: Cache | None = None) -> DraftResult:
    """Draft one patch offline; ``online`` (see draft_online) goes on with GitHub and the
    fork when --push or --open asked for it."""
    check_slug(slug)
    if opts.issue is not None and opts.issue <= 0:
        raise PatchqError(f"--issue {opts.issue} is not an issue number", "give N of gh-N")
    github = ws.map.upstream_get("github")
    if online is not None:
        return online.run(ws, slug, opts, cache)
    prepared = prepare(ws, slug, opts, cache=cache)
    state, written = write(ws, prepared, opts)
    result = result_of(prepared, state, written, github)
    if opts.issue:
        note = _record_issue_option(ws, slug, opts.issue)
        if note:
            result.notes.append(note)
    return result


# -- every patch ------------------------------------------------------------------------------


@dataclass
class AllItem:
    slug: str
    track: str
    status: str  # drafted, skipped, failed
    detail: str
    result: DraftResult | None = None

    def as_json(self) -> dict:
        return {"slug": self.slug, "track": self.track, "status": self.status,
                "detail": self.detail,
                "draft": self.result.as_json() if self.result else None}


_PR_SUBMISSIONS = {"draft-pr", "open-pr", "merged-pr", "closed-pr"}


def why_skip(ws: Workspace, slug: str, track: str, target: str) -> str:
    """Why `draft --all` leaves a patch alone ("" to draft it)."""
    record = ws.map.patch(slug)
    disposition = str(record.get("disposition", "undecided"))
    if disposition != "upstreamable":
        return f"disposition is {disposition}"
    gh = record.get("github", {}) if isinstance(record.get("github"), dict) else {}
    submission = str(gh.get("submission", "") or "")
    if record.get("pr") or submission in _PR_SUBMISSIONS:
        return "has a pull request"
    if record.get("issue") or submission == "issue":
        opened = read_meta(drafts_dir(ws, slug)).get("opened_issue")
        github = ws.map.upstream_get("github")
        if not opened or parse_ref(record.get("issue"), github) != opened:
            return "has an issue"
    upstream = record.get("tracks", {}).get(track, {}).get("upstream", {})
    state = str(upstream.get(target, {}).get("state", "")) if isinstance(upstream, dict) else ""
    if state in ("present", "partial"):
        return f"{state} in {target}"
    return ""


def draft_all(ws: Workspace, opts: Options, online=None,
              progress: Progress | None = None) -> list[AllItem]:
    """Draft every upstreamable patch that is absent from the target and has no submission;
    a failure is recorded and the others go on."""
    names = [opts.track] if opts.track else ws.map.track_names()
    if not names:
        raise MapError("no tracks yet", "import a series with `patchq import`")
    seen: dict[str, str] = {}
    cache = Cache()
    for name in sorted(names, key=_track_order):
        ws.track(name)
        directory = ws.series_dir(name)
        if not directory.is_dir():
            continue
        cache.series[name] = load_series(directory, name)
        for patch in cache.series[name].patches:
            seen.setdefault(patch.slug, name)
    items: list[AllItem] = []
    todo = []
    for slug, track in seen.items():
        reason = why_skip(ws, slug, track, opts.target)
        if reason:
            items.append(AllItem(slug, track, "skipped", reason))
        else:
            todo.append((slug, track))
    for number, (slug, track) in enumerate(todo, 1):
        if progress:
            progress(number, len(todo), slug)
        one = Options(**{**asdict(opts), "track": track, "issue": None})
        try:
            result = draft(ws, slug, one, online, cache)
        except AlreadyUpstream as exc:
            items.append(AllItem(slug, track, "skipped", exc.message))
        except PatchqError as exc:
            items.append(AllItem(slug, track, "failed", str(exc)))
        else:
            items.append(AllItem(slug, track, "drafted", _summary(result), result))
    order = {slug: i for i, slug in enumerate(seen)}
    return sorted(items, key=lambda item: order[item.slug])


def _summary(result: DraftResult) -> str:
    parts = [f"{result.branch} {result.branch_state}"]
    if result.issue:
        parts.append(f"issue gh-{result.issue}")
    if result.pr:
        parts.append(f"PR #{result.pr} {result.pr_state}")
    return ", ".join(parts)
