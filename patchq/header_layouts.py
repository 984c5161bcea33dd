"""Reading the layouts of a patch header: fields (folded or not, in any case), paragraphs,
mails, DEP-3, ``git log`` output and dpatch comments. Pure: text lines in, fields and text out.

:mod:`patchq.headers` draws upstream references from what these readers find.

>>> r = read(lines("Description: Fix it\\n Why.\\n\\nForwarded: no\\n"))
>>> (r.layout.value, r.subject, r.description, [(f.name, f.where.value) for f in r.fields])
('dep3', 'Fix it', ['Why.'], [('Description', 'head'), ('Forwarded', 'body')])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from . import patchfile


class Layout(str, Enum):
    """How the header is written."""

    MAIL = "mail"  # git format-patch, a mail
    DEP3 = "dep3"  # Debian's DEP-3 fields
    GIT_LOG = "git-log"  # `git log`/`git show` output: commit, Author:, Date:, indented message
    DPATCH = "dpatch"  # "# DP:" or "#" comment lines
    PLAIN = "plain"  # free text
    NONE = "none"  # no header


class Where(str, Enum):
    """Where a field was found."""

    HEAD = "head"  # the first set of fields
    BODY = "body"  # a paragraph of fields among the free text (pseudo-headers, trailers)
    AFTER_STAT = "after-diffstat"  # after the "---" line and the diffstat


@dataclass(frozen=True)
class Field:
    """One field as written: its name's spelling kept, folded lines unfolded."""

    name: str
    value: str
    where: Where
    line: int  # 1-based line of the file

    @property
    def key(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Commit:
    """One commit of the header: a mail's ``From <sha>`` or ``git log``'s ``commit <sha>``."""

    sha: str
    subject: str
    author: str = ""
    date: str = ""


# -- reading fields --------------------------------------------------------------------------

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(?:[ \t]+(.*)|[ \t]*)$")
MBOX_FROM = re.compile(r"^From ([0-9a-f]{7,40}) ")
_GIT_LOG = re.compile(r"^commit ([0-9a-f]{7,40})\b")
_KNOWN = {
    # DEP-3
    "description", "subject", "origin", "bug", "forwarded", "author", "from", "reviewed-by",
    "acked-by", "last-update", "applied-upstream",
    # mail
    "date", "message-id", "mime-version", "content-type", "content-transfer-encoding", "to",
    "cc", "reply-to", "in-reply-to", "references", "sender",
    # git trailers
    "fixes", "closes", "link", "change-id", "patchq-slug",
}
_DEP3_ONLY = {"forwarded", "origin", "bug", "applied-upstream", "last-update"}
_DIFFSTAT = re.compile(r"^ (\S.*\S|\S) +\| +(\d+ ?[+-]*|Bin\b.*)$|^ \d+ files? changed|"
                       r"^ (create|delete) mode \d+ |^ rename |^ mode change |^ copy ")


def known_field(name: str) -> bool:
    """A name patchq takes as a field wherever it stands (DEP-3, mail, trailers).

    >>> [known_field(n) for n in ("Bug-Upstream", "Co-authored-by", "X-Debbugs-Cc", "Debian")]
    [True, True, True, False]
    """
    low = name.lower()
    return low in _KNOWN or low.startswith(("bug-", "x-")) or low.endswith("-by")


def _is_field_line(line: str) -> re.Match | None:
    return _FIELD.match(line)


@dataclass
class Line:
    text: str
    number: int  # 1-based


def _paragraphs(lines: list[Line]) -> list[list[Line]]:
    out: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if line.text.strip():
            current.append(line)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _field_set(block: list[Line], where: Where, strict: bool, fold_with: str = " "
               ) -> tuple[list[Field], list[Line]]:
    """Fields of a paragraph and the lines that are not fields.

    ``strict`` (the first set): fields from the first line while lines are fields or their
    continuations. Otherwise (a later paragraph): a paragraph whose lines are all fields is
    a set of fields when one of its names is known; in other paragraphs a line whose name is
    known is a field, the rest is text."""
    matches = [_is_field_line(line.text) for line in block]
    fields: list[Field] = []
    rest: list[Line] = []
    all_fields = bool(matches[0]) and all(m or block[i].text[:1] in " \t"
                                          for i, m in enumerate(matches))
    any_known = any(m and known_field(m.group(1)) for m in matches)
    taking = strict or (all_fields and any_known)
    current: tuple[str, list[str], int] | None = None

    def close() -> None:
        if current is not None:
            name, parts, number = current
            fields.append(Field(name, _join(name, parts, fold_with), where, number))

    for line, match in zip(block, matches):
        text = line.text
        if current is not None and text[:1] in " \t" and (taking or match is None):
            current[1].append(text)
            continue
        if match and (taking or known_field(match.group(1))):
            close()
            current = (match.group(1), [(match.group(2) or "").strip()], line.number)
            continue
        close()
        current = None
        if strict:
            taking = False
        rest.append(line)
    close()
    return fields, rest


def _join(name: str, parts: list[str], fold_with: str) -> str:
    """A field's value: a Description keeps its lines (DEP-3), others unfold (RFC 2822)."""
    if name.lower() == "description" or (name.lower() == "subject" and fold_with == "\n"):
        return "\n".join([parts[0]] + [p.rstrip() for p in parts[1:]])
    return " ".join(p.strip() for p in parts if p.strip())


def _long_description(value: str) -> tuple[str, list[str]]:
    """(synopsis, long description lines) of a DEP-3 Description: one leading space taken
    off, " ." lines blank."""
    first, *rest = value.split("\n")
    lines = []
    for line in rest:
        line = line[1:] if line[:1] in " \t" else line
        lines.append("" if line.strip() == "." else line.rstrip())
    return first.strip(), lines


# -- the layouts -----------------------------------------------------------------------------


@dataclass
class Reading:
    """What a layout reader found, before references are drawn from it."""

    layout: Layout
    subject: str = ""
    title: str = ""  # the subject with the words its synopsis ran on into the next line
    description: list[str] = field(default_factory=list)  # DEP-3 long description lines
    text: list[str] = field(default_factory=list)  # free text lines, in order
    fields: list[Field] = field(default_factory=list)
    author: str = ""
    date: str = ""
    commits: list[Commit] = field(default_factory=list)



def lines(text: str, start: int = 1) -> list[Line]:
    return [Line(t.rstrip("\r\n").rstrip("\r"), start + i)
            for i, t in enumerate(text.splitlines())]


def _split_stat(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """(before the ``---`` line, after the diffstat): what follows ``---`` and is neither
    diffstat nor blank is kept, for the fields Debian writes there."""
    for i, line in enumerate(lines):
        if line.text.rstrip() == "---":
            after = [ln for ln in lines[i + 1:] if not _DIFFSTAT.match(ln.text)]
            return lines[:i], after
    return lines, []


def _free_text(paragraphs: list[list[Line]], where: Where, out: Reading,
               dedent: bool) -> None:
    for block in paragraphs:
        fields, rest = _field_set(block, where, strict=False)
        out.fields.extend(fields)
        if rest:
            if out.text:
                out.text.append("")
            for line in rest:
                text = line.text
                if dedent and text[:1] == " ":
                    text = "" if text.strip() == "." else text[1:]
                out.text.append(text.rstrip())


def _read_mail(lines: list[Line], sha: str) -> Reading:
    out = Reading(Layout.MAIL)
    head, body = [], lines
    for i, line in enumerate(lines):
        if not line.text.strip():
            head, body = lines[:i], lines[i + 1:]
            break
    else:
        head, body = lines, []
    fields, rest = _field_set(head, Where.HEAD, strict=True)
    out.fields.extend(fields)
    get = {f.key: f.value for f in reversed(fields)}
    out.subject = patchfile.strip_patch_tag(patchfile._decode_mime(get.get("subject", "")))
    out.author = patchfile._decode_mime(get.get("from", "") or get.get("author", ""))
    out.date = get.get("date", "")
    before, after = _split_stat(rest + body)
    _free_text(_paragraphs(before), Where.BODY, out, dedent=False)
    _free_text(_paragraphs(after), Where.AFTER_STAT, out, dedent=False)
    if not out.subject and out.text:
        out.subject = out.text.pop(0).strip()
    out.commits.append(Commit(sha, out.subject, out.author, out.date))
    return out


def _read_git_log(lines: list[Line]) -> Reading:
    out = Reading(Layout.GIT_LOG)
    sha = _GIT_LOG.match(lines[0].text).group(1)  # type: ignore[union-attr]
    i = 1
    while i < len(lines) and _is_field_line(lines[i].text):
        match = _is_field_line(lines[i].text)
        assert match is not None
        out.fields.append(Field(match.group(1), (match.group(2) or "").strip(), Where.HEAD,
                                lines[i].number))
        i += 1
    get = {f.key: f.value for f in reversed(out.fields)}
    out.author, out.date = get.get("author", ""), get.get("date", "")
    message: list[Line] = []
    rest: list[Line] = []
    for line in lines[i:]:
        if not rest and (line.text.startswith("    ") or not line.text.strip()):
            message.append(Line(line.text[4:], line.number))
        else:
            rest.append(line)
    paragraphs = _paragraphs(message)
    if paragraphs:
        out.subject = paragraphs[0][0].text.strip()
        paragraphs[0] = paragraphs[0][1:]
    _free_text([p for p in paragraphs if p], Where.BODY, out, dedent=False)
    before, after = _split_stat(rest)
    _free_text(_paragraphs(before), Where.BODY, out, dedent=False)
    _free_text(_paragraphs(after), Where.AFTER_STAT, out, dedent=False)
    out.commits.append(Commit(sha, out.subject, out.author, out.date))
    return out


def _read_dep3(lines: list[Line], layout: Layout) -> Reading:
    """DEP-3 (or dpatch's comment lines taken off first, or free text)."""
    out = Reading(layout)
    before, after = _split_stat(lines)
    paragraphs = _paragraphs(before)
    if paragraphs and _is_field_line(paragraphs[0][0].text) and \
            known_field(_is_field_line(paragraphs[0][0].text).group(1)):  # type: ignore
        fields, rest = _field_set(paragraphs[0], Where.HEAD, strict=True, fold_with="\n")
        out.fields.extend(fields)
        paragraphs = ([rest] if rest else []) + paragraphs[1:]
        out.layout = Layout.DEP3 if layout is Layout.PLAIN else layout
        for f in fields:
            if f.key in ("description", "subject") and not out.subject:
                out.subject, out.description = _long_description(f.value)
            elif f.key in ("author", "from") and not out.author:
                out.author = f.value
            elif f.key == "last-update" and not out.date:
                out.date = f.value
    _free_text(paragraphs, Where.BODY, out, dedent=out.layout is not Layout.PLAIN)
    _free_text(_paragraphs(after), Where.AFTER_STAT, out, dedent=False)
    if out.subject:
        out.title, out.description = _title(out.subject, out.description)
    elif out.description:
        out.subject = out.description.pop(0).strip()
        out.title, out.description = _title(out.subject, out.description)
    elif out.text:
        out.subject = out.text.pop(0).strip()
        out.title, out.text = _title(out.subject, out.text)
    return out


_DPATCH = re.compile(r"^#+ ?(?:DP: ?)?")


def _uncomment(lines: list[Line]) -> tuple[list[Line], bool]:
    """dpatch and other comment headers: the leading ``#`` lines without ``#`` and ``DP:``."""
    first = next((ln for ln in lines if ln.text.strip()), None)
    if first is None or not first.text.startswith("#"):
        return lines, False
    out = []
    leading = True
    for line in lines:
        leading = leading and (line.text.startswith("#") or not line.text.strip())
        text = _DPATCH.sub("", line.text, count=1) if leading else line.text
        out.append(Line(text, line.number))
    return out, True


def split_mails(lines: list[Line]) -> list[list[Line]]:
    """Stacked mails: a new one at each ``From <sha> `` line."""
    chunks: list[list[Line]] = [[]]
    for line in lines:
        if MBOX_FROM.match(line.text) and chunks[-1]:
            chunks.append([])
        chunks[-1].append(line)
    return chunks


def read(lines: list[Line]) -> Reading:
    while lines and not lines[0].text.strip():
        lines = lines[1:]
    if not lines:
        return Reading(Layout.NONE)
    if _GIT_LOG.match(lines[0].text) and len(lines) > 1 and \
            lines[1].text.lower().startswith(("author:", "merge:")):
        return _read_git_log(lines)
    mbox = MBOX_FROM.match(lines[0].text)
    if mbox:
        return _read_mail(lines[1:], mbox.group(1))
    match = _is_field_line(lines[0].text)
    if match and match.group(1).lower() in ("from", "subject", "date"):
        head = lines[:next((i for i, ln in enumerate(lines) if not ln.text.strip()),
                           len(lines))]
        names = {m.group(1).lower() for m in (_is_field_line(ln.text) for ln in head) if m}
        if "description" not in names and ("date" in names or not names & _DEP3_ONLY):
            return _read_mail(lines, "")
    uncommented, commented = _uncomment(lines)
    if commented:
        return _read_dep3(uncommented, Layout.DPATCH)
    return _read_dep3(lines, Layout.PLAIN)


_DANGLING = re.compile(r"(,|\b(?:with|and|or|to|of|in|for|the|a|an|from|by|on|at|as|into|"
                       r"when|if|that|than|via|without|because))$", re.IGNORECASE)


def _title(subject: str, description: list[str]) -> tuple[str, list[str]]:
    """A DEP-3 synopsis that runs on into the long description's first line: it ends on a
    word no title ends with (``with``, ``and``, a comma...) and the next line goes on in lower
    case or with an option.

    >>> _title("Keep it when configuring with", ["--libdir=/usr/lib", "More."])
    ('Keep it when configuring with --libdir=/usr/lib', ['More.'])
    >>> _title("Degrade tempfile without shutil", ["python3.X-minimal lacks it."])[0]
    'Degrade tempfile without shutil'
    """
    if not subject or not description or not description[0].strip():
        return subject, description
    nxt = description[0].strip()
    if not _DANGLING.search(subject) or len(subject) + len(nxt) > 160:
        return subject, description
    if nxt[0].islower() or nxt.startswith(("--", "$(", "`")):
        return f"{subject} {nxt}", description[1:]
    return subject, description


def diff_starts(lines: list[Line], i: int) -> bool:
    text = lines[i].text
    if text.startswith(("diff --git ", "diff -", "Index: ", "GIT binary patch", "=" * 20)):
        return True
    return text.startswith("--- ") and i + 1 < len(lines) and \
        lines[i + 1].text.startswith("+++ ")
