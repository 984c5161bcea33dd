"""The report as GitHub-flavoured markdown (an issue, a wiki page, a job summary). Pure.

Every text that comes from patches or the map is escaped: a subject cannot open a link, a
table cell, an HTML tag or an emphasis.

>>> escape("a|b <i>*x*</i> & [l](u)")
'a\\\\|b &lt;i&gt;\\\\*x\\\\*&lt;/i&gt; &amp; \\\\[l\\\\](u)'
>>> escape(" Allow  this ")  # one space kept at each end: pieces join with their spaces
' Allow this '
"""

from __future__ import annotations

import re

from . import fmt
from .fmt import number, plural
from .links import GitHub, Link, downstream_file
from .model import (
    CATEGORIES,
    COUNT_TITLES,
    ActionKind,
    Event,
    EventKind,
    PatchRow,
    Report,
    TrackReport,
)

_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def escape(value: str) -> str:
    value = str(value)
    inner = " ".join(value.split())
    if inner and value[:1].isspace():
        inner = " " + inner
    if inner and value[-1:].isspace():
        inner += " "
    inner = inner.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", inner)


def link(item: Link) -> str:
    if item.url:
        return f"[{escape(item.text)}]({item.url})"
    return escape(item.text)


def code(value: str) -> str:
    value = " ".join(str(value).split()).replace("`", "'")
    return f"`{value}`" if value else ""


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    out.extend("| " + " | ".join(cell or " " for cell in row) + " |" for row in rows)
    return out


class _Writer:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.gh = GitHub(report.github, report.upstream_url)
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def subject(self, text: str) -> str:
        return "".join(link(piece) for piece in self.gh.split_text(text)).strip()

    def pr(self, value: str) -> str:
        return link(self.gh.pr(value)) if value else ""

    def slug(self, track: str, slug: str, file: str) -> str:
        url = downstream_file(self.report.downstream_url, track, file)
        return f"[{code(slug)}]({url})" if url else code(slug)

    def commits(self, commits: tuple[str, ...]) -> str:
        shown = ", ".join(link(self.gh.commit(c)) for c in commits[:3])
        return shown + (f" and {len(commits) - 3} more" if len(commits) > 3 else "")

    def proposal(self, row: PatchRow) -> str:
        if row.pr:
            return self.pr(row.pr) + (" (recorded, not checked)" if not row.pr_checked else "")
        if row.issue:
            return link(self.gh.issue(row.issue))
        if row.forwarded and row.submission == "forwarded":
            return "forwarded: " + link(self.gh.url_link(row.forwarded))
        return ""

    # -- parts ----------------------------------------------------------------------------------

    def header(self) -> None:
        r = self.report
        where = f" — {escape(r.github)}" if r.github else ""
        self.add(f"# Upstream status{where} — {r.date}", "")
        if r.baseline_at:
            self.add(f"Generated {r.generated_at}. Compared with the snapshot of "
                     f"{r.baseline_at[:10]} ({escape(r.history_path)} line {r.baseline_line}).")
        else:
            self.add(f"Generated {r.generated_at}. {escape(r.baseline_note.capitalize())}.")
        if r.baseline_at and r.baseline_note:
            self.add("", f"Note: {escape(r.baseline_note)}.")
        if r.replayed:
            self.add("", f"{plural(r.replayed, 'earlier snapshot')} rebuilt from the patch "
                     "repo's git history (`--replay`).")
        notes = []
        if r.never_checked:
            notes.append("No upstream status is recorded yet: every patch is *never checked*. "
                         "Run `patchq status` and `patchq sync`, then report again.")
        notes.extend(escape(p.text(r.history_path)) for p in r.history_problems)
        notes.extend(escape(p) for p in r.problems)
        for note in notes:
            self.add("", f"> **Warning:** {note}")
        self.add("")

    def actions(self) -> None:
        self.add("## To do this week", "")
        if not self.report.actions:
            self.add("Nothing: every patch is checked, proposed or decided.", "")
            return
        for n, action in enumerate(self.report.actions, 1):
            track = f" ({code(action.track)})" if action.track and len(self.report.tracks) > 1 \
                else ""
            names = ", ".join(code(s) for s in action.slugs)
            if action.more:
                names += f" and {action.more:,} more"
            detail = f" {escape(action.detail)}." if action.detail else ""
            self.add(f"{n}. **{escape(action.title)}**{track}: {code(action.command)}"
                     + (f" — {names}" if names and action.kind is not ActionKind.RESOLVE
                        else "")
                     + "." + detail)
        self.add("")

    def summary(self) -> None:
        head = ["track", "base", "patches", "lines", *(fmt.category_title(c) for c in CATEGORIES)]
        rows = []
        for t in self.report.tracks:
            cells = [code(t.name), code(t.base)]
            for key in ("patches", "lines", *CATEGORIES):
                delta = fmt.signed(t.delta(key))
                cells.append(number(t.counts[key]) + (f" ({delta})" if delta else ""))
            rows.append(cells)
        self.add("## Summary", "", *_table(head, rows), "")

    def upstreams(self) -> None:
        """Several upstreams: a row and a trend per upstream, and the total
        (report/upstreams.py)."""
        head = ["upstream", "GitHub", "tracks", "patches", "lines",
                *(fmt.category_title(c) for c in CATEGORIES)]
        rows = []
        for u in self.report.upstreams:
            cells = [f"**{escape(u.name)}**" if u.name == "total" else code(u.name),
                     escape(u.github), ", ".join(code(t) for t in u.tracks)]
            for key in ("patches", "lines", *CATEGORIES):
                delta = fmt.signed(u.delta(key))
                cells.append(number(u.counts.get(key, 0)) + (f" ({delta})" if delta else ""))
            rows.append(cells)
        self.add("## Upstreams", "", *_table(head, rows), "")
        trends = [u for u in self.report.upstreams if len(u.trend) >= 2]
        for u in trends:
            shown = u.trend[-26:]
            patches, sizes = [p.patches for p in shown], [p.lines for p in shown]
            self.add(f"- trend of {escape(u.name)} ({shown[0].date} → {shown[-1].date}): "
                     f"patches carried {code(fmt.sparkline(patches))} {number(patches[0])} → "
                     f"{number(patches[-1])}, lines of delta {code(fmt.sparkline(sizes))} "
                     f"{number(sizes[0])} → {number(sizes[-1])}")
        if trends:
            self.add("")

    def track(self, t: TrackReport) -> None:
        r = self.report
        if r.upstreams:  # several upstreams: the track's links go to its own
            self.gh = GitHub(*t.github)
        self.add(f"## Track {code(t.name)}"
                 + (f" (upstream {code(t.upstream)})" if r.upstreams else ""), "",
                 f"Follows {code(t.follows)}; base {code(t.base)}"
                 + (f" ({link(self.gh.commit(t.base_commit))})" if t.base_commit else "")
                 + (f"; the baseline was on {code(t.baseline_base)}"
                    if t.baseline_base and t.baseline_base != t.base else "") + ".", "")
        keys = ("patches", "lines", *CATEGORIES, "never_checked", "needs_person")
        if t.baseline_counts is None:
            rows = [[COUNT_TITLES[key], number(t.counts[key])] for key in keys]
            self.add(*_table(["", "now"], rows), "")
        else:
            rows = []
            for key in keys:
                old = t.baseline_counts.get(key)
                rows.append([COUNT_TITLES[key], number(t.counts[key]),
                             number(old) if old is not None else "—",
                             fmt.signed(t.delta(key))])
            self.add(*_table(["", "now", r.baseline_at[:10], "change"], rows), "")
        self.trend(t)
        self.merged(t)
        self.changes(t)
        self.waiting(t)
        self.unproposed(t)
        self.person(t)
        self.matrix(t)
        self.everything(t)

    def trend(self, t: TrackReport) -> None:
        points = fmt.trend_points(self.report.trend, t.name)
        if len(points) < 2:
            self.add("Trend: one snapshot so far; the trend grows with every report "
                     "(`patchq report --replay` rebuilds past ones from git).", "")
            return
        patches = [p.patches for _, p in points]
        lines = [p.lines for _, p in points]
        shown = points[-26:]
        self.add(f"Trend over {plural(len(shown), 'report')} ({shown[0][0]} → {shown[-1][0]}):",
                 "", f"- patches carried {code(fmt.sparkline(patches))} "
                 f"{number(patches[-len(shown)])} → {number(patches[-1])}",
                 f"- lines of delta {code(fmt.sparkline(lines))} "
                 f"{number(lines[-len(shown)])} → {number(lines[-1])}")
        old, now = shown[0][1].states, shown[-1][1].states
        moved = [f"{fmt.category_title(c)} {number(old.get(c, 0))} → {number(now.get(c, 0))}"
                 for c in CATEGORIES if old.get(c, 0) or now.get(c, 0)]
        if moved:
            self.add("- by state: " + ", ".join(moved))
        for day, before, after in fmt.base_changes(shown):
            self.add(f"- base moved {code(before)} → {code(after)} on {day}")
        self.add("")

    def _since(self) -> str:
        r = self.report
        return r.baseline_at[:10] if r.baseline_at else r.cutoff

    def merged(self, t: TrackReport) -> None:
        since = self._since()
        self.add(f"### Newly merged upstream since {since}" if since else
                 "### Newly merged upstream", "")
        if not t.newly_merged:
            self.add("Nothing new.", "")
            return
        rows = []
        for e in t.newly_merged:
            refs = ", ".join(code(ref.ref) for ref in e.refs)
            pr = self.pr(e.pr) + (f" merged {e.pr_merged_at[:10]}" if e.pr_merged_at else "")
            where = (f"dropped {e.date}" if e.date else "dropped") if not e.carried \
                else "still carried"
            rows.append([self.slug(t.name, e.slug, e.file if e.carried else ""),
                         self.subject(e.subject) or "(subject unknown)", refs,
                         escape(", ".join(e.methods)), self.commits(e.commits), pr, where])
        self.add(f"{plural(len(rows), 'patch', 'patches')} upstream now has:", "",
                 *_table(["patch", "subject", "in", "found by", "commits", "PR", "series"],
                         rows), "")

    def _event_line(self, t: TrackReport, e: Event) -> str:
        title = fmt.EVENT_TITLES[e.kind]
        if e.kind is EventKind.BASE_MOVED:
            commit = f" ({link(self.gh.commit(e.to_commit))})" if e.to_commit else ""
            when = f" on {e.date}" if e.date else ""
            detail = f": {escape(e.detail)}" if e.detail else ""
            return f"- {title}: {code(e.base_from)} → {code(e.base_to)}{commit}{when}{detail}"
        name = self.slug(t.name, e.slug, e.file if e.carried else "")
        subject = f" — {self.subject(e.subject)}" if e.subject else ""
        parts = []
        if not e.carried:
            parts.append(fmt.left_why(e.kind, e.detail) + (f" on {e.date}" if e.date else ""))
            if e.kind is EventKind.MERGED and e.was == "present":
                parts.append("it was upstream-present already")
            if e.commits:
                parts.append(self.commits(e.commits))
        elif e.detail:
            parts.append(escape(e.detail))
        if e.kind is EventKind.NEW and e.lines:
            parts.append(plural(e.lines, "line"))
        tail = f" ({'; '.join(parts)})" if parts else ""
        return f"- {title}: {name}{subject}{tail}"

    def changes(self, t: TrackReport) -> None:
        self.add("### Other changes" + (f" since {self._since()}" if self._since() else ""), "")
        merged = {id(e) for e in t.newly_merged}
        others = [e for e in t.events if id(e) not in merged]
        if self.report.first and not others:
            self.add(f"This is the first report: the {plural(t.counts['patches'], 'patch')} "
                     "below are what the series carries now; next week's report says what "
                     "changed.", "")
            return
        if not others:
            self.add("No patch entered or left the series, and nothing was set aside.", "")
            return
        self.add(*(self._event_line(t, e) for e in others), "")

    def waiting(self, t: TrackReport) -> None:
        self.add("### PRs waiting for review (longest first)", "")
        if not t.waiting_review:
            recorded = sum(1 for r in t.patches if r.submission == "recorded-pr")
            self.add("No PR is open" + (f" as far as `patchq sync` saw; "
                                        f"{plural(recorded, 'recorded PR was', 'recorded PRs were')}"
                                        " never checked" if recorded else "") + ".", "")
            return
        now = self.report.generated_at
        rows = []
        for row in t.waiting_review:
            age = fmt.human_days(fmt.days_between(row.pr_created_at, now))
            active = fmt.days_between(row.updated_at, now)
            last = f"{row.updated_at[:10]} ({fmt.human_days(active)} ago)" if row.updated_at \
                else "unknown"
            rows.append([self.pr(row.pr), code(row.slug), age, last,
                         escape(fmt.review_title(row.review)),
                         escape(", ".join(row.labels))])
        self.add(*_table(["PR", "patch", "open for", "last activity", "review", "labels"],
                         rows), "")

    def unproposed(self, t: TrackReport) -> None:
        self.add("### Never proposed (oldest first)", "")
        if not t.unproposed:
            self.add("Every patch is upstream, proposed, drafted or downstream-only.", "")
            return
        rows = [[self.slug(t.name, row.slug, row.file), self.subject(row.subject),
                 escape(row.author), row.disposition, escape(row.reason),
                 row.dated or "unknown", row.since or "unknown", escape(fmt.size_text(row))]
                for row in t.unproposed]
        self.add(*_table(["patch", "subject", "author", "disposition", "reason", "dated",
                          "in the series since", "size"], rows), "",
                 "*dated*: the patch's own date (mail `Date:`, DEP-3 `Last-Update:`); *in the "
                 "series since*: when patchq first recorded it in this track.", "")

    def person(self, t: TrackReport) -> None:
        self.add("### Needs a person", "")
        if not t.needs_person:
            self.add("No conflict and no partial patch.", "")
            return
        rows = []
        for item in t.needs_person:
            command = (f"patchq push -t {t.name} {item.row.slug}" if item.why == "conflict"
                       else f"patchq draft -t {t.name} {item.row.slug}")
            rows.append([code(item.row.slug), item.why, escape(item.detail), code(command)])
        self.add(*_table(["patch", "why", "what", "command"], rows), "")

    def matrix(self, t: TrackReport) -> None:
        self.add("### Merge matrix", "")
        if not t.matrix_refs:
            self.add("No upstream branch was checked yet (`patchq status`).", "")
            return
        rows = []
        for row in t.patches:
            cells = [str(row.position), code(row.slug)]
            for ref in t.matrix_refs:
                state = row.ref(ref)
                cells.append(fmt.STATE_SYMBOLS.get(state.state, "?") if state else "–")
            rows.append(cells)
        self.add(*_table(["#", "patch", *(code(r) for r in t.matrix_refs)], rows), "",
                 "✓ present · ◐ partial · ○ absent · – not checked; a rebase's new base "
                 "counts as checked for every patch it kept.", "")

    def everything(self, t: TrackReport) -> None:
        self.add("### All patches (series order)", "")
        if not t.patches:
            self.add("The series is empty.", "")
            return
        rows = []
        for row in t.patches:
            rows.append([str(row.position), self.slug(t.name, row.slug, row.file),
                         self.subject(row.subject), escape(fmt.status_text(row)),
                         escape(fmt.checked_text(row)), fmt.lines_text(row.added, row.removed),
                         row.dated or "unknown", row.since or "unknown", self.proposal(row)])
        self.add(*_table(["#", "patch", "subject", "status", "checked", "lines", "dated",
                          "in the series since", "PR/issue"], rows), "")


def render(report: Report) -> str:
    w = _Writer(report)
    w.header()
    if not report.tracks:
        w.add("No track to report.", "")
    else:
        w.actions()
        w.summary()
        if report.upstreams:
            w.upstreams()
        for t in report.tracks:
            w.track(t)
    w.add(f"_Made by patchq from upstream\\_map.toml, the series and "
          f"{escape(report.history_path)} ({plural(report.history_snapshots, 'earlier snapshot')})._")
    return "\n".join(w.lines).rstrip() + "\n"
