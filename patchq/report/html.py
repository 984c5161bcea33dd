"""The report as one self-contained HTML page. Pure.

No file, font, script or style is fetched: the CSS, the SVG charts and a small script (sorting,
scroll hints) are inline, so the page opens offline and can be mailed or kept as a CI artifact.
It reads on a phone (cards wrap, wide tables scroll sideways with a hint) and on a wide screen,
in light and dark mode. Every text that comes from patches or the map is escaped.
"""

from __future__ import annotations

from html import escape

from . import fmt
from .chart import stacked_chart
from .fmt import number, plural
from .html_assets import CSS, SCRIPT
from .links import GitHub, Link, downstream_file
from .model import (
    CATEGORIES,
    COUNT_TITLES,
    LINES_CAP,
    ActionKind,
    Event,
    EventKind,
    PatchRow,
    Report,
    TrackReport,
)

# a change in this direction is good news (the road to carrying no patches)
GOOD_WHEN = {"patches": -1, "lines": -1, "present": 1, "unproposed": -1, "never_checked": -1,
             "needs_person": -1}
# the charts stack the states from the best news (bottom) to the most work (top)
STACK = ("present", "partial", "submitted", "forwarded", "drafted", "downstream_only",
         "unproposed")


def e(value: object) -> str:
    return escape(str(value), quote=True)


def a(item: Link) -> str:
    if item.url.startswith(("https://", "http://")):
        return f'<a href="{e(item.url)}">{e(item.text)}</a>'
    return e(item.text)


def _data(value: int | None) -> str:
    return str(value if value is not None else -1)


class _Page:
    def __init__(self, report: Report) -> None:
        self.r = report
        self.gh = GitHub(report.github, report.upstream_url)
        self.out: list[str] = []

    def add(self, *parts: str) -> None:
        self.out.extend(parts)

    # -- small pieces ---------------------------------------------------------------------------

    def subject(self, text: str) -> str:
        return "".join(a(piece) for piece in self.gh.split_text(text))

    def slug(self, track: str, slug: str, file: str, main: bool = False) -> str:
        url = downstream_file(self.r.downstream_url, track, file)
        cls = "slug mono" + (" main" if main else "")
        if url:
            return f'<a class="{cls}" href="{e(url)}" title="the patch file">{e(slug)}</a>'
        return f'<span class="{cls}">{e(slug)}</span>'

    def patch_cell(self, row: PatchRow) -> str:
        return (f'<td class="subject" data-v="{e(row.subject.lower())}">{self.subject(row.subject)}'
                f"{self.slug(row.track, row.slug, row.file)}</td>")

    def event_patch(self, ev: Event) -> str:
        if ev.subject:
            return (f'<td class="subject" data-v="{e(ev.slug)}">{self.subject(ev.subject)}'
                    f"{self.slug(ev.track, ev.slug, ev.file if ev.carried else '')}</td>")
        return (f'<td class="subject" data-v="{e(ev.slug)}">'
                f"{self.slug(ev.track, ev.slug, '', main=True)}</td>")

    def pill(self, row: PatchRow) -> str:
        title = fmt.category_title(row.category)
        pill = (f'<span class="pill" style="background:var(--{row.category})">'
                f"{e(title)}</span>")
        if row.submission == "recorded-pr":
            pill += ' <span class="pill note">PR not checked</span>'
        return pill

    def commits(self, commits: tuple[str, ...]) -> str:
        shown = ", ".join(a(self.gh.commit(c)) for c in commits[:3])
        return shown + (f" <small>and {len(commits) - 3} more</small>" if len(commits) > 3 else "")

    def proposal(self, row: PatchRow) -> str:
        if row.pr:
            return a(self.gh.pr(row.pr)) + ("" if row.pr_checked else
                                            " <small>(not checked)</small>")
        if row.issue:
            return a(self.gh.issue(row.issue))
        if row.forwarded and row.submission == "forwarded":
            link = self.gh.url_link(row.forwarded)
            return a(Link("forwarded", link.url)) if link.url else e(row.forwarded)
        return ""

    def table(self, head: list[tuple[str, str]], rows: list[str], sortable: bool = True,
              extra: str = "") -> None:
        """``head``: (title, kind) with kind "", "num", "pos" or "ref"; ``rows``: <tr>s."""
        cells = []
        for title, kind in head:
            attrs = {"num": ' class="num"', "pos": ' class="num pos"',
                     "ref": ' class="ref"'}.get(kind, "")
            if sortable:
                attrs += ' data-sort=""'
            cells.append(f"<th{attrs}>{title}</th>")
        cls = ' class="' + " ".join(x for x in ("sortable" if sortable else "", extra) if x) + '"'
        self.add(f'<div class="scroll"><table{cls}><thead><tr>{"".join(cells)}</tr></thead>'
                 "<tbody>", *rows, "</tbody></table></div>",
                 '<p class="hint" aria-hidden="true">← scroll sideways for more columns →</p>')

    def empty(self, text: str) -> None:
        self.add(f'<p class="empty">{e(text)}</p>')

    # -- the page -------------------------------------------------------------------------------

    def head(self) -> None:
        r = self.r
        title = "Upstream status" + (f" — {r.github}" if r.github else "") + f" — {r.date}"
        self.add("<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 '<meta name="color-scheme" content="light dark">',
                 '<meta name="generator" content="patchq">',
                 f"<title>{e(title)}</title><style>{CSS}</style></head>",
                 '<body><div class="wrap"><header>', "<h1>Upstream status</h1>")
        repo = a(self.gh.repo_link()) if r.github else "upstream"
        if r.baseline_at:
            compared = (f"compared with the snapshot of <b>{e(r.baseline_at[:10])}</b> "
                        f'<span class="muted">({e(r.history_path)} line {r.baseline_line})</span>')
        else:
            compared = e(r.baseline_note)
        self.add(f'<p class="sub">{repo} · generated {e(r.generated_at)} · {compared}</p>')
        warnings = []
        if r.baseline_at and r.baseline_note:
            warnings.append(e(r.baseline_note))
        if r.replayed:
            warnings.append(e(f"{plural(r.replayed, 'earlier snapshot')} rebuilt from the "
                              "patch repo's git history (--replay)."))
        if r.never_checked:
            warnings.append("No upstream status is recorded yet: every patch is <b>never "
                            "checked</b>. Run <code>patchq status</code> and <code>patchq "
                            "sync</code>, then report again.")
        warnings.extend(e(p.text(r.history_path)) for p in r.history_problems)
        warnings.extend(e(p) for p in r.problems)
        for warning in warnings:
            self.add(f'<div class="warn" role="note">{warning}</div>')
        self.add("</header><main>")
        self.actions()
        if len(r.tracks) > 1:
            self.summary()
        if r.upstreams:
            self.upstreams()

    def actions(self) -> None:
        self.add('<h2 id="todo">To do this week</h2>')
        if not self.r.actions:
            self.empty("Nothing: every patch is checked, proposed or decided.")
            return
        items = []
        for action in self.r.actions:
            track = (f" <small>(track <code>{e(action.track)}</code>)</small>"
                     if action.track and len(self.r.tracks) > 1 else "")
            names = ", ".join(f"<code>{e(s)}</code>" for s in action.slugs)
            if action.more:
                names += f" and {number(action.more)} more"
            listed = f'<br><span class="why">{names}</span>' \
                if names and action.kind is not ActionKind.RESOLVE else ""
            why = f'<br><span class="why">{e(action.detail)}</span>' if action.detail else ""
            items.append(f"<li><b>{e(action.title)}</b>{track}: "
                         f'<code class="cmd">{e(action.command)}</code>{listed}{why}</li>')
        self.add('<ol class="todo">', *items, "</ol>")

    def summary(self) -> None:
        """One row per track, for reports of several."""
        self.add("<h2>Summary</h2>")
        rows = []
        for t in self.r.tracks:
            cells = [f'<td><a href="#track-{e(t.name)}"><code>{e(t.name)}</code></a></td>',
                     f"<td><code>{e(t.base)}</code></td>"]
            for key in ("patches", "lines", *CATEGORIES):
                delta = fmt.signed(t.delta(key))
                shown = number(t.counts[key]) + (f' <span class="delta">{e(delta)}</span>'
                                                 if delta else "")
                cells.append(f'<td class="num" data-v="{t.counts[key]}">{shown}</td>')
            rows.append(f"<tr>{''.join(cells)}</tr>")
        short = {"patches": "Patches", "lines": "Lines", "present": "Present",
                 "partial": "Partial", "submitted": "Open PR", "forwarded": "Forwarded",
                 "drafted": "Drafted", "unproposed": "Not proposed",
                 "downstream_only": "Downstream-only"}
        head = [("Track", ""), ("Base", "")] + [(short[k], "num")
                                               for k in ("patches", "lines", *CATEGORIES)]
        self.table(head, rows)

    def upstreams(self) -> None:
        """Several upstreams: a row and a trend per upstream, and the total
        (report/upstreams.py)."""
        self.add('<h2 id="upstreams">Upstreams</h2>')
        rows = []
        for u in self.r.upstreams:
            name = f"<b>{e(u.name)}</b>" if u.name == "total" else f"<code>{e(u.name)}</code>"
            tracks = ", ".join(f'<a href="#track-{e(t)}"><code>{e(t)}</code></a>'
                               for t in u.tracks)
            points = u.trend[-26:]
            trend = (f"<code>{e(fmt.sparkline([p.patches for p in points]))}</code> "
                     f"{number(points[0].patches)} → {number(points[-1].patches)}"
                     if len(points) >= 2 else "one report")
            cells = [f"<td>{name}</td>", f"<td>{e(u.github)}</td>", f"<td>{tracks}</td>"]
            for key in ("patches", "lines", *CATEGORIES):
                value = u.counts.get(key, 0)
                delta = fmt.signed(u.delta(key))
                shown = number(value) + (f' <span class="delta">{e(delta)}</span>'
                                         if delta else "")
                cells.append(f'<td class="num" data-v="{value}">{shown}</td>')
            cells.append(f"<td>{trend}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        head = [("Upstream", ""), ("GitHub", ""), ("Tracks", "")] + \
            [(fmt.category_title(k) if k in CATEGORIES else k.capitalize(), "num")
             for k in ("patches", "lines", *CATEGORIES)] + [("Trend (patches)", "")]
        self.table(head, rows, sortable=False)

    def track(self, t: TrackReport) -> None:
        if self.r.upstreams:  # several upstreams: the track's links go to its own
            self.gh = GitHub(*t.github)
        tid = f"track-{t.name}"
        base = e(t.base) + (f" ({a(self.gh.commit(t.base_commit))})" if t.base_commit else "")
        moved = (f" · the baseline was on <code>{e(t.baseline_base)}</code>"
                 if t.baseline_base and t.baseline_base != t.base else "")
        upstream = f" <small>(upstream <code>{e(t.upstream)}</code>)</small>" \
            if self.r.upstreams else ""
        self.add(f'<section id="{e(tid)}"><h2>Track <code>{e(t.name)}</code>{upstream}</h2>',
                 f'<p class="sub">follows <code>{e(t.follows)}</code> · base <code>{base}</code>'
                 f"{moved}</p>")
        sections = [("merged", "Newly merged"), ("changes", "Other changes"),
                    ("waiting", "Waiting for review"), ("unproposed", "Never proposed"),
                    ("person", "Needs a person"), ("matrix", "Merge matrix"),
                    ("all", "All patches")]
        self.add("<nav>" + " ".join(f'<a href="#{e(tid)}-{key}">{title}</a>'
                                    for key, title in sections) + "</nav>")
        self.cards(t)
        self.composition(t)
        self.charts(t)
        self.merged(t, f"{tid}-merged")
        self.changes(t, f"{tid}-changes")
        self.waiting(t, f"{tid}-waiting")
        self.unproposed(t, f"{tid}-unproposed")
        self.person(t, f"{tid}-person")
        self.matrix(t, f"{tid}-matrix")
        self.everything(t, f"{tid}-all")
        self.add("</section>")

    def card(self, t: TrackReport, key: str) -> str:
        delta = t.delta(key)
        mood = ""
        if delta and key in GOOD_WHEN:
            mood = " good" if (delta > 0) == (GOOD_WHEN[key] > 0) else " bad"
        delta_html = f'<span class="delta{mood}">{e(fmt.signed(delta))}</span>' \
            if delta is not None else ""
        old = t.baseline_counts.get(key) if t.baseline_counts is not None else None
        was = f'<div class="was">was {number(old)}</div>' if old is not None else ""
        color = f"var(--{key})" if key in CATEGORIES else "var(--fg)"
        return (f'<div class="card" style="border-left-color:{color}">'
                f'<div class="num"><span>{number(t.counts[key])}</span>{delta_html}</div>'
                f'<div class="label">{e(COUNT_TITLES[key])}</div>{was}</div>')

    def cards(self, t: TrackReport) -> None:
        """The headline (patches, lines, what needs a person, what nobody checked), then one
        card per state."""
        self.add('<div class="cards head">',
                 *(self.card(t, key) for key in ("patches", "lines", "needs_person",
                                                 "never_checked")),
                 '</div><div class="cards">', *(self.card(t, key) for key in CATEGORIES),
                 "</div>")
        self.add(f'<p class="muted">{e(fmt.lines_text(t.counts["added"], t.counts["removed"]))}'
                 " lines: added and removed by the carried patches</p>")

    def composition(self, t: TrackReport) -> None:
        total = t.counts["patches"]
        if not total:
            return
        spans = []
        for key in STACK:
            if t.counts[key]:
                share = 100 * t.counts[key] / total
                spans.append(f'<span style="width:{share:.2f}%;background:var(--{key})" '
                             f'title="{e(fmt.category_title(key))}: {t.counts[key]}"></span>')
        legend = "".join(f'<span><i class="dot" style="background:var(--{key})"></i>'
                         f"{e(fmt.category_title(key))} {number(t.counts[key])}</span>"
                         for key in STACK if t.counts[key])
        self.add(f'<div class="bar" role="img" aria-label="patches by state">{"".join(spans)}'
                 f'</div><div class="legend">{legend}</div>')

    def charts(self, t: TrackReport) -> None:
        points = fmt.trend_points(self.r.trend, t.name)
        markers = [(day, after) for day, _, after in fmt.base_changes(points)]
        dates = [day for day, _ in points]
        counts = [(c, fmt.category_title(c), [p.states.get(c, 0) for _, p in points])
                  for c in STACK]
        sized = [(day, p) for day, p in points if p.sizes is not None]
        lines = [(c, fmt.category_title(c), [p.sizes.get(c, (0, 0))[1] if p.sizes else 0
                                             for _, p in sized]) for c in STACK]
        total = t.counts["lines"]
        over = t.over_cap
        note = (f"Each patch counts at most {LINES_CAP:,} lines, so that "
                f"{plural(len(over), 'bulk patch', 'bulk patches')} ("
                + ", ".join(f"{r.slug}: {r.lines:,}" for r in over[:2])
                + (", ..." if len(over) > 2 else "") + ") cannot hide the rest; "
                f"the true total is {total:,}." if over else
                f"Each patch counts at most {LINES_CAP:,} lines (none is larger).")
        if len(sized) < len(points):
            note += " Older reports did not record lines by state."
        legend = "".join(f'<span><i class="dot" style="background:var(--{c})"></i>'
                         f"{e(fmt.category_title(c))}</span>"
                         for c in STACK if any(v for v in counts[STACK.index(c)][2]))
        self.add('<div class="charts">',
                 '<div class="chartbox"><h4>Patches carried, by state</h4>'
                 + stacked_chart(f"patches carried on {t.name}", dates, counts, markers)
                 + f'<div class="legend">{legend}</div></div>',
                 f'<div class="chartbox"><h4>Lines of delta, by state, each patch counted up '
                 f"to {LINES_CAP:,}</h4>"
                 + stacked_chart(f"lines of delta on {t.name}, each patch counted up to "
                                 f"{LINES_CAP} lines", [d for d, _ in sized], lines,
                                 [m for m in markers if m[0] in {d for d, _ in sized}])
                 + f"<p>{e(note)}</p></div>", "</div>")
        if len(points) < 2:
            self.add('<p class="muted">One snapshot so far: the trend grows with every report '
                     "(<code>patchq report --replay</code> rebuilds past ones from git).</p>")

    def _since(self) -> str:
        return self.r.baseline_at[:10] if self.r.baseline_at else self.r.cutoff

    def merged(self, t: TrackReport, anchor: str) -> None:
        since = self._since()
        title = f"Newly merged upstream since {e(since)}" if since else "Newly merged upstream"
        count = f" <small>{len(t.newly_merged):,}</small>" if t.newly_merged else ""
        self.add(f'<h3 id="{e(anchor)}">{title}{count}</h3>')
        if not t.newly_merged:
            self.empty("Nothing new.")
            return
        rows = []
        for ev in t.newly_merged:
            where = "<br>".join(f"<code>{e(ref.ref)}</code>" for ref in ev.refs)
            pr = a(self.gh.pr(ev.pr)) if ev.pr else ""
            if ev.pr_merged_at:
                pr += f'<br><small class="nowrap">merged {e(ev.pr_merged_at[:10])}</small>'
            series = ("dropped " + e(ev.date)) if not ev.carried and ev.date else \
                ("still carried" if ev.carried else "dropped")
            how = "<br>".join(f"{e(i.method)}" + (f" <small>{e(i.detail)}</small>"
                                                   if i.detail else "")
                              for i in ev.all_evidence[:3])
            rows.append(f"<tr>{self.event_patch(ev)}<td>{where}</td><td>{how}</td>"
                        f"<td class=\"nowrap\">{self.commits(ev.commits)}</td><td>{pr}</td>"
                        f'<td class="date">{series}</td></tr>')
        self.table([("Patch", ""), ("Found in", ""), ("Found by", ""), ("Commits", ""),
                    ("PR", ""), ("Series", "")], rows)

    def changes(self, t: TrackReport, anchor: str) -> None:
        since = self._since()
        self.add(f'<h3 id="{e(anchor)}">Other changes' + (f" since {e(since)}" if since else "")
                 + "</h3>")
        merged = {id(ev) for ev in t.newly_merged}
        others = [ev for ev in t.events if id(ev) not in merged]
        if not others:
            self.empty(f"This is the first report: the {plural(t.counts['patches'], 'patch')} "
                       "below are what the series carries now; next week's report says what "
                       "changed." if self.r.first else
                       "No patch entered or left the series, and nothing was set aside.")
            return
        rows = []
        for ev in others:
            kind = e(fmt.EVENT_TITLES[ev.kind])
            if ev.kind is EventKind.BASE_MOVED:
                commit = f" ({a(self.gh.commit(ev.to_commit))})" if ev.to_commit else ""
                rows.append(f'<tr><td class="nowrap">{kind}</td><td class="subject">'
                            f"<code>{e(ev.base_from)}</code> → <code>{e(ev.base_to)}</code>"
                            f"{commit}</td><td>{e(ev.detail)}</td>"
                            f'<td class="date">{e(ev.date)}</td></tr>')
                continue
            detail = e(fmt.left_why(ev.kind, ev.detail)) if not ev.carried else e(ev.detail)
            if ev.kind is EventKind.MERGED and ev.was == "present":
                detail += " <small>(upstream-present already)</small>"
            if ev.commits and not ev.carried:
                detail += f"<br><small>{self.commits(ev.commits)}</small>"
            if ev.kind is EventKind.NEW:
                detail = e(plural(ev.lines, "line"))
            rows.append(f'<tr><td class="nowrap">{kind}</td>{self.event_patch(ev)}'
                        f'<td>{detail}</td><td class="date">{e(ev.date)}</td></tr>')
        self.table([("Change", ""), ("Patch", ""), ("What", ""), ("Date", "")], rows)

    def waiting(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">PRs waiting for review <small>longest first</small>'
                 "</h3>")
        if not t.waiting_review:
            recorded = sum(1 for r in t.patches if r.submission == "recorded-pr")
            self.empty("No PR is open" + (
                f" as far as patchq sync saw; {plural(recorded, 'recorded PR was', 'recorded PRs were')}"
                " never checked" if recorded else "") + ".")
            return
        now = self.r.generated_at
        rows = []
        for row in t.waiting_review:
            age = fmt.days_between(row.pr_created_at, now)
            idle = fmt.days_between(row.updated_at, now)
            last = (f"{e(row.updated_at[:10])} <small>({e(fmt.human_days(idle))} ago)</small>"
                    if row.updated_at else "unknown")
            labels = " ".join(f"<code>{e(label)}</code>" for label in row.labels)
            rows.append(f'<tr><td class="nowrap">{a(self.gh.pr(row.pr))}</td>'
                        f"{self.patch_cell(row)}"
                        f'<td class="num" data-v="{_data(age)}">{e(fmt.human_days(age))}</td>'
                        f'<td class="date" data-v="{e(row.updated_at)}">{last}</td>'
                        f"<td>{e(fmt.review_title(row.review))}</td><td>{labels}</td></tr>")
        self.table([("PR", ""), ("Patch", ""), ("Open for", "num"), ("Last activity", ""),
                    ("Review", ""), ("Labels", "")], rows)

    def unproposed(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">Never proposed <small>oldest first</small></h3>')
        if not t.unproposed:
            self.empty("Every patch is upstream, proposed, drafted or downstream-only.")
            return
        rows = [f"<tr>{self.patch_cell(row)}<td>{e(row.author)}</td>"
                f"<td>{e(row.disposition)}"
                + (f"<br><small>{e(row.reason)}</small>" if row.reason else "") + "</td>"
                f'<td class="date" data-v="{e(row.dated)}">{e(row.dated or "unknown")}'
                f"<br><small>{e(fmt.human_days(row.dated_days))}</small></td>"
                f'<td class="date">{e(row.since or "unknown")}</td>'
                f'<td class="num" data-v="{row.lines}">{fmt.lines_text(row.added, row.removed)}'
                f'</td><td class="num">{row.files}</td></tr>' for row in t.unproposed]
        self.table([("Patch", ""), ("Author", ""), ("Disposition", ""), ("Dated", ""),
                    ("In the series since", ""), ("Lines", "num"), ("Files", "num")], rows)
        self.add('<p class="muted"><small><b>Dated</b>: the patch\'s own date (mail Date:, '
                 "DEP-3 Last-Update:). <b>In the series since</b>: when patchq first recorded "
                 "it in this track (its import, or the export that added it).</small></p>")

    def person(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">Needs a person</h3>')
        if not t.needs_person:
            self.empty("No conflict and no partial patch.")
            return
        rows = []
        for item in t.needs_person:
            command = (f"patchq push -t {t.name} {item.row.slug}" if item.why == "conflict"
                       else f"patchq draft -t {t.name} {item.row.slug}")
            rows.append(f"<tr>{self.patch_cell(item.row)}<td>{e(item.why)}</td>"
                        f"<td>{e(item.detail)}</td><td><code>{e(command)}</code></td></tr>")
        self.table([("Patch", ""), ("Why", ""), ("What", ""), ("Command", "")], rows)

    def matrix(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">Merge matrix <small>patches × upstream refs'
                 "</small></h3>")
        if not t.matrix_refs:
            self.empty("No upstream branch was checked yet: run patchq status.")
            return
        order = {"present": 2, "partial": 1, "absent": 0}
        rows = []
        for row in t.patches:
            cells = []
            for ref in t.matrix_refs:
                state = row.ref(ref)
                if state is None:
                    cells.append('<td class="m none" data-v="-1" title="not checked">–</td>')
                    continue
                tip = state.state + (f" ({', '.join(state.methods)})" if state.methods else "")
                if state.state == "partial" and state.hunks_total:
                    tip += f": {state.hunks_present} of {state.hunks_total} hunks"
                cells.append(f'<td class="m {e(state.state)}" data-v="{order[state.state]}" '
                             f'title="{e(tip)}">{fmt.STATE_SYMBOLS[state.state]}</td>')
            rows.append(f'<tr><td class="num pos">{row.position}</td>{self.patch_cell(row)}'
                        f"{''.join(cells)}</tr>")
        head = [("#", "pos"), ("Patch", "")] + [(f"<code>{e(ref)}</code>", "ref")
                                                for ref in t.matrix_refs]
        self.table(head, rows, extra="matrix")
        self.add('<p class="legend"><span class="m present">✓ present</span>'
                 '<span class="m partial">◐ partial</span>'
                 '<span class="m absent">○ absent</span><span class="m none">– not checked'
                 "</span><span>a rebase's new base counts as checked for every patch it kept"
                 "</span></p>")

    def everything(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">All patches <small>series order</small></h3>')
        if not t.patches:
            self.empty("The series is empty.")
            return
        rank = {c: i for i, c in enumerate(CATEGORIES)}
        rows = []
        for row in t.patches:
            rows.append(f'<tr><td class="num pos">{row.position}</td>{self.patch_cell(row)}'
                        f'<td data-v="{rank[row.category]}">{self.pill(row)}</td>'
                        f'<td class="date" data-v="{e(row.checked_at)}">'
                        f"{e(fmt.checked_text(row))}</td>"
                        f'<td class="num" data-v="{row.lines}">'
                        f"{fmt.lines_text(row.added, row.removed)}</td>"
                        f'<td class="date">{e(row.dated or "unknown")}</td>'
                        f'<td class="date">{e(row.since or "unknown")}</td>'
                        f'<td class="nowrap">{self.proposal(row)}</td></tr>')
        self.table([("#", "pos"), ("Patch", ""), ("Status", ""), ("Checked", ""),
                    ("Lines", "num"), ("Dated", ""), ("In the series since", ""),
                    ("PR / issue", "")], rows)

    def foot(self) -> None:
        r = self.r
        self.add("</main>", f"<footer>Made by patchq from upstream_map.toml, the series and "
                 f"{e(r.history_path)} ({plural(r.history_snapshots, 'earlier snapshot')}). "
                 "This page fetches nothing: it works offline.</footer>",
                 f"</div><script>{SCRIPT}</script></body></html>")


def render(report: Report) -> str:
    page = _Page(report)
    page.head()
    if not report.tracks:
        page.empty("No track to report.")
    for t in report.tracks:
        page.track(t)
    page.foot()
    return "\n".join(page.out) + "\n"
