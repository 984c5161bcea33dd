"""The HTML report in a real headless browser (Debian's chromium), measured, not only looked
at: at 400, 1280 and 1366 px wide, in light and dark mode, on a sample with Debian's numbers
(62 patches a week ago, tens of thousands of lines, 36 merged, 3 set aside), no text is wider
than its box, the page is no wider than the screen, every table that scrolls says so, and every
text has a contrast of at least 4.5:1 with what is behind it. Screenshots of each are taken.

Runs when /usr/bin/chromium exists (``apt-get install chromium``; .ci/run installs it).
``PATCHQ_NO_BROWSER=1`` skips these tests on a laptop; ``PATCHQ_BROWSER=required`` (CI, once
chromium is installed) makes a missing browser a failure instead of a skip.
``PATCHQ_SCREENSHOTS=DIR`` keeps the screenshots.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path

import cdp
import pytest
import report_sample
from helpers import patchq


def _skip_reason() -> str:
    if os.environ.get("PATCHQ_NO_BROWSER"):
        return "PATCHQ_NO_BROWSER is set"
    if not cdp.available():
        if os.environ.get("PATCHQ_BROWSER") == "required":
            return ""  # the fixture fails
        return f"needs Debian's chromium ({cdp.CHROMIUM})"
    return ""


pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(bool(_skip_reason()), reason=_skip_reason() or "-")]

WIDTHS = (400, 1280, 1366)
HEIGHT = 1000


def render(repo: Path, out: Path) -> Path:
    os.environ["PATCHQ_NOW"] = report_sample.NOW
    try:
        res = patchq("-C", str(repo), "report", "--format", "html", "--out", str(out),
                     "--no-record")
    finally:
        del os.environ["PATCHQ_NOW"]
    assert res.code == 0, res.text
    return out


@pytest.fixture(scope="module")
def browser():
    if not cdp.available():
        pytest.fail(f"PATCHQ_BROWSER=required but {cdp.CHROMIUM} is missing")
    with cdp.Browser() as b:
        yield b


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser-large")
    return render(report_sample.build_large(root / "patches"), root / "report.html")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser-small")
    return render(report_sample.build(root / "patches"), root / "report.html")


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def keep(shot: Path) -> None:
    where = os.environ.get("PATCHQ_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(where) / shot.name)


def audit(browser, page: Path, width: int, dark: bool) -> dict:
    browser.open(page.as_uri(), width, HEIGHT, dark=dark)
    return browser.evaluate(cdp.AUDIT)


def check(found: dict, width: int, dark: bool) -> None:
    """Everything the audit measured, as one readable failure."""
    assert found["width"] == width and found["dark"] is dark
    problems = {key: found[key] for key in ("clipped", "contrast", "svg", "hints") if found[key]}
    assert not problems, json.dumps(problems, indent=1)[:3000]
    assert found["pageWidth"] <= width, f"the page is {found['pageWidth']} px wide"
    assert found["lowest"] >= 4.5
    assert found["texts"] > 300 and found["boxes"] > 100  # it measured a whole report


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_no_clipped_text_and_enough_contrast_on_a_large_real_sized_report(
        browser, large, tmp_path, width, dark):
    found = audit(browser, large, width, dark)
    check(found, width, dark)
    if width == 400:
        # phones: the wide tables scroll sideways, and say so
        assert found["scrollers"] >= 3 and found["visibleHints"] == found["scrollers"]
    else:
        assert found["visibleHints"] == found["scrollers"]
    shot = browser.screenshot(tmp_path / f"report-{width}-{'dark' if dark else 'light'}.png")
    assert png_size(shot) == (width, HEIGHT)
    assert shot.stat().st_size > 20_000  # a page with cards and charts, not a blank one
    keep(shot)


def test_the_headline_numbers_are_whole_at_every_width(browser, large):
    for width in WIDTHS:
        browser.open(large.as_uri(), width, HEIGHT)
        cards = browser.evaluate("""Array.from(document.querySelectorAll('.card')).map(c => {
            const num = c.querySelector('.num'), box = c.getBoundingClientRect();
            return {text: num.textContent, fits: Array.from(num.children).every(s => {
                const r = s.getBoundingClientRect();
                return r.left >= box.left - 0.5 && r.right <= box.right + 0.5; })}; })""")
        texts = [c["text"] for c in cards]
        assert "18,506−2,712" in texts and "26−36" in texts, texts
        assert all(c["fits"] for c in cards), (width, cards)


def test_the_small_sample_renders_and_its_script_runs(browser, small, tmp_path):
    for width in (400, 1366):
        check(audit(browser, small, width, False), width, False)
    dom = browser.evaluate("document.documentElement.outerHTML")
    assert "<h1>Upstream status</h1>" in dom
    # the inline sorter ran: it makes every sortable column head focusable
    assert 'data-sort="" tabindex="0"' in dom
    # the subject with markup is text, not an element
    assert "Quote &lt;script&gt;alert(\"x\")&lt;/script&gt;" in dom
    assert dom.count("<script") == 1
    order = browser.evaluate("""(() => {
        const th = Array.from(document.querySelectorAll('th')).find(h =>
            h.textContent.startsWith('Lines') && h.closest('section'));
        th.click();
        const table = th.closest('table'), i = Array.from(th.parentNode.children).indexOf(th);
        return Array.from(table.tBodies[0].rows).map(r => +r.children[i].dataset.v); })()""")
    assert order == sorted(order)
