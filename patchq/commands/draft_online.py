"""`patchq draft --open` and `--push`: the issue, the fork's branch and the draft PR.

Every step is idempotent and recorded in the map as soon as it really happened, so a run that
fails half-way (GitHub down, push refused) leaves a true map and the drafts on disk, and the
next run finishes the job:

1. the offline draft (port, drafts/) is made first, whatever happens next;
2. the fork is looked up (``OWNER`` of ``head=OWNER:branch``), and an existing PR is found by
   the map's record or, when the record was lost, by its head branch on the fork;
3. the issue number comes from ``--issue``, the map, the patch's ``gh-N:`` subject, the issue
   this command opened before, or the PR found; only when none is known is an issue created
   (from drafts/<slug>/issue.md), and recorded at once;
4. the draft is made again with the number (PR title ``gh-N: ...``, NEWS entry) and the branch
   is pushed to the fork with ``--force-with-lease``; ``branch`` is recorded;
5. the PR is created as a draft (from pr.md), or its title and body are updated.

The token comes from GITHUB_TOKEN or GH_TOKEN and goes only to GitHub's API and to git through
the environment (see ``patchq.git.CREDENTIAL_HELPER``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import conventions as cv
from ..errors import ForgeError, GitError, MapError, PatchqError
from ..git import Git
from ..workspace import Workspace
from . import draft as offline

DEFAULT_API = "https://api.github.com"
PUSHED_REFS = "refs/patchq/pushed/"


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
    url = override or ws.map.upstream_get("fork_url")
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

    def _token(self) -> str:
        return self.token if self.token is not None else token_from_env()

    def _forge(self):
        if self.forge is None:
            token = self._token()
            if not token:
                raise ForgeError("no GitHub token", "set GITHUB_TOKEN or GH_TOKEN (a token "
                                 "allowed to open issues and PRs upstream and push to the fork)")
            from ..forge import GitHubForge

            self.forge = GitHubForge(token=token, url=self.github_url)
        return self.forge

    # -- the whole run ------------------------------------------------------------------------

    def run(self, ws: Workspace, slug: str, opts: offline.Options,
            cache: offline.Cache | None = None) -> offline.DraftResult:
        umap = ws.map
        github = umap.upstream_get("github")
        fork = umap.upstream_get("fork")
        prepared = offline.prepare(ws, slug, opts, cache=cache)
        state, written = offline.write(ws, prepared, opts)
        result = offline.result_of(prepared, state, written, github)
        if opts.issue:
            note = offline._record_issue_option(ws, slug, opts.issue)
            if note:
                result.notes.append(note)
        url = fork_push_url(ws, fork, self.github_url, self.fork_url)
        result.fork = fork or url
        if self.push_only:
            self._push(ws, prepared, url, result, opts.force)
            return result

        if not github:
            raise MapError("no upstream GitHub repository", "set [upstream] github = "
                           "\"OWNER/REPO\" in upstream_map.toml")
        if not fork:
            raise MapError("no fork to push to", "set [upstream] fork = \"OWNER/REPO\" in "
                           "upstream_map.toml")
        forge = self._forge()
        fork_repo = forge.get_repo(fork)
        owner = fork_repo.owner
        pull = self._find_pull(ws, forge, github, owner, prepared.branch, result)

        number = result.issue or offline.read_meta(prepared.directory).get("opened_issue")
        if not number and pull is not None:
            number, _ = cv.split_issue(pull.title)
        if number:
            if not offline.parse_ref(ws.map.patch(slug).get("issue"), github):
                self._record(ws, slug, issue=offline.record_ref(github, int(number)))
            result.issue_url = f"{web_host(self.github_url)}/{github}/issues/{number}"
        else:
            title, body = cv.split_markdown(prepared.texts[offline.ISSUE_MD])
            issue = forge.create_issue(github, title, body)
            number = issue.number
            self._record(ws, slug, issue=offline.record_ref(github, number))
            meta = offline.read_meta(prepared.directory)
            meta["opened_issue"] = number
            _write_meta(prepared.directory, meta)
            result.issue_created = True
            result.issue_url = issue.html_url
        number = int(number)

        if number != prepared.facts.issue:
            prepared = offline.prepare(ws, slug, opts, issue=number, cache=cache)
            state, written = offline.write(ws, prepared, opts)
            result.commit, result.texts, result.news_file = \
                prepared.commit, dict(prepared.texts), prepared.facts.news_file
            result.written = sorted(set(result.written) | set(written))
            result.kept = list(prepared.kept)
            if result.branch_state == "unchanged":
                result.branch_state = state
        result.issue = number

        if pull is not None and pull.state != "open":
            what = "merged" if pull.merged else "closed"
            result.pr, result.pr_url, result.pr_state = pull.number, pull.html_url, what
            result.notes.append(f"PR #{pull.number} is {what}: nothing pushed or updated "
                                f"(remove pr from the map to open a new one)")
            return result
        self._push(ws, prepared, url, result, opts.force)

        title, body = cv.split_markdown(prepared.texts[offline.PR_MD])
        title = cv.fill_placeholder(title, number)
        body = cv.fill_placeholder(body, number)
        if pull is None:
            pull = forge.create_draft_pull(github, title=title, body=body, base=opts.target,
                                           head=f"{owner}:{prepared.branch}")
            result.pr_state = "created"
        elif (pull.title, pull.body.strip()) != (title, body.strip()):
            pull = forge.update_pull(github, pull.number, title=title, body=body)
            result.pr_state = "updated"
        else:
            result.pr_state = "unchanged"
        self._record(ws, slug, pr=offline.record_ref(github, pull.number))
        result.pr, result.pr_url = pull.number, pull.html_url
        return result

    # -- steps -----------------------------------------------------------------------------

    def _find_pull(self, ws: Workspace, forge, github: str, owner: str, branch: str,
                   result: offline.DraftResult):
        """The PR of this draft: the recorded one, else the one whose head is the branch."""
        recorded = offline.parse_ref(ws.map.patch(result.slug).get("pr"), github)
        if recorded:
            return forge.get_pull(github, recorded)
        pull = forge.find_pull_by_head(github, owner, branch)
        if pull is not None:
            self._record(ws, result.slug, pr=offline.record_ref(github, pull.number))
            result.notes.append(f"found PR #{pull.number} by its branch {owner}:{branch} and "
                                "recorded it")
        return pull

    def _push(self, ws: Workspace, prepared: offline.Prepared, url: str,
              result: offline.DraftResult, force: bool) -> None:
        git: Git = ws.git
        token = self._token()
        branch, commit = prepared.branch, prepared.commit
        pushed_ref = PUSHED_REFS + prepared.located.patch.slug
        ours = git.rev_parse(pushed_ref)
        try:
            there = git.remote_branch(url, branch, token=token)
        except GitError as exc:
            raise GitError(f"cannot reach the fork: {exc.message}",
                           "check [upstream] fork / --fork-url and your token, then run again") \
                from None
        if there is not None and there != ours and ours is not None and not force \
                and there != commit:
            raise PatchqError(f"the fork's {branch} has commits patchq did not push "
                              f"({there[:12]})", "look at them; --force replaces them")
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
