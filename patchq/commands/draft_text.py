"""The texts of a draft: the issue, the PR and the commit message, in the shape of CPython's
issue forms (.github/ISSUE_TEMPLATE/bug.yml and feature.yml), its PR conventions (the
``gh-N: summary`` title, bedevere's issue block) and the devguide's rules (Co-authored-by for
the original author, the CLA, NEWS entries). Pure: facts in, text out.

They say only what is known: what patchq checked (the change applies on the target at a
commit, the tests it changes), what the map records (``tested_on``, ``ci``), the dates as what
they are; what nobody recorded is left for the person, marked, never filled with a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import conventions as cv

# The checklist for the person submitting: kept in pr.md, taken out of what is sent.
CHECKLIST_START = "<!-- patchq: before you submit"
CHECKLIST_END = "-->"
CLA_URL = "https://www.python.org/psf/contrib/contrib-form/"


@dataclass(frozen=True)
class DraftFacts:
    """What the drafts say, gathered by `patchq draft` from the patch, the map and the port."""

    slug: str
    title: str  # the summary: no gh-N prefix, no vendor tag, no final period
    body: str  # the patch's description: no header fields, no trailers
    bug: bool  # the bug form (else the feature form)
    issue: int | None
    issue_source: str  # where the number comes from ("" when there is none yet)
    target: str  # upstream branch the PR goes to
    target_commit: str
    how: str  # clean / 3way
    files: tuple[tuple[str, int], ...]  # (path, lines changed) on the target
    track: str
    track_base: str
    patch_file: str  # as the patch repo holds it: series/3.11/0002-x.patch
    author: str  # "Name <email>": the commit's author
    co_authors: tuple[str, ...] = ()  # "Name <email>", credited with Co-authored-by
    credit: str = ""  # the name NEWS credits ("Patch by ...")
    patch_date: str = ""  # YYYY-MM-DD, the patch's own date
    date_field: str = ""  # the header field it comes from
    section: str = ""
    news_file: str = ""  # Misc/NEWS.d/next/... once known
    news_own: bool = False  # the patch's own entry
    no_news: str = ""  # why there is no NEWS entry ("" when there is one)
    reason: str = ""
    notes: str = ""
    tested_on: str = ""
    ci: str = ""
    downstream: str = ""  # a name: Pyodide, Debian
    downstream_link: str = ""  # a web address of the patch, "" when unknown
    platforms: tuple[str, ...] = ()
    other_tracks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def who(self) -> str:
        return self.downstream or "A downstream distribution"

    @property
    def whose(self) -> str:
        return f"{self.downstream}'s" if self.downstream else "the downstream's"

    @property
    def tests(self) -> list[str]:
        return [p for p, _ in self.files if cv.section_of_path(p) == "Tests"]

    @property
    def author_email(self) -> str:
        match = re.search(r"<([^>]+)>", self.author)
        return match.group(1) if match else ""


def _carried(facts: DraftFacts) -> str:
    link = f"[{facts.patch_file}]({facts.downstream_link})" if facts.downstream_link \
        else f"`{facts.patch_file}`"
    text = (f"{facts.who} carries this change as a patch on CPython {facts.track} ({link}; "
            f"its series applies on {facts.track_base}).")
    if facts.patch_date:
        text += f" The patch is dated {facts.patch_date} (its `{facts.date_field}:`)."
    if facts.reason:
        text += f" {facts.reason.strip().rstrip('.')}."
    if facts.notes:
        text += f"\n\n{facts.notes.strip()}"
    return text


def _description(facts: DraftFacts) -> str:
    return facts.body.strip() or facts.title + "."


def _no_response(what: str, slug: str, example: str) -> list[str]:
    return ["_No response_", "",
            (f"<!-- patchq: no {what} recorded; `patchq record {slug} tested_on=\"{example}\"` "
            "says it, or write it here -->")]


def issue_markdown(facts: DraftFacts) -> str:
    """The issue draft: ``# title``, then the answers of CPython's bug or feature form."""
    lines = [f"# {facts.title}", ""]
    lines += ["### Bug description:" if facts.bug else "### Proposal:", "",
              _description(facts), ""]
    if facts.platforms:
        lines += [f"It concerns {', '.join(facts.platforms)}.", ""]
    lines += [_carried(facts), ""]
    versions, systems = cv.form_answers(facts.tested_on)
    if facts.bug:
        lines += ["### CPython versions tested on:", ""]
        lines += [", ".join(versions), ""] if versions else \
            _no_response("testing", facts.slug, "SYSTEMS, VERSIONS") + [""]
        lines += ["### Operating systems tested on:", ""]
        lines += [", ".join(systems), ""] if systems else \
            _no_response("testing", facts.slug, "SYSTEMS, VERSIONS") + [""]
    else:
        lines += ["### Has this already been discussed elsewhere?", "", "No response given", "",
                  ("<!-- patchq: or \"I have already discussed this feature proposal on "
                  "Discourse\", or \"This is a minor feature, which does not need previous "
                  "discussion elsewhere\": say which -->"), "",
                  "### Links to previous discussion of this feature:", "", "_No response_", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _tested(facts: DraftFacts) -> list[str]:
    how = "cleanly" if facts.how == "clean" else "with a 3-way merge"
    out = [(f"patchq applied the change on `{facts.target}` at {facts.target_commit[:12]} {how}, "
           f"and the patch on {facts.track_base}, the base of {facts.whose} {facts.track} "
           "series.")]
    tests = facts.tests
    out.append("Tests it changes: " + ", ".join(f"`{t}`" for t in tests) + "." if tests
               else "It changes no test.")
    if facts.tested_on:
        out.append(f"Tested on (recorded by the downstream): {facts.tested_on}.")
    if facts.ci:
        out.append(f"The downstream's CI builds with it: {facts.ci}")
    out.append("Not run by patchq: building CPython with the change and its test suite.")
    return out


def _news(facts: DraftFacts) -> list[str]:
    if facts.no_news:
        return [(f"No NEWS entry: {facts.no_news} (the devguide asks none); the PR needs the "
                "`skip news` label.")]
    if facts.news_own:
        return [f"`{facts.news_file}` (the patch's own entry)."]
    if facts.news_file:
        return [f"`{facts.news_file}`"]
    return [f"A `{facts.section}` entry is added to the branch once the issue number is known."]


def pr_markdown(facts: DraftFacts) -> str:
    """The PR draft: ``# gh-N: title``, bedevere's issue block, what the change does, why,
    how it was tested, the NEWS entry, the co-authors, and a checklist for the person
    submitting (an HTML comment, not sent)."""
    tag = cv.issue_tag(facts.issue)
    lines = [f"# {cv.pr_title(facts.title, facts.issue)}", "",
             f"<!-- gh-issue-number: {tag} -->", f"* Issue: {tag}", "<!-- /gh-issue-number -->",
             "", _description(facts), "", "## Why", "", _carried(facts), "",
             "## How it was tested", ""]
    lines += [f"- {line}" for line in _tested(facts)]
    lines += ["", "## NEWS", ""] + _news(facts)
    if facts.co_authors:
        lines += [""] + [f"Co-authored-by: {person}" for person in facts.co_authors]
    signers = ", ".join([facts.author, *facts.co_authors])
    lines += ["", f"{CHECKLIST_START} (patchq leaves this out of what it sends):",
              (f"- [ ] Every author signed the PSF Contributor License Agreement ({CLA_URL}); "
              f"python-cla-bot checks the commit's author: {signers}"),
              ("- [ ] Built CPython with the change on the target branch and ran the tests it "
              "touches"),
              ("- [ ] The issue explains the problem; the title and NEWS say what changes for "
              "users"),
              CHECKLIST_END]
    return "\n".join(lines).rstrip("\n") + "\n"


def sendable(body: str) -> str:
    """A draft's body as it is sent: without patchq's checklist for the submitter.

    >>> sendable("Text.\\n\\n<!-- patchq: before you submit:\\n- [ ] x\\n-->\\n")
    'Text.\\n'
    """
    start = body.find(CHECKLIST_START)
    if start < 0:
        return body
    end = body.find(CHECKLIST_END, start)
    rest = body[end + len(CHECKLIST_END):] if end >= 0 else ""
    return (body[:start].rstrip("\n") + "\n" + rest.lstrip("\n")).rstrip("\n") + "\n"


def commit_message(title: str, body: str, co_authors: tuple[str, ...]) -> str:
    """The commit's message: the title, the description, ``Co-authored-by:`` trailers.

    >>> print(commit_message("gh-1: Fix it", "Why.", ("A <a@x>",)), end="")
    gh-1: Fix it
    <BLANKLINE>
    Why.
    <BLANKLINE>
    Co-authored-by: A <a@x>
    """
    parts = [title]
    if body.strip():
        parts.append(body.strip())
    if co_authors:
        parts.append("\n".join(f"Co-authored-by: {person}" for person in co_authors))
    return "\n\n".join(parts) + "\n"
