"""The report as GitHub-flavoured markdown (an issue, a wiki page, a mail). Pure.

Every text that comes from patches or the map is escaped: a subject cannot open a link, a
table cell, an HTML tag or an emphasis.

>>> escape("a|b <i>*x*</i> & [l](u)")
'a\\\\|b &lt;i&gt;\\\\*x\\\\*&lt;/i&gt; &amp; \\\\[l\\\\](u)'
"""

from __future__ import annotations

import re

from . import fmt
from .links import GitHub, Link
from .model import CATEGORIES, COUNT_TITLES, Report, TrackReport

_SPECIAL = re.compile(r"([\\`*_\[\]|#~])")


def escape(value: str) -> str:
    value = " ".join(str(value).split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", value)


def link(item: Link) -> str:
    if item.url:
        return f"[{escape(item.text)}]({item.url})"
    return escape(item.text)


def code(value: str) -> str:
    value = " ".join(str(value).split()).replace("`", "'")
    return f"`{value}`" if value else ""


def number(value: int) -> str:
    return f"{value:,}"


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
        return "".join(link(piece) for piece in self.gh.split_text(text))

    def pr(self, value: str) -> str:
        return link(self.gh.pr(value)) if value else ""

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
        notes = []
        if r.never_checked:
            notes.append("No upstream status is recorded yet: every patch is *never checked*. "
                         "Run `patchq status` and `patchq sync`, then report again.")
        notes.extend(escape(p.text(r.history_path)) for p in r.history_problems)
        notes.extend(escape(p) for p in r.problems)
        for note in notes:
            self.add("", f"> **Warning:** {note}")
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

    def track(self, t: TrackReport) -> None:
        r = self.report
        self.add(f"## Track {code(t.name)}", "",
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
        points = [p for p in self.report.trend if t.name in p.tracks]
        if len(points) < 2:
            self.add("Trend: one snapshot so far; the trend grows with every report.", "")
            return
        patches = [p.tracks[t.name][0] for p in points]
        lines = [p.tracks[t.name][1] for p in points]
        shown = points[-26:]
        self.add(f"Trend over {len(shown)} reports ({shown[0].date} → {shown[-1].date}):", "",
                 f"- patches carried {code(fmt.sparkline(patches))} "
                 f"{number(patches[-len(shown)])} → {number(patches[-1])}",
                 f"- lines of delta {code(fmt.sparkline(lines))} "
                 f"{number(lines[-len(shown)])} → {number(lines[-1])}", "")

    def merged(self, t: TrackReport) -> None:
        r = self.report
        since = r.baseline_at[:10] if r.baseline_at else r.cutoff
        self.add(f"### Newly merged upstream since {since}" if since else
                 "### Newly merged upstream", "")
        if not t.newly_merged:
            self.add("Nothing new.", "")
            return
        for item in t.newly_merged:
            parts = [code(item.slug) + (f" — {self.subject(item.subject)}" if item.subject else "")]
            for ref in item.refs:
                commits = ", ".join(link(self.gh.commit(c)) for c in ref.commits[:3])
                how = ", ".join(ref.methods)
                detail = "; ".join(x for x in (how, commits) if x)
                parts.append(f"in {code(ref.ref)}" + (f" ({detail})" if detail else ""))
            if item.pr:
                merged = f" merged {item.pr_merged_at[:10]}" if item.pr_merged_at else ""
                parts.append(f"PR {self.pr(item.pr)}{merged}")
            if item.dropped or not item.carried:
                parts.append("dropped from the series" +
                             (f" on {item.dropped}" if item.dropped else ""))
            self.add("- " + " · ".join(parts))
        self.add("")

    def changes(self, t: TrackReport) -> None:
        self.add("### New and removed patches", "")
        if not t.added and not t.removed:
            self.add("No patch entered or left the series." if t.baseline_counts is not None
                     or self.report.cutoff else "Nothing to compare with yet.", "")
            return
        for row in t.added:
            self.add(f"- new: {code(row.slug)} — {self.subject(row.subject)} "
                     f"({escape(fmt.size_text(row))})")
        for item in t.removed:
            when = f" on {item.dropped}" if item.dropped else ""
            self.add(f"- removed: {code(item.slug)} — {escape(fmt.removed_why(item.outcome))}"
                     f"{when}")
        self.add("")

    def waiting(self, t: TrackReport) -> None:
        self.add("### PRs waiting for review (longest first)", "")
        if not t.waiting_review:
            self.add("No PR is open.", "")
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
        rows = [[code(row.slug), self.subject(row.subject), row.since or "unknown",
                 fmt.human_days(row.age_days), escape(fmt.size_text(row))]
                for row in t.unproposed]
        self.add(*_table(["patch", "subject", "carried since", "age", "size"], rows), "")

    def person(self, t: TrackReport) -> None:
        self.add("### Needs a person", "")
        if not t.needs_person:
            self.add("No conflict and no partial patch.", "")
            return
        rows = [[code(item.row.slug), item.why, escape(item.detail)] for item in t.needs_person]
        self.add(*_table(["patch", "why", "what"], rows), "")

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
                 "✓ present · ◐ partial · ○ absent · – not checked", "")

    def everything(self, t: TrackReport) -> None:
        self.add("### All patches (series order)", "")
        if not t.patches:
            self.add("The series is empty.", "")
            return
        rows = []
        for row in t.patches:
            sub = self.pr(row.pr) or (link(self.gh.issue(row.issue)) if row.issue else "")
            rows.append([str(row.position), code(row.slug), self.subject(row.subject),
                         escape(fmt.status_text(row)), f"+{row.added} −{row.removed}",
                         row.since or "unknown", fmt.human_days(row.age_days), sub])
        self.add(*_table(["#", "patch", "subject", "status", "lines", "since", "age", "PR/issue"],
                         rows), "")


def render(report: Report) -> str:
    w = _Writer(report)
    w.header()
    if not report.tracks:
        w.add("No track to report.", "")
    else:
        w.summary()
        for t in report.tracks:
            w.track(t)
    w.add(f"_Made by patchq from upstream\\_map.toml, the series and "
          f"{escape(report.history_path)} ({report.history_snapshots} earlier snapshots)._")
    return "\n".join(w.lines).rstrip() + "\n"
