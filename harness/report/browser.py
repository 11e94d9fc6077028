"""Open a rendered report in headless Chromium, as a person would, through the DevTools protocol.

The browser is Debian's ``chromium`` (``apt-get install -y chromium``); nothing is downloaded.
It is driven over ``--remote-debugging-pipe``: Chromium reads protocol commands from file
descriptor 3 and writes replies and events to descriptor 4, each message JSON ended by a NUL
byte. A pipe needs no port and no websocket library, so the client is the standard library.

Used by the report's browser test and to refresh the README screenshot::

    python -m harness.report.browser reports/index.html docs/report.png

Example::

    with Chromium() as page:
        page.open(Path("reports/index.html"))
        page.evaluate("document.title")
        page.click("details summary")
        page.screenshot(Path("shot.png"))
        assert page.errors() == []
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness.errors import UnsupportedError

__all__ = ["INSTALL_HINT", "LAUNCH_FLAGS", "Chromium", "BrowserError", "find_chromium"]

INSTALL_HINT = "apt-get install -y chromium (Debian), or set QHARNESS_CHROMIUM to a Chromium binary"

LAUNCH_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
)
"""Flags for a quiet, offline, throw-away browser (the profile is a fresh temporary folder)."""

_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome-headless-shell")


class BrowserError(RuntimeError):
    """The browser did not start, answer, or do what it was asked within its time limit."""


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$QHARNESS_CHROMIUM`` if set, else the first on ``PATH``; None if none."""
    explicit = os.environ.get("QHARNESS_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return next((p for p in map(shutil.which, _NAMES) if p), None)


class Chromium:
    """One headless Chromium with one page, driven over the DevTools pipe. Use as a context manager.

    Args:
        binary: the browser; default :func:`find_chromium`.
        width, height: the viewport, in CSS pixels (a laptop screen by default).
        timeout: seconds to wait for any one reply or page load.
    """

    def __init__(self, binary: str | None = None, *, width: int = 1280, height: int = 900, timeout: float = 30.0):
        self.binary = binary or find_chromium()
        if not self.binary:
            raise UnsupportedError("no Chromium browser found to open the report in", hint=INSTALL_HINT)
        self.width, self.height, self.timeout = width, height, timeout
        self._proc: subprocess.Popen | None = None
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []
        self._session: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> "Chromium":
        self._profile = tempfile.TemporaryDirectory(prefix="qharness-chromium-")
        self._log = open(Path(self._profile.name) / "stderr.log", "w+b")
        cmd_r, self._cmd_w = os.pipe()
        self._evt_r, evt_w = os.pipe()
        # Chromium wants its pipes at descriptors 3 and 4. Move our ends above 9 first, so that
        # placing one cannot overwrite the other, then place them in the child just before exec.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, evt_w)]
        os.close(cmd_r)
        os.close(evt_w)
        args = [self.binary, *LAUNCH_FLAGS, f"--user-data-dir={self._profile.name}/profile",
                "--remote-debugging-pipe", f"--window-size={self.width},{self.height}", "about:blank"]

        def place_pipes() -> None:
            os.dup2(high[0], 3)  # dup2 leaves the copy inheritable; the originals close on exec
            os.dup2(high[1], 4)

        try:
            # close_fds would close 3 and 4 after place_pipes; Python's own descriptors close on exec anyway.
            self._proc = subprocess.Popen(args, preexec_fn=place_pipes, close_fds=False,
                                          stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                          start_new_session=True)
        finally:
            for fd in high:
                os.close(fd)
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
            self._session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                      session=False)["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable")
            self._viewport(self.height)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.poll() is None:
                    self._write({"id": -1, "method": "Browser.close"})
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                # Our own browser's process group only: its renderers go with it.
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for fd in (self._cmd_w, self._evt_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        self._profile.cleanup()

    # -- protocol ----------------------------------------------------------------------------------

    def _write(self, message: dict[str, Any]) -> None:
        os.write(self._cmd_w, json.dumps(message).encode() + b"\0")

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._evt_r], [], [], left)[0]:
                raise BrowserError(f"no answer from Chromium within {self.timeout:g} s{self._stderr_tail()}")
            chunk = os.read(self._evt_r, 1 << 20)
            if not chunk:
                raise BrowserError(f"Chromium exited (code {self._proc and self._proc.poll()}){self._stderr_tail()}")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def _stderr_tail(self) -> str:
        self._log.flush()
        self._log.seek(0)
        tail = self._log.read().decode(errors="replace").strip().splitlines()[-8:]
        return (":\n  " + "\n  ".join(tail)) if tail else ""

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> dict[str, Any]:
        """Send one protocol command (to the page's session unless ``session=False``) and return its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        self._write(message)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_for(self, event: str) -> dict[str, Any]:
        """Wait for (and consume) the next ``event`` of the page, e.g. ``Page.loadEventFired``."""
        deadline = time.monotonic() + self.timeout
        while True:
            hit = next((e for e in self._events if e["method"] == event), None)
            if hit is not None:
                self._events.remove(hit)
                return hit.get("params", {})
            message = self._read(deadline)
            if "method" in message:
                self._events.append(message)

    # -- what a person does ------------------------------------------------------------------------

    def _viewport(self, height: int) -> None:
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def open(self, path: Path) -> None:
        """Load a local file and wait until it has loaded."""
        url = Path(path).resolve().as_uri()
        reply = self.send("Page.navigate", {"url": url})
        if reply.get("errorText"):
            raise BrowserError(f"cannot open {url}: {reply['errorText']}")
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able values only)."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                               "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression!r} threw: {reply['exceptionDetails'].get('text')}")
        return reply["result"].get("value")

    def click(self, selector: str) -> None:
        """Scroll the first element matching ``selector`` into view and click its centre with the mouse."""
        box = self.evaluate(f"""(() => {{ const e = document.querySelector({json.dumps(selector)});
            if (!e) return null; e.scrollIntoView({{block: "center"}}); const r = e.getBoundingClientRect();
            return {{x: r.left + Math.min(r.width / 2, 40), y: r.top + r.height / 2, w: r.width, h: r.height}}; }})()""")
        if not box or not box["w"] or not box["h"]:
            raise BrowserError(f"nothing visible to click at {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                   "button": "left", "clickCount": 1})

    def screenshot(self, path: Path, *, full_page: bool = False, max_height: int = 6000) -> Path:
        """Save a PNG of the viewport (or of the page from the top, up to ``max_height`` pixels)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            height = min(int(self.evaluate("document.documentElement.scrollHeight")), max_height)
            self.evaluate("window.scrollTo(0, 0)")
            self._viewport(height)
        try:
            data = base64.b64decode(self.send("Page.captureScreenshot", params)["data"])
        finally:
            if full_page:
                self._viewport(self.height)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads the page has reported so far."""
        out = []
        for e in self._events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append("exception: " + str(p.get("exceptionDetails", {}).get("text")))
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}".strip())
        return out


def _main(argv: list[str]) -> int:
    """``python -m harness.report.browser REPORT.html OUT.png [WIDTH HEIGHT]``: a screenshot of the report's top."""
    if len(argv) not in (2, 4):
        print(_main.__doc__, file=sys.stderr)
        return 2
    width, height = (int(argv[2]), int(argv[3])) if len(argv) == 4 else (1280, 900)
    with Chromium(width=width, height=height) as page:
        page.open(Path(argv[0]))
        out = page.screenshot(Path(argv[1]))
        for err in page.errors():
            print(f"page error: {err}", file=sys.stderr)
    print(f"{out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
