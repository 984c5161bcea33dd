"""A headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``),
with the standard library only: set the viewport (a real 400 px phone width: a plain
``--window-size`` cannot go below 500 px in headless mode) and the colour scheme, load a page,
evaluate a script, take a screenshot.

Used by tests/test_report_browser.py and benchmarks/report_realdata.py.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = Path(os.environ.get("PATCHQ_CHROMIUM", "/usr/bin/chromium"))


def available() -> bool:
    return CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)


class BrowserError(Exception):
    pass


def _high(fd: int) -> int:
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Browser:
    """One headless Chromium; ``with Browser() as b: b.open(url, 400, dark=True)``."""

    def __init__(self, timeout: float = 60) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="patchq-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # above 4, so that putting them on 3 and 4 in the child overwrites neither
        to_child_r, from_child_w = (_high(fd) for fd in (to_child_r, from_child_w))
        # chromium reads commands on fd 3 and writes answers on fd 4: a small Python puts the
        # pipes there and becomes chromium (no preexec_fn: it is unsafe with threads)
        trampoline = ("import os, sys; os.dup2(int(sys.argv[1]), 3); "
                      "os.dup2(int(sys.argv[2]), 4); os.execv(sys.argv[3], sys.argv[3:])")
        argv = [sys.executable, "-c", trampoline, str(to_child_r), str(from_child_w),
                str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars", "--mute-audio",
                f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
                # any request to the network would fail: the page must not need one
                "--host-resolver-rules=MAP * ~NOTFOUND", "about:blank"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     pass_fds=(to_child_r, from_child_w))
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next = 0
        self._events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)

    # -- the protocol -------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise BrowserError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: bool = False) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._events.append(answer)

    def wait_event(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self._events:
                if event.get("method") == method:
                    self._events.remove(event)
                    return event
            self._events.append(self._read_message(deadline))

    # -- what the tests use --------------------------------------------------------------------

    def open(self, url: str, width: int, height: int = 900, dark: bool = False) -> None:
        """Load ``url`` in a ``width`` x ``height`` viewport (a phone's below 600 px), in the
        light or dark colour scheme."""
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
            session=True)
        self.call("Emulation.setEmulatedMedia", {"features": [
            {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
            session=True)
        self._events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params: dict = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.evaluate("[document.documentElement.scrollWidth,"
                                 " document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:  # noqa: PYI034 (typing.Self is 3.11+)
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# What a reader would see wrong, measured in the page: text wider than its box (clipped or
# running into its neighbour), a page wider than the screen, SVG text outside its chart, a
# table that scrolls with no hint, and text whose contrast with what is behind it is < 4.5:1.
AUDIT = r"""
(() => {
  function rgba(text) {
    const m = /rgba?\(([^)]*)\)/.exec(text || "");
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, under) {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]);
  }
  function luminance(c) {
    const v = c.slice(0, 3).map(x => { x /= 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function background(el) {
    const chain = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) chain.push(e);
    let color = [255, 255, 255, 1];
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = rgba(getComputedStyle(chain[i]).backgroundColor);
      if (c && c[3] > 0) color = over(c, color);
    }
    return color;
  }
  function visible(el) {
    const s = getComputedStyle(el);
    return s.visibility !== "hidden" && s.display !== "none" && el.getClientRects().length > 0;
  }
  function name(el) {
    return el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\s+/).join(".") : "");
  }
  const clipped = [], contrast = [], svg = [], hints = [];
  let texts = 0, boxes = 0, lowest = 99;
  for (const el of document.body.querySelectorAll("*")) {
    if (!visible(el) || el.closest("svg")) continue;
    const s = getComputedStyle(el);
    const scrolls = s.overflowX === "auto" || s.overflowX === "scroll";
    if (el.clientWidth > 0 && !s.display.startsWith("inline") && !s.display.startsWith("table")) {
      boxes++;
      if (!scrolls && el.scrollWidth > el.clientWidth + 1)
        clipped.push({el: name(el), text: el.textContent.trim().slice(0, 80),
                      scrollWidth: el.scrollWidth, clientWidth: el.clientWidth});
    }
    if (el.classList.contains("scroll") && el.scrollWidth > el.clientWidth + 1) {
      const hint = el.nextElementSibling;
      if (!hint || !hint.classList.contains("hint") || !visible(hint))
        hints.push({el: name(el), text: el.textContent.trim().slice(0, 60)});
    }
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    texts++;
    const bg = background(el), fg = over(rgba(s.color), bg);
    const L1 = luminance(fg), L2 = luminance(bg);
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    lowest = Math.min(lowest, ratio);
    if (ratio < 4.5)
      contrast.push({el: name(el), text: el.textContent.trim().slice(0, 60),
                     ratio: Math.round(ratio * 100) / 100, color: s.color,
                     background: "rgb(" + bg.slice(0, 3).map(Math.round).join(",") + ")"});
  }
  for (const t of document.querySelectorAll("svg text")) {
    const root = t.ownerSVGElement, box = t.getBBox(), view = root.viewBox.baseVal;
    texts++;
    if (box.x < view.x - 0.5 || box.y < view.y - 0.5 || box.x + box.width > view.x + view.width + 0.5
        || box.y + box.height > view.y + view.height + 0.5)
      svg.push({text: t.textContent, x: box.x, width: box.width, view: view.width});
    const bg = background(root), fg = over(rgba(getComputedStyle(t).fill), bg);
    const L1 = luminance(fg), L2 = luminance(bg);
    const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
    lowest = Math.min(lowest, ratio);
    if (ratio < 4.5)
      contrast.push({el: "svg text", text: t.textContent, ratio: Math.round(ratio * 100) / 100,
                     color: getComputedStyle(t).fill});
  }
  const page = document.documentElement;
  return {width: innerWidth, dark: matchMedia("(prefers-color-scheme: dark)").matches,
          pageWidth: page.scrollWidth, boxes, texts, lowest: Math.round(lowest * 100) / 100,
          clipped, contrast, svg, hints,
          scrollers: document.querySelectorAll(".scroll.more").length,
          visibleHints: Array.from(document.querySelectorAll(".hint")).filter(visible).length};
})()
"""
