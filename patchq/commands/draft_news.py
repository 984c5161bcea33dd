"""The NEWS entry of a draft: the patch's own, none for a change to documentation or tests
only (the devguide asks none), else one user-visible sentence drafted from the title, with
Sphinx roles for the objects the target's documentation describes, in the section the files
touched say (C_API for the public headers and PyConfig). Its file name stays the same from
run to run: the stamp of its first draft, or the name an earlier draft commit gave it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import conventions as cv
from ..clock import now
from ..errors import PatchqError
from ..git import Git
from .draft_facts import Known


@dataclass(frozen=True)
class News:
    file: str  # the path on the branch ("" until the issue number is known)
    text: str  # what news.rst holds ("" without an entry patchq writes)
    section: str
    own: bool = False
    none: str = ""  # why there is none


def documented(git: Git, commit: str, cache: dict[str, dict[str, str]] | None
               ) -> dict[str, str]:
    """The objects the target's documentation describes (name -> Sphinx role)."""
    if cache is not None and commit in cache:
        return cache[commit]
    names = cv.documented_names(git.doc_directives(commit))
    if cache is not None:
        cache[commit] = names
    return names


def choose(git: Git, meta: dict, known: Known, ported, asked: str, number: int | None,
           candidates: list[str], target_commit: str,
           cache: dict[str, dict[str, str]] | None, credit: str) -> News:
    """The entry for ``known``'s patch ported as ``ported`` (a draft.Port); ``asked`` is the
    section --section or the map names ("" to choose it); ``meta`` gets the stamp."""
    own = [p for p, _ in ported.files if p.startswith(cv.NEWS_DIR + "/")]
    if own:
        path = known.own_news.path if known.own_news and known.own_news.path in own else own[0]
        section = path.split("/")[3] if path.count("/") >= 4 else ""
        return News(path, "", section.replace(" ", "_"), own=True)
    if asked:
        try:
            section = cv.check_section(asked)
        except ValueError as exc:
            raise PatchqError(str(exc), "sections: " + ", ".join(cv.SECTIONS)) from None
    else:
        none = cv.needs_news(ported.files)
        if none:
            return News("", "", cv.news_section(ported.files), none=none)
        section = cv.news_section(ported.files, known.title + "\n" + known.headers.body)
    sentence = cv.news_sentence(known.title, documented(git, target_commit, cache), credit)
    if not number:
        return News("", sentence, section)
    old = cv.parse_news_path(str(meta.get("news_file", "")))
    if old == (section, number):
        return News(str(meta["news_file"]), sentence, section)
    for path in _previous(git, candidates):
        if cv.parse_news_path(path) == (section, number):
            return News(path, sentence, section)
    stamp = str(meta.get("news_stamp", "")) or cv.news_stamp(now())
    if not re.fullmatch(r"\d{4}(-\d\d){5}", stamp):
        stamp = cv.news_stamp(now())
    meta["news_stamp"] = stamp
    return News(cv.news_path(section, stamp, number, cv.nonce(f"{known.slug} {stamp}")),
                sentence, section)


def _previous(git: Git, commits: list[str]) -> list[str]:
    """NEWS files earlier draft commits added (their names are kept when the drafts' record
    was lost, so the same change is the same commit)."""
    found = []
    for commit in commits:
        info = git.commit_info(commit)
        for parent in info[1][:1]:
            found += [p for p, _, _ in git.numstat(parent, commit)
                      if p.startswith(cv.NEWS_DIR + "/")]
    return found
