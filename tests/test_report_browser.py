"""The HTML report in a real headless browser (Debian's chromium), at a phone's width and a
desktop's, with screenshots. Opt-in: skipped when /usr/bin/chromium is absent. Set
PATCHQ_SCREENSHOTS=DIR to keep the screenshots."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
import report_sample
from helpers import patchq

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


def chromium(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    argv = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", "--hide-scrollbars",
            # any request to the network would fail: the page must not need one
            "--host-resolver-rules=MAP * ~NOTFOUND", *args, url]
    return subprocess.run(argv, capture_output=True, timeout=120, check=False)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    repo = report_sample.build(root / "patches")
    out = root / "report.html"
    os.environ["PATCHQ_NOW"] = report_sample.NOW
    try:
        res = patchq("-C", str(repo), "report", "--format", "html", "--out", str(out),
                     "--no-record")
    finally:
        del os.environ["PATCHQ_NOW"]
    assert res.code == 0, res.text
    return out


@pytest.mark.parametrize(("name", "width", "height"), [("phone", 390, 2600),
                                                       ("desktop", 1366, 2200)])
def test_the_page_renders_at_phone_and_desktop_widths(page, tmp_path, name, width, height):
    shot = tmp_path / f"report-{name}.png"
    res = chromium(tmp_path, page.as_uri(), f"--window-size={width},{height}",
                   f"--screenshot={shot}")
    assert shot.exists(), res.stderr.decode(errors="replace")[-2000:]
    assert png_size(shot) == (width, height)
    assert shot.stat().st_size > 20_000  # a page with charts and tables, not a blank one
    keep = os.environ.get("PATCHQ_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def test_the_page_runs_its_script_and_shows_escaped_subjects(page, tmp_path):
    res = chromium(tmp_path, page.as_uri(), "--dump-dom")
    dom = res.stdout.decode()
    assert "<h1>Upstream status</h1>" in dom
    # the inline sorter ran: it makes every sortable column head focusable
    assert 'data-sort="" tabindex="0"' in dom
    # the subject with markup is text, not an element
    assert "Quote &lt;script&gt;alert(\"x\")&lt;/script&gt;" in dom
    assert dom.count("<script") == 1
