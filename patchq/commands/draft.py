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

Before anything is made, what the patch already says about upstream is read
(:mod:`patchq.commands.draft_facts`): an issue it names is used, a PR it names is not proposed
again, a change taken from upstream is not drafted, a title that is no title or a missing
author stops it with what to do. Nothing is made when the port conflicts. The texts are in
:mod:`patchq.commands.draft_text`; online (``--open``, ``--push``) is in
:mod:`patchq.commands.draft_online`; ``--all`` in :mod:`patchq.commands.draft_all`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import conventions as cv
from .. import store as pqstore
from ..clock import now
from ..errors import ApplyError, GitError, PatchqError, StateError
from ..files import FileSet
from ..git import Git, Identity
from ..model import valid_slug, valid_track
from ..queue import BuildResult, LoadedPatch, LoadedSeries, base_commit, build, load_series
from ..workspace import Workspace
from . import draft_facts as facts_of
from . import draft_news
from . import draft_text as dt
from .draft_facts import parse_ref, record_ref

__all__ = ["parse_ref", "record_ref"]

BRANCH_PREFIX = "patchq/draft/"
PUSHED_REFS = "refs/patchq/pushed/"
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
    title: str = ""
    issue_source: str = ""  # where the issue number comes from
    author: str = ""  # the commit's author
    co_authors: list[str] = field(default_factory=list)
    news_own: bool = False  # the NEWS entry is the patch's own
    no_news: str = ""  # why there is no NEWS entry
    directory: Path = Path()
    texts: dict[str, str] = field(default_factory=dict)  # file name -> text, as written
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
    builds: dict[str, BuildResult] = field(default_factory=dict)
    targets: dict[str, tuple[str, str]] = field(default_factory=dict)
    documented: dict[str, dict[str, str]] = field(default_factory=dict)  # commit -> names


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
    url = ws.upstream_get("url")
    refs = []
    if url:
        for remote in git.remotes():
            if git.remote_url(remote) == url:
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


def _downstream_link(ws: Workspace, patch_path: Path) -> str:
    """A web address of the patch file: [upstream] downstream_url + its path, else from the
    patch repo's origin on GitHub or GitLab; "" when nothing says."""
    rel = patch_path.relative_to(ws.root).as_posix()
    base = ws.map.upstream_get("downstream_url").rstrip("/")
    if base:
        return f"{base}/{rel}"
    try:
        repo = Git(ws.root)
        url = repo.remote_url("origin") or ""
        top = Path(repo.top_level())
    except (GitError, OSError):
        return ""
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
        on_disk = on_disk or ""
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
    single: bool = True  # one patch asked for by name (--all decides skips itself)
    own_pr: int | None = None  # a PR `--open` found by its head: patchq's own


@dataclass
class Prepared:
    """A draft computed in memory: nothing written yet."""

    located: Located
    port: Port
    known: facts_of.Known
    facts: dt.DraftFacts
    texts: dict[str, str]
    kept: list[str]
    meta: dict
    directory: Path
    branch: str
    commit: str
    old_tip: str | None


def prepare(ws: Workspace, slug: str, opts: Options, issue: int | None = None,
            cache: Cache | None = None, reuse: tuple[str, ...] = ()) -> Prepared:
    """Port the patch and compose its drafts in memory (objects in the upstream clone only).
    ``issue`` overrides what the map and the options say (after `--open` created one);
    ``reuse`` are commits (the fork's tip) to keep when they already are this change."""
    check_slug(slug)
    located = locate(ws, slug, opts.track, opts.target, cache)
    ws.use_track(located.track)  # the clone and the GitHub repository of its upstream
    git = ws.git
    github = ws.upstream_get("github")
    directory = drafts_dir(ws, slug)
    meta = read_meta(directory)
    record = ws.map.patch(slug)
    known = facts_of.read(located.patch, record, meta, github, opts.issue, opts.own_pr)
    if opts.single:
        facts_of.refuse_single(known, github)
    refusal = known.refusal()
    if refusal:
        raise facts_of.DraftRefused(f"{slug}: {refusal[0]}", refusal[1])
    assert known.author is not None
    track = ws.track(located.track)
    base = base_commit(git, track)
    if cache is not None and opts.target in cache.targets:
        target_ref, target_commit = cache.targets[opts.target]
    else:
        target_ref, target_commit = resolve_target(ws, git, opts.target)
        if cache is not None:
            cache.targets[opts.target] = (target_ref, target_commit)
    ported = port(git, base, located, opts.target, target_ref, target_commit, cache)
    number = issue or (int(known.issue.value) if known.issue else None)
    source = "" if not number else ("the issue opened" if issue else
                                    known.issue.source if known.issue else "")

    branch = BRANCH_PREFIX + slug
    old_tip = git.branch_tip(branch)
    candidates = [c for c in dict.fromkeys([old_tip, git.rev_parse(PUSHED_REFS + slug), *reuse])
                  if c and git.rev_parse(c)]
    h = known.headers
    credit = h.author_name if facts_of.person(f"{h.author_name} <{h.author_email}>") \
        else known.author.name
    asked = opts.section or str(record.get("news_section", "") or "")
    news = draft_news.choose(git, meta, known, ported, asked, number, candidates, target_commit,
                             cache.documented if cache is not None else None, credit)
    body = cv.strip_trailers(h.body)
    paths = [p for p, _ in ported.files]
    facts = dt.DraftFacts(
        slug=slug, title=known.title, body=body, bug=cv.is_bug(known.title, body),
        issue=number, issue_source=source, target=opts.target, target_commit=target_commit,
        how=ported.how, files=ported.files, track=located.track, track_base=track.base,
        patch_file=located.patch.path.relative_to(ws.root).as_posix(),
        author=str(known.author), co_authors=tuple(str(p) for p in known.co_authors),
        credit=credit, patch_date=known.patch_date, date_field=known.date_field,
        section=news.section, news_file=news.file, news_own=news.own, no_news=news.none,
        reason=_reason(record), notes=str(record.get("notes", "") or ""),
        tested_on=known.tested_on, ci=known.ci, downstream=ws.map.upstream_get("downstream"),
        downstream_link=_downstream_link(ws, located.patch.path),
        platforms=tuple(cv.platforms([known.title, body, str(record.get("reason", ""))],
                                     paths)),
        other_tracks=located.others)
    generated = {ISSUE_MD: dt.issue_markdown(facts), PR_MD: dt.pr_markdown(facts)}
    if news.text:
        generated[NEWS_RST] = news.text
    texts, kept, digests = merge_drafts(directory, generated, meta, number, opts.regenerate)
    meta["generated"] = digests

    tree = ported.tree
    if news.file and not news.own and NEWS_RST in texts:
        with git.scratch_index(ported.tree) as index:
            index.add_file(news.file, texts[NEWS_RST].encode("utf-8"))
            tree = index.write_tree()
    title, _ = cv.split_markdown(texts[PR_MD])
    title = title or cv.pr_title(known.title, number)
    if not number:
        title = title.removeprefix(cv.PLACEHOLDER + ":").strip()
    message = dt.commit_message(title, body, facts.co_authors)
    date = located.patch.file.description.date or git.commit_date(base)
    author = Identity(known.author.name, known.author.email, date)
    commit = _reuse_or_commit(git, candidates, tree, target_commit, message, author)
    meta.update({"news_file": news.file if not news.own else "", "branch": branch,
                 "target": opts.target})
    return Prepared(located=located, port=ported, known=known, facts=facts, texts=texts,
                    kept=kept, meta=meta, directory=directory, branch=branch, commit=commit,
                    old_tip=old_tip)


def _reason(record: dict) -> str:
    """Why the downstream carries the patch, as people wrote it (not the reason import gave a
    ``Forwarded: not-needed`` patch: no reason to tell upstream)."""
    from .import_ import SEEDED_REASON

    reason = str(record.get("reason", "") or "")
    return "" if reason == SEEDED_REASON else reason


def _reuse_or_commit(git: Git, candidates: list[str], tree: str, parent: str, message: str,
                     author: Identity) -> str:
    """A commit that already is this exact change (the draft branch's tip, what was pushed,
    the fork's tip), so re-runs change nothing and nothing is pushed again; else a new one."""
    for commit in candidates:
        old_tree, parents, old_author, old_message = git.commit_info(commit)
        if (old_tree, parents, old_author, old_message) == (tree, (parent,),
                                                            author.signature(), message):
            return commit
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
    for name, value in prepared.texts.items():
        files.write(prepared.directory / name, value.encode("utf-8"))
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
        news_file=facts.news_file, title=facts.title, issue_source=facts.issue_source,
        author=facts.author, co_authors=list(facts.co_authors), news_own=facts.news_own,
        no_news=facts.no_news, directory=prepared.directory, texts=dict(prepared.texts),
        written=written, kept=list(prepared.kept), github=github)


def _record_issue_option(ws: Workspace, slug: str, number: int) -> str:
    """`--issue N` is the user saying so: record it (say what it replaced)."""
    github = ws.upstream_get("github")
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
    fork when --push or --open asked for it. Holds patchq's lock throughout."""
    if opts.track:
        ws.use_track(opts.track)
    elif len(ws.map.upstream_names()) > 1:  # the upstream of the track that carries it
        try:
            ws.use_track(locate(ws, slug, None, opts.target, cache).track)
        except PatchqError:
            pass  # the same error comes, with the lock held, from the draft itself
    with pqstore.writing(ws):
        return _draft(ws, slug, opts, online, cache)


def _draft(ws: Workspace, slug: str, opts: Options, online, cache: Cache | None) -> DraftResult:
    check_slug(slug)
    if opts.issue is not None and opts.issue <= 0:
        raise PatchqError(f"--issue {opts.issue} is not an issue number", "give N of gh-N")
    github = ws.upstream_get("github")
    if online is not None:
        return online.run(ws, slug, opts, cache)
    prepared = prepare(ws, slug, opts, cache=cache)
    state, written = write(ws, prepared, opts)
    result = result_of(prepared, state, written, github)
    if opts.issue:
        note = _record_issue_option(ws, slug, opts.issue)
        if note:
            result.notes.append(note)
    for proposal in prepared.known.proposals:
        result.notes.append(f"sync proposed {proposal} for this patch: check it is not the "
                            "same change before opening another")
    return result
