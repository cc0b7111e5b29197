"""Open an HTML report in Debian's headless Chromium and record what the page did.

Driven over the DevTools protocol on `--remote-debugging-pipe` (Chromium reads commands on
fd 3 and writes replies and events on fd 4, each JSON message ended by a NUL byte), so no
browser-automation package is needed. Name resolution is disabled with
`--host-resolver-rules` and every request the page makes is recorded, so a test can assert
the report loads nothing but itself.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BrowserRun", "chromium", "open_in_browser"]

TIMEOUT_S = 90.0
_VIEWPORT = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}

# Puts the pipe ends on fds 3 and 4, then becomes Chromium (the fds to dup are >= 10, so
# neither dup2 can overwrite the other's source).
_TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class BrowserRun:
    """What happened while the page loaded."""

    requests: list[str] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log_entries: list[dict[str, Any]] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes = b""
    pdf: bytes = b""

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and browser log errors, one line each."""
        found = [
            f"console.{c.get('type')}: {c.get('args')}"
            for c in self.console
            if c.get("type") in ("error", "assert", "warning")
        ]
        found += [f"exception: {e.get('text')} {e.get('exception')}" for e in self.exceptions]
        found += [
            f"log {e.get('source')}/{e.get('level')}: {e.get('text')} ({e.get('url')})"
            for e in self.log_entries
            if e.get("level") in ("error", "warning")
        ]
        return found + [f"dialog: {d}" for d in self.dialogs]


class _Pipe:
    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd = write_fd
        self.read_fd = read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.deadline = time.monotonic() + TIMEOUT_S

    def _read_message(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 16)
                if not chunk:
                    raise EOFError("chromium closed the DevTools pipe")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(index)
        while True:
            event = self._read_message()
            if event.get("method") == method:
                return event
            self.events.append(event)


def _launch(browser: str, profile: Path) -> tuple[subprocess.Popen[bytes], _Pipe]:
    to_browser_read, to_browser_write = os.pipe()
    from_browser_read, from_browser_write = os.pipe()
    child_in = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
    child_out = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
    for fd in (to_browser_read, from_browser_write):
        os.close(fd)
    args = [
        browser,
        "--headless",
        "--no-sandbox",  # root in CI containers; the page is our own report
        "--disable-gpu",
        "--remote-debugging-pipe",
        # Nothing may resolve: a report that tried to fetch anything would fail to, visibly.
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-extensions",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        "about:blank",
    ]
    process = subprocess.Popen(
        [sys.executable, "-c", _TRAMPOLINE, str(child_in), str(child_out), *args],
        pass_fds=(child_in, child_out),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(child_in)
    os.close(child_out)
    return process, _Pipe(to_browser_write, from_browser_read)


def _collect(run: BrowserRun, events: list[dict[str, Any]]) -> None:
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            run.requests.append(params["request"]["url"])
        elif method == "Runtime.consoleAPICalled":
            run.console.append(
                {"type": params.get("type"), "args": [a.get("value") for a in params["args"]]}
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            run.exceptions.append(
                {"text": details.get("text"), "exception": details.get("exception")}
            )
        elif method == "Log.entryAdded":
            run.log_entries.append(params["entry"])
        elif method == "Page.javascriptDialogOpening":
            run.dialogs.append(params.get("message", ""))


_FACTS = """JSON.stringify({
  title: document.title,
  text: document.body.innerText,
  sections: document.querySelectorAll("section.artifact").length,
  tags: [...new Set([...document.querySelectorAll("*")].map(e => e.localName))],
  width: document.documentElement.scrollWidth,
  height: document.documentElement.scrollHeight,
})"""


def open_in_browser(page: Path, profile: Path) -> BrowserRun:
    """Load `page` (an HTML file) and return what it requested, logged and looked like."""
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("chromium")
    process, pipe = _launch(browser, profile)
    run = BrowserRun()
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})
        session = pipe.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.send(f"{domain}.enable", session=session)
        pipe.send("Emulation.setDeviceMetricsOverride", _VIEWPORT, session=session)
        pipe.events.clear()  # about:blank's own events are not the report's
        pipe.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired")
        evaluated = pipe.send(
            "Runtime.evaluate", {"expression": _FACTS, "returnByValue": True}, session=session
        )
        run.facts = json.loads(evaluated["result"]["value"])
        shot = pipe.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True},
            session=session,
        )
        run.screenshot = base64.b64decode(shot["data"])
        printed = pipe.send("Page.printToPDF", {"printBackground": False}, session=session)
        run.pdf = base64.b64decode(printed["data"])
        _collect(run, pipe.events)
        with contextlib.suppress(EOFError):
            pipe.send("Browser.close")
    finally:
        os.close(pipe.write_fd)
        os.close(pipe.read_fd)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return run
