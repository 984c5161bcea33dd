"""The HTML report's inline style and script (nothing is fetched).

Colours: every text colour reaches a contrast of at least 4.5:1 on the background it sits on,
in light and in dark mode (``tests/test_report_browser.py`` measures it in a real browser).
Pills put dark text on the bright dark-mode colours and white text on the deeper light ones.
"""

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--link:#0969da;
--present:#1a7f37;--partial:#9a6700;--submitted:#0969da;--forwarded:#1b7c83;--drafted:#8250df;
--unproposed:#cf222e;--downstream_only:#6e7781;--good:#1a7f37;--bad:#cf222e;--warn-bg:#fff8c5;
--warn:#7d4e00;--pill-fg:#fff;--marker:#59636e}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;
--card:#151b23;--line:#3d444d;--link:#4493f8;--present:#3fb950;--partial:#d29922;
--submitted:#4493f8;--forwarded:#39c5cf;--drafted:#ab7df8;--unproposed:#f85149;
--downstream_only:#9198a1;--good:#3fb950;--bad:#f85149;--warn-bg:#272115;--warn:#d29922;
--pill-fg:#0d1117;--marker:#9198a1}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1180px;margin:0 auto;padding:16px}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:1.6em;margin:.2em 0 .1em}h2{font-size:1.35em;margin:1.6em 0 .3em;
padding-top:.6em;border-top:2px solid var(--line)}h3{font-size:1.08em;margin:1.6em 0 .5em}
.sub,.muted,small{color:var(--muted)}
.sub{overflow-wrap:anywhere}
.nowrap{white-space:nowrap}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
nav{margin:.8em 0;display:flex;flex-wrap:wrap;gap:.3em .9em;font-size:.92em}
.warn{background:var(--warn-bg);color:var(--warn);border-radius:6px;padding:.5em .8em;
margin:.5em 0;overflow-wrap:anywhere}
.todo{background:var(--card);border-radius:8px;padding:.6em 1em .6em 2.4em;margin:.8em 0}
.todo li{margin:.35em 0;overflow-wrap:anywhere}
.todo code.cmd{background:var(--bg);border:1px solid var(--line);border-radius:4px;
padding:0 .3em;overflow-wrap:anywhere}
.todo .why{color:var(--muted);font-size:.9em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(132px,1fr));gap:8px;
margin:.6em 0}
.cards.head{grid-template-columns:repeat(auto-fit,minmax(200px,1fr))}
.cards.head .num{font-size:2em}
.card{background:var(--card);border-radius:8px;padding:.6em .8em;border-left:4px solid
var(--line);min-width:0}
.card .num{font-size:1.7em;font-weight:650;line-height:1.2;font-variant-numeric:tabular-nums;
display:flex;flex-wrap:wrap;align-items:baseline;column-gap:.35em}
.card .label{font-size:.88em;color:var(--muted);overflow-wrap:anywhere}
.card .was{font-size:.82em;color:var(--muted)}
.delta{font-size:.8em;font-weight:600;color:var(--muted);white-space:nowrap}
td .delta{margin-left:.35em}
.delta.good{color:var(--good)}.delta.bad{color:var(--bad)}
.bar{display:flex;height:12px;border-radius:6px;overflow:hidden;margin:.4em 0 .3em;
background:var(--card)}
.bar span{display:block;height:100%}
.legend{display:flex;flex-wrap:wrap;gap:.2em 1em;font-size:.85em;color:var(--muted)}
.dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.3em;
vertical-align:baseline}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px;
margin:.6em 0}
.chartbox{background:var(--card);border-radius:8px;padding:.5em .7em;min-width:0}
.chartbox h4{margin:0;font-size:.9em;font-weight:600;color:var(--muted)}
.chartbox p{margin:.2em 0 0;font-size:.82em;color:var(--muted)}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:var(--line);stroke-width:1}
svg .tick{fill:var(--muted);font-size:11px}
svg .value{fill:var(--fg);font-size:12px;font-weight:600}
svg .band{opacity:.85}
svg .dot{fill:var(--fg)}
svg .marker{stroke:var(--marker);stroke-width:1.2;stroke-dasharray:4 3}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);
border-radius:8px}
.hint{display:none;margin:.2em 0 0;font-size:.82em;color:var(--muted)}
.scroll.more+.hint{display:block}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{padding:.45em .65em;text-align:left;vertical-align:top;border-bottom:1px solid
var(--line)}
tr:last-child td{border-bottom:0}
th{background:var(--card);font-weight:600;white-space:nowrap;position:relative}
th[data-sort]{cursor:pointer;user-select:none}
th[data-sort]::after{content:"\\2195";color:var(--muted);margin-left:.3em;font-size:.85em}
th[aria-sort=ascending]::after{content:"\\2191";color:var(--fg)}
th[aria-sort=descending]::after{content:"\\2193";color:var(--fg)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.subject{min-width:14em}
td .slug{display:block;color:var(--muted);font-size:.8em;overflow-wrap:anywhere}
td a.slug{color:var(--link)}
td.nowrap,td.date{white-space:nowrap}
th.pos,td.pos{width:1%}
table.matrix{width:auto;min-width:60%}
table.matrix td.m,table.matrix th.ref{width:5.5em;text-align:center}
td .slug.main{color:var(--fg);font-size:.92em}
.pill{display:inline-block;border-radius:999px;padding:0 .55em;font-size:.8em;
font-weight:600;color:var(--pill-fg);white-space:nowrap}
.pill.unchecked,.pill.note{background:transparent;color:var(--muted);border:1px solid
var(--line)}
.m{text-align:center;font-weight:700;white-space:nowrap}
.m{font-size:1.05em}.m.present{color:var(--present)}.m.partial{color:var(--partial)}
.m.absent,.m.none{color:var(--muted)}
.empty{color:var(--muted);font-style:italic;margin:.3em 0}
footer{margin:2.5em 0 1em;color:var(--muted);font-size:.85em}
@media (max-width:600px){body{font-size:14px}.wrap{padding:12px}td.subject{min-width:11em}
.cards,.cards.head{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.card .num,.cards.head .num{font-size:1.4em}
th,td{padding:.4em .5em}.todo{padding-left:1.8em}}
@media print{.scroll{overflow:visible;border:0}th[data-sort]::after{content:""}.hint{display:none}}
"""

# Sorting: a click on a column head sorts by the cells' data-v (or their text); numbers as
# numbers. Then a table wider than its box gets the class "more", which shows the hint under
# it ("scroll sideways"). Inline, a few lines, nothing fetched.
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
function patchqHints(){
  document.querySelectorAll(".scroll").forEach(function(box){
    box.classList.toggle("more", box.scrollWidth > box.clientWidth + 1);
  });
}
patchqHints();
window.addEventListener("resize", patchqHints);
"""
