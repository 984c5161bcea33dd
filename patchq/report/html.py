"""The report as one self-contained HTML page. Pure.

No file, font, script or style is fetched: the CSS, the SVG charts and a small sorting script
are inline, so the page opens offline and can be mailed or kept as a CI artifact. It reads on
a phone (cards wrap, wide tables scroll sideways) and on a wide screen. Every text that comes
from patches or the map is escaped.
"""

from __future__ import annotations

from html import escape

from . import fmt
from .chart import line_chart
from .links import GitHub, Link
from .model import CATEGORIES, COUNT_TITLES, PatchRow, Report, TrackReport

# a change in this direction is good news (the road to carrying no patches)
GOOD_WHEN = {"patches": -1, "lines": -1, "present": 1, "unproposed": -1, "never_checked": -1,
             "needs_person": -1}

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--link:#0969da;
--present:#1a7f37;--partial:#9a6700;--submitted:#0969da;--drafted:#8250df;--unproposed:#cf222e;
--downstream_only:#6e7781;--good:#1a7f37;--bad:#cf222e;--warn-bg:#fff8c5;--warn:#7d4e00}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;
--card:#151b23;--line:#3d444d;--link:#4493f8;--present:#3fb950;--partial:#d29922;
--submitted:#4493f8;--drafted:#ab7df8;--unproposed:#f85149;--downstream_only:#9198a1;
--good:#3fb950;--bad:#f85149;--warn-bg:#272115;--warn:#d29922}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1180px;margin:0 auto;padding:16px}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:1.6em;margin:.2em 0 .1em}h2{font-size:1.35em;margin:1.6em 0 .3em;
padding-top:.6em;border-top:2px solid var(--line)}h3{font-size:1.08em;margin:1.6em 0 .5em}
.sub,.muted,small{color:var(--muted)}
.nowrap{white-space:nowrap}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
nav{margin:.8em 0;display:flex;flex-wrap:wrap;gap:.3em .9em;font-size:.92em}
.warn{background:var(--warn-bg);color:var(--warn);border-radius:6px;padding:.5em .8em;
margin:.5em 0;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));gap:10px;
margin:.8em 0}
.card{background:var(--card);border-radius:8px;padding:.6em .8em;border-left:4px solid
var(--line)}
.card .num{font-size:1.7em;font-weight:650;line-height:1.2;font-variant-numeric:tabular-nums}
.card .label{font-size:.88em;color:var(--muted)}
.card .was{font-size:.82em;color:var(--muted)}
.delta{font-size:.8em;font-weight:600;margin-left:.35em;color:var(--muted)}
.delta.good{color:var(--good)}.delta.bad{color:var(--bad)}
.bar{display:flex;height:12px;border-radius:6px;overflow:hidden;margin:.4em 0 .3em;
background:var(--card)}
.bar span{display:block;height:100%}
.legend{display:flex;flex-wrap:wrap;gap:.2em 1em;font-size:.85em;color:var(--muted)}
.dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.3em;
vertical-align:baseline}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px;
margin:.6em 0}
.chartbox{background:var(--card);border-radius:8px;padding:.5em .7em}
.chartbox h4{margin:0;font-size:.9em;font-weight:600;color:var(--muted)}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:var(--line);stroke-width:1}
svg .tick{fill:var(--muted);font-size:11px}
svg .value{fill:var(--fg);font-size:12px;font-weight:600}
svg .line{fill:none;stroke-width:2.2;stroke-linejoin:round}
svg .area{opacity:.12}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);
border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{padding:.45em .65em;text-align:left;vertical-align:top;border-bottom:1px solid
var(--line)}
tr:last-child td{border-bottom:0}
th{background:var(--card);font-weight:600;white-space:nowrap;position:relative}
th[data-sort]{cursor:pointer;user-select:none}
th[data-sort]::after{content:"\\2195";opacity:.35;margin-left:.3em;font-size:.85em}
th[aria-sort=ascending]::after{content:"\\2191";opacity:.9}
th[aria-sort=descending]::after{content:"\\2193";opacity:.9}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.subject{min-width:14em}
td .slug{display:block;color:var(--muted);font-size:.8em;overflow-wrap:anywhere}
td.nowrap,td.date{white-space:nowrap}
th.pos,td.pos{width:1%}
table.matrix{width:auto;min-width:60%}
table.matrix td.m,table.matrix th.ref{width:5.5em;text-align:center}
td .slug.main{color:var(--fg);font-size:.92em}
.pill{display:inline-block;border-radius:999px;padding:0 .55em;font-size:.8em;
font-weight:600;color:#fff;white-space:nowrap}
.pill.unchecked{background:transparent;color:var(--muted);border:1px solid var(--line)}
.m{text-align:center;font-weight:700;white-space:nowrap}
.m{font-size:1.05em}.m.present{color:var(--present)}.m.partial{color:var(--partial)}.m.absent{color:var(--muted)}
.m.none{color:var(--line)}
.empty{color:var(--muted);font-style:italic;margin:.3em 0}
footer{margin:2.5em 0 1em;color:var(--muted);font-size:.85em}
@media (max-width:600px){body{font-size:14px}.wrap{padding:12px}td.subject{min-width:11em}
.cards{grid-template-columns:repeat(2,1fr);gap:8px}.card .num{font-size:1.4em}
th,td{padding:.4em .5em}}
@media print{.scroll{overflow:visible;border:0}th[data-sort]::after{content:""}}
"""

# Sorting: a click on a column head sorts by the cells' data-v (or their text); numbers as
# numbers. Inline, a few lines, nothing fetched.
SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function(table){
  table.querySelectorAll("th[data-sort]").forEach(function(th, col){
    th.tabIndex = 0;
    function sort(){
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function(h){ h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var index = Array.prototype.indexOf.call(th.parentNode.children, th);
      function key(row){
        var cell = row.children[index], v = cell.getAttribute("data-v");
        if (v === null) v = cell.textContent.trim();
        var n = parseFloat(v);
        return (v !== "" && !isNaN(n) && isFinite(v)) ? [0, n] : [1, v.toLowerCase()];
      }
      rows.sort(function(a, b){
        var x = key(a), y = key(b), r = 0;
        if (x[0] !== y[0]) r = x[0] - y[0];
        else r = x[1] < y[1] ? -1 : (x[1] > y[1] ? 1 : 0);
        return up ? r : -r;
      });
      rows.forEach(function(row){ body.appendChild(row); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function(e){ if (e.key === "Enter") sort(); });
  });
});
"""


def e(value: object) -> str:
    return escape(str(value), quote=True)


def a(item: Link) -> str:
    if item.url.startswith(("https://", "http://")):
        return f'<a href="{e(item.url)}">{e(item.text)}</a>'
    return e(item.text)


def number(value: int) -> str:
    return f"{value:,}"


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

    def patch_cell(self, row: PatchRow) -> str:
        return (f'<td class="subject" data-v="{e(row.subject.lower())}">{self.subject(row.subject)}'
                f'<span class="slug mono">{e(row.slug)}</span></td>')

    def pill(self, row: PatchRow) -> str:
        title = fmt.category_title(row.category)
        pill = (f'<span class="pill" style="background:var(--{row.category})">'
                f"{e(title)}</span>")
        if not row.checked:
            pill += ' <span class="pill unchecked">never checked</span>'
        return pill

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
                 "<tbody>", *rows, "</tbody></table></div>")

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
        if r.never_checked:
            warnings.append("No upstream status is recorded yet: every patch is <b>never "
                            "checked</b>. Run <code>patchq status</code> and <code>patchq "
                            "sync</code>, then report again.")
        warnings.extend(e(p.text(r.history_path)) for p in r.history_problems)
        warnings.extend(e(p) for p in r.problems)
        for warning in warnings:
            self.add(f'<div class="warn" role="note">{warning}</div>')
        self.add("</header><main>")
        if len(r.tracks) > 1:
            self.summary()

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
                 "partial": "Partial", "submitted": "Open PR", "drafted": "Drafted",
                 "unproposed": "Not proposed", "downstream_only": "Downstream-only"}
        head = [("Track", ""), ("Base", "")] + [(short[k], "num")
                                               for k in ("patches", "lines", *CATEGORIES)]
        self.table(head, rows)

    def track(self, t: TrackReport) -> None:
        tid = f"track-{t.name}"
        base = e(t.base) + (f" ({a(self.gh.commit(t.base_commit))})" if t.base_commit else "")
        moved = (f" · the baseline was on <code>{e(t.baseline_base)}</code>"
                 if t.baseline_base and t.baseline_base != t.base else "")
        self.add(f'<section id="{e(tid)}"><h2>Track <code>{e(t.name)}</code></h2>',
                 f'<p class="sub">follows <code>{e(t.follows)}</code> · base <code>{base}</code>'
                 f"{moved}</p>")
        sections = [("merged", "Newly merged"), ("changes", "New &amp; removed"),
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

    def cards(self, t: TrackReport) -> None:
        self.add('<div class="cards">')
        for key in ("patches", "lines", *CATEGORIES):
            delta = t.delta(key)
            mood = ""
            if delta and key in GOOD_WHEN:
                mood = " good" if (delta > 0) == (GOOD_WHEN[key] > 0) else " bad"
            delta_html = f'<span class="delta{mood}">{e(fmt.signed(delta))}</span>' \
                if delta is not None else ""
            old = t.baseline_counts.get(key) if t.baseline_counts is not None else None
            was = f'<div class="was">was {number(old)}</div>' if old is not None else ""
            color = f"var(--{key})" if key in CATEGORIES else "var(--fg)"
            self.add(f'<div class="card" style="border-left-color:{color}">'
                     f'<div class="num">{number(t.counts[key])}{delta_html}</div>'
                     f'<div class="label">{e(COUNT_TITLES[key])}</div>{was}</div>')
        self.add("</div>")
        extra = []
        if t.counts["never_checked"]:
            extra.append(f"{t.counts['never_checked']} never checked upstream")
        if t.counts["needs_person"]:
            extra.append(f"{t.counts['needs_person']} need a person")
        extra.append(f"+{number(t.counts['added'])} −{number(t.counts['removed'])} lines")
        self.add(f'<p class="muted">{e(" · ".join(extra))}</p>')

    def composition(self, t: TrackReport) -> None:
        total = t.counts["patches"]
        if not total:
            return
        spans = []
        for key in CATEGORIES:
            if t.counts[key]:
                share = 100 * t.counts[key] / total
                spans.append(f'<span style="width:{share:.2f}%;background:var(--{key})" '
                             f'title="{e(fmt.category_title(key))}: {t.counts[key]}"></span>')
        legend = "".join(f'<span><i class="dot" style="background:var(--{key})"></i>'
                         f"{e(fmt.category_title(key))} {t.counts[key]}</span>"
                         for key in CATEGORIES if t.counts[key])
        self.add(f'<div class="bar" role="img" aria-label="patches by state">{"".join(spans)}'
                 f'</div><div class="legend">{legend}</div>')

    def charts(self, t: TrackReport) -> None:
        points = [p for p in self.r.trend if t.name in p.tracks]
        patches = [(p.date, p.tracks[t.name][0]) for p in points]
        lines = [(p.date, p.tracks[t.name][1]) for p in points]
        note = "" if len(points) > 1 else \
            '<p class="muted">One snapshot so far: the trend grows with every report.</p>'
        self.add('<div class="charts">',
                 '<div class="chartbox"><h4>Patches carried</h4>'
                 f'{line_chart(f"patches carried on {t.name}", patches, "var(--link)")}</div>',
                 '<div class="chartbox"><h4>Lines of delta carried</h4>'
                 f'{line_chart(f"lines of delta on {t.name}", lines, "var(--drafted)")}</div>',
                 f"</div>{note}")

    def merged(self, t: TrackReport, anchor: str) -> None:
        since = self.r.baseline_at[:10] if self.r.baseline_at else self.r.cutoff
        title = f"Newly merged upstream since {e(since)}" if since else "Newly merged upstream"
        self.add(f'<h3 id="{e(anchor)}">{title}</h3>')
        if not t.newly_merged:
            self.empty("Nothing new.")
            return
        rows = []
        for item in t.newly_merged:
            where = []
            for ref in item.refs:
                commits = ", ".join(a(self.gh.commit(c)) for c in ref.commits[:3])
                how = e(", ".join(ref.methods))
                detail = " ".join(x for x in (how, commits) if x)
                where.append(f"<code>{e(ref.ref)}</code>" + (f" <small>{detail}</small>"
                                                              if detail else ""))
            pr = a(self.gh.pr(item.pr)) if item.pr else ""
            if item.pr_merged_at:
                pr += f'<br><small class="nowrap">merged {e(item.pr_merged_at[:10])}</small>'
            dropped = ("dropped " + e(item.dropped)) if item.dropped else \
                ("still carried" if item.carried else "dropped")
            if item.subject:
                patch = (f'{self.subject(item.subject)}<span class="slug mono">{e(item.slug)}'
                         "</span>")
            else:
                patch = f'<span class="slug main mono">{e(item.slug)}</span>'
            rows.append(f'<tr><td class="subject" data-v="{e(item.slug)}">{patch}</td>'
                        f"<td>{'<br>'.join(where)}</td><td>{pr}</td><td class=\"date\">{dropped}</td></tr>")
        self.table([("Patch", ""), ("Found in", ""), ("PR", ""), ("Series", "")], rows)

    def changes(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">New and removed patches</h3>')
        if not t.added and not t.removed:
            self.empty("No patch entered or left the series.")
            return
        rows = []
        for row in t.added:
            rows.append(f'<tr><td>new</td>{self.patch_cell(row)}'
                        f'<td class="num" data-v="{row.lines}">+{row.added} −{row.removed}</td>'
                        f'<td class="date">{e(row.since)}</td></tr>')
        for item in t.removed:
            rows.append(f'<tr><td>removed</td><td class="subject" data-v="{e(item.slug)}">'
                        f'{e(fmt.removed_why(item.outcome))}<span class="slug mono">'
                        f'{e(item.slug)}</span></td><td class="num"></td>'
                        f'<td class="date">{e(item.dropped)}</td></tr>')
        self.table([("Change", ""), ("Patch", ""), ("Lines", "num"), ("Date", "")], rows)

    def waiting(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">PRs waiting for review <small>longest first</small>'
                 "</h3>")
        if not t.waiting_review:
            self.empty("No PR is open.")
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
                        f'<td class="num" data-v="{age if age is not None else -1}">'
                        f"{e(fmt.human_days(age))}</td>"
                        f'<td class="date" data-v="{e(row.updated_at)}">{last}</td>'
                        f"<td>{e(fmt.review_title(row.review))}</td><td>{labels}</td></tr>")
        self.table([("PR", ""), ("Patch", ""), ("Open for", "num"), ("Last activity", ""),
                    ("Review", ""), ("Labels", "")], rows)

    def unproposed(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">Never proposed <small>oldest first</small></h3>')
        if not t.unproposed:
            self.empty("Every patch is upstream, proposed, drafted or downstream-only.")
            return
        rows = [f'<tr>{self.patch_cell(row)}<td class="nowrap">{e(row.since or "unknown")}</td>'
                f'<td class="num" data-v="{row.age_days if row.age_days is not None else -1}">'
                f"{e(fmt.human_days(row.age_days))}</td>"
                f'<td class="num" data-v="{row.lines}">+{row.added} −{row.removed}</td>'
                f'<td class="num">{row.files}</td></tr>' for row in t.unproposed]
        self.table([("Patch", ""), ("Carried since", ""), ("Age", "num"), ("Lines", "num"),
                    ("Files", "num")], rows)

    def person(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">Needs a person</h3>')
        if not t.needs_person:
            self.empty("No conflict and no partial patch.")
            return
        rows = [f"<tr>{self.patch_cell(item.row)}<td>{e(item.why)}</td>"
                f"<td>{e(item.detail)}</td></tr>" for item in t.needs_person]
        self.table([("Patch", ""), ("Why", ""), ("What to do", "")], rows)

    def matrix(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">Merge matrix <small>patches × upstream branches'
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
                 "</span></p>")

    def everything(self, t: TrackReport, anchor: str) -> None:
        self.add(f'<h3 id="{e(anchor)}">All patches <small>series order; age since each '
                 "entered the series</small></h3>")
        if not t.patches:
            self.empty("The series is empty.")
            return
        rank = {c: i for i, c in enumerate(CATEGORIES)}
        rows = []
        for row in t.patches:
            if row.pr:
                sub = a(self.gh.pr(row.pr))
            elif row.issue:
                sub = a(self.gh.issue(row.issue))
            else:
                sub = ""
            rows.append(f'<tr><td class="num pos">{row.position}</td>{self.patch_cell(row)}'
                        f'<td data-v="{rank[row.category]}">{self.pill(row)}</td>'
                        f'<td class="num" data-v="{row.lines}">+{row.added} −{row.removed}</td>'
                        f'<td class="nowrap">{e(row.since or "unknown")}</td>'
                        f'<td class="num" data-v="{row.age_days if row.age_days is not None else -1}">'
                        f"{e(fmt.human_days(row.age_days))}</td>"
                        f'<td class="nowrap">{sub}</td></tr>')
        self.table([("#", "pos"), ("Patch", ""), ("Status", ""), ("Lines", "num"),
                    ("Since", ""), ("Age", "num"), ("PR / issue", "")], rows)

    def foot(self) -> None:
        r = self.r
        self.add("</main>", f"<footer>Made by patchq from upstream_map.toml, the series and "
                 f"{e(r.history_path)} ({r.history_snapshots} earlier snapshots). "
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
