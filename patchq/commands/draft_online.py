"""`patchq draft --open` and `--push`: the issue, the fork's branch and the draft PR.

Every step is idempotent and recorded in the map as soon as it really happened, so a run that
fails half-way (GitHub down, push refused) leaves a true map and the drafts on disk, and the
next run finishes the job:

1. everything that can be checked without writing is checked first, before anything public
   is written: the token, the committer, the upstream repository and the fork on GitHub,
   the fork's git URL (``git ls-remote``), whose commits are on its draft branch, and that the
   push is allowed (``git push --dry-run``);
2. an existing PR is found by the map's record or, when the record was lost, by its head
   branch on the fork;
3. the issue number comes from ``--issue``, the map, the patch's header (a ``Bug*:`` link, its
   NEWS entry, its ``gh-N:`` subject), the issue this command opened before, or the PR found;
   only when none is known are the drafts written and an issue created (from
   drafts/<slug>/issue.md), recorded at once;
4. the draft is made with the number (PR title ``gh-N: ...``, NEWS entry), keeping the
   commit already on the fork when it is this same change, and the branch is pushed with
   ``--force-with-lease`` only when it differs; ``branch`` is recorded;
5. the PR is created as a draft (from pr.md, without its checklist), or its title and body are
   updated; a closed PR patchq opened is reopened with ``--reopen``, a merged one left alone.

The token comes from GITHUB_TOKEN or GH_TOKEN and goes only to GitHub's API and to git through
the environment (see ``patchq.git.CREDENTIAL_HELPER``), and only over https to the configured
GitHub's host (``patchq.validate.token_url``): a fork URL elsewhere is refused, with the token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .. import conventions as cv
from .. import validate
from ..errors import ForgeError, GitError, MapError, PatchqError
from ..git import FALLBACK_EMAIL, FALLBACK_NAME, Git
from ..workspace import Workspace
from . import draft as offline
from . import draft_text as text

DEFAULT_API = "https://api.github.com"


def token_from_env() -> str:
    from ..forge import token_from_env as from_env

    return from_env()


def web_host(api_url: str | None) -> str:
    """The web (and git) address that goes with a GitHub API address.

    >>> web_host(None), web_host("https://ghe.example.com/api/v3/")
    ('https://github.com', 'https://ghe.example.com')
    """
    url = (api_url or DEFAULT_API).rstrip("/")
    if url == DEFAULT_API:
        return "https://github.com"
    return re.sub(r"/api/v3$", "", url)


def fork_push_url(ws: Workspace, fork: str, api_url: str | None, override: str | None) -> str:
    """Where the draft branch goes: --fork-url, else [upstream] fork_url, else the fork's
    https address on the GitHub host."""
    url = override or ws.upstream_get("fork_url")
    if url:
        return url
    if not fork:
        raise MapError("no fork to push to", "set [upstream] fork = \"OWNER/REPO\" in "
                       "upstream_map.toml (or `patchq init --fork`)")
    return f"{web_host(api_url)}/{fork}.git"


@dataclass
class Online:
    """The online half of `patchq draft`: ``push_only`` pushes the branch and stops."""

    push_only: bool = False
    github_url: str | None = None
    fork_url: str | None = None
    forge: object | None = None  # a Forge; made from github_url and the token when None
    token: str | None = None
    timeout: float = 20.0
    reopen: bool = False

    def _token(self) -> str:
        return self.token if self.token is not None else token_from_env()

    def _git_token(self, url: str) -> str:
        """The token for git to send to ``url``: only where patchq.validate.token_url allows
        (https to the configured GitHub's host); anywhere else the push is refused."""
        token = self._token()
        if token:
            validate.token_url(url, self.github_url)
        return token

    def _forge(self):
        if self.forge is None:
            token = self._token()
            if not token:
                raise ForgeError("no GitHub token", "set GITHUB_TOKEN or GH_TOKEN (a token "
                                 "allowed to open issues and PRs upstream and push to the fork)")
            from ..forge import GitHubForge

            self.forge = GitHubForge(token=token, url=self.github_url, timeout=self.timeout,
                                     purpose="draft")
        return self.forge

    # -- the whole run ------------------------------------------------------------------------

    def run(self, ws: Workspace, slug: str, opts: offline.Options,
            cache: offline.Cache | None = None) -> offline.DraftResult:
        umap = ws.map
        github = ws.upstream_get("github")
        fork = ws.upstream_get("fork")
        if self.push_only:
            return self._push_only(ws, slug, opts, cache, github, fork)
        given = self.fork_url or ws.upstream_get("fork_url")
        if given:  # a fork URL the token must not go to is refused before anything is written
            self._git_token(given)

        if not (offline.drafts_dir(ws, slug) / offline.PR_MD).exists():
            # a first run: the drafts are on disk whatever happens next
            offline.write(ws, offline.prepare(ws, slug, opts, cache=cache), opts)

        # 1. check everything that can be checked, before anything public is written
        if not github:
            raise MapError("no upstream GitHub repository", "set [upstream] github = "
                           "\"OWNER/REPO\" in upstream_map.toml")
        if not fork:
            raise MapError("no fork to push to", "set [upstream] fork = \"OWNER/REPO\" in "
                           "upstream_map.toml")
        url = fork_push_url(ws, fork, self.github_url, self.fork_url)
        token = self._git_token(url)  # before anything is sent anywhere
        forge = self._forge()
        git: Git = ws.git
        committer = git.committer_identity("0 +0000")
        if (committer.name, committer.email) == (FALLBACK_NAME, FALLBACK_EMAIL):
            raise GitError(f"git in {git.path} has no committer identity (you submit: you "
                           "are the committer)",
                           f"git -C {git.path} config user.name \"Your Name\"; and user.email")
        forge.get_repo(github)
        owner = forge.get_repo(fork).owner
        branch = offline.BRANCH_PREFIX + slug
        there = self._fork_tip(git, url, branch, token)
        self._check_lease(git, slug, branch, there, opts.force)
        notes: list[str] = []
        pull = self._find_pull(ws, forge, github, owner, branch, slug, notes)
        if pull is not None and pull.head == f"{owner}:{branch}":
            opts = replace(opts, own_pr=pull.number)
        reuse = (there,) if there else ()
        prepared = offline.prepare(ws, slug, opts, cache=cache, reuse=reuse)
        number = prepared.facts.issue
        if not number and pull is not None:
            number, _ = cv.split_issue(pull.title)
            if number:
                prepared = offline.prepare(ws, slug, opts, issue=number, cache=cache,
                                           reuse=reuse)
        git.push_branch(url, prepared.commit, branch, there, token=token, dry_run=True)

        # 2. the issue: the one known, else a new one
        created = None
        if not number:
            offline.write(ws, prepared, opts)  # the drafts are on disk before the issue
            title, body = cv.split_markdown(prepared.texts[offline.ISSUE_MD])
            created = forge.create_issue(github, title, text.sendable(body))
            number = created.number
            self._record(ws, slug, issue=offline.record_ref(github, number))
            meta = offline.read_meta(prepared.directory)
            meta["opened_issue"] = number
            _write_meta(prepared.directory, meta)
            prepared = offline.prepare(ws, slug, opts, issue=number, cache=cache, reuse=reuse)
        elif not offline.parse_ref(umap.patch(slug).get("issue"), github):
            self._record(ws, slug, issue=offline.record_ref(github, int(number)))
            notes.append(f"recorded issue gh-{number} ({prepared.facts.issue_source or 'the PR'})")
        state, written = offline.write(ws, prepared, opts)
        result = offline.result_of(prepared, state, written, github)
        result.notes += notes
        if opts.issue:
            note = offline._record_issue_option(ws, slug, opts.issue)
            if note:
                result.notes.append(note)
        result.fork = fork or url
        result.issue = int(number)
        result.issue_created = created is not None
        result.issue_url = created.html_url if created is not None else \
            f"{web_host(self.github_url)}/{github}/issues/{number}"

        # 3. a PR that is closed: reopened when asked, else left alone
        if pull is not None and pull.state != "open":
            if pull.merged or not self.reopen:
                what = "merged" if pull.merged else "closed"
                result.pr, result.pr_url, result.pr_state = pull.number, pull.html_url, what
                hint = "nothing to do" if pull.merged else \
                    f"`patchq draft {slug} --open --reopen` reopens it with this change"
                result.notes.append(f"PR #{pull.number} is {what}: nothing pushed or updated "
                                    f"({hint})")
                return result
            pull = forge.reopen_pull(github, pull.number)
            result.notes.append(f"reopened PR #{pull.number}")

        # 4. the branch, 5. the PR
        self._push(ws, prepared, url, result, there, token)
        title, body = cv.split_markdown(prepared.texts[offline.PR_MD])
        title = cv.fill_placeholder(title, number)
        body = text.sendable(cv.fill_placeholder(body, number))
        if pull is None:
            pull = forge.create_draft_pull(github, title=title, body=body, base=opts.target,
                                           head=f"{owner}:{prepared.branch}")
            result.pr_state = "created"
            meta = offline.read_meta(prepared.directory)
            meta["opened_pr"] = pull.number
            _write_meta(prepared.directory, meta)
        elif (pull.title, pull.body.strip()) != (title, body.strip()):
            pull = forge.update_pull(github, pull.number, title=title, body=body)
            result.pr_state = "updated"
        else:
            result.pr_state = "unchanged"
        self._record(ws, slug, pr=offline.record_ref(github, pull.number))
        result.pr, result.pr_url = pull.number, pull.html_url
        return result

    def _push_only(self, ws: Workspace, slug: str, opts: offline.Options,
                   cache: offline.Cache | None, github: str, fork: str) -> offline.DraftResult:
        git: Git = ws.git
        url = fork_push_url(ws, fork, self.github_url, self.fork_url)
        token = self._git_token(url)
        branch = offline.BRANCH_PREFIX + slug
        there = self._fork_tip(git, url, branch, token)
        self._check_lease(git, slug, branch, there, opts.force)
        prepared = offline.prepare(ws, slug, opts, cache=cache,
                                   reuse=(there,) if there else ())
        state, written = offline.write(ws, prepared, opts)
        result = offline.result_of(prepared, state, written, github)
        result.fork = fork or url
        self._push(ws, prepared, url, result, there, token)
        return result

    # -- steps -----------------------------------------------------------------------------

    @staticmethod
    def _fork_tip(git: Git, url: str, branch: str, token: str) -> str | None:
        try:
            return git.remote_branch(url, branch, token=token)
        except GitError as exc:
            raise GitError(f"cannot reach the fork: {exc.message}",
                           "check [upstream] fork / --fork-url and your token, then run again") \
                from None

    @staticmethod
    def _check_lease(git: Git, slug: str, branch: str, there: str | None, force: bool) -> None:
        """The fork's branch holds only what patchq pushed (or --force)."""
        ours = git.rev_parse(offline.PUSHED_REFS + slug)
        if there is not None and ours is not None and there != ours and not force:
            raise PatchqError(f"the fork's {branch} has commits patchq did not push "
                              f"({there[:12]})", "look at them; --force replaces them")

    def _find_pull(self, ws: Workspace, forge, github: str, owner: str, branch: str,
                   slug: str, notes: list[str]):
        """The PR of this draft: the recorded one, else the one whose head is the branch."""
        recorded = offline.parse_ref(ws.map.patch(slug).get("pr"), github)
        if recorded:
            return forge.get_pull(github, recorded)
        pull = forge.find_pull_by_head(github, owner, branch)
        if pull is not None:
            self._record(ws, slug, pr=offline.record_ref(github, pull.number))
            notes.append(f"found PR #{pull.number} by its branch {owner}:{branch} and "
                         "recorded it")
        return pull

    def _push(self, ws: Workspace, prepared: offline.Prepared, url: str,
              result: offline.DraftResult, there: str | None, token: str) -> None:
        git: Git = ws.git
        branch, commit = prepared.branch, prepared.commit
        pushed_ref = offline.PUSHED_REFS + prepared.located.patch.slug
        ours = git.rev_parse(pushed_ref)
        if there == commit:
            result.pushed = "up to date"
        else:
            git.push_branch(url, commit, branch, there, token=token)
            result.pushed = "pushed"
        if ours != commit:
            git.update_ref(pushed_ref, commit, ours, f"patchq draft: pushed {branch}")
        self._record(ws, prepared.located.patch.slug, branch=branch)

    @staticmethod
    def _record(ws: Workspace, slug: str, **fields: str) -> None:
        """Write fields of the patch's record now (what happened is kept even if a later step
        fails)."""
        umap = ws.map
        record = umap.ensure_patch(slug)
        changed = False
        for key, value in fields.items():
            if record.get(key) != value:
                record[key] = value
                changed = True
        if changed:
            umap.save()


def _write_meta(directory, meta: dict) -> None:
    from ..files import atomic_write

    atomic_write(directory / offline.META, offline.meta_bytes(meta))
