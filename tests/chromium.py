"""Headless Chromium (Debian's ``chromium`` package) driven over the DevTools protocol, for browser tests.

The protocol runs on a pipe (``--remote-debugging-pipe``: JSON messages ended by a NUL byte on fds 3 and 4),
so there is no port to find and no websocket library to install. ``find()`` says where the browser is, or
why a test cannot run (``.ci/run`` installs the package where it is missing). ``png_pixels`` decodes the
screenshots Chromium writes (8-bit RGB/RGBA, not interlaced) so a test can look at what was drawn.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars", "--window-size=800,700")


def find() -> tuple[str | None, str]:
    """(path to chromium, "") or (None, why not)."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path, ""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium", ""
    return None, ("Debian's chromium is not installed (no chromium on PATH or /usr/bin/chromium); "
                  "`.ci/run` installs it, or run: apt-get install -y --no-install-recommends chromium")


class Browser:
    """One headless Chromium with a fresh profile; ``send`` a DevTools command, ``events`` what it reported."""

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        commands_r, commands_w = os.pipe()  # we write, the browser reads on fd 3
        replies_r, replies_w = os.pipe()  # the browser writes on fd 4, we read
        # bash, not sh: dash redirects single-digit descriptors only.
        script = f'exec "$0" "$@" 3<&{commands_r} {commands_r}<&- 4>&{replies_w} {replies_w}>&-'
        with log.open("wb") as err:
            self.proc = subprocess.Popen(
                ["/bin/bash", "-c", script, executable, *FLAGS, f"--user-data-dir={profile}",
                 "--remote-debugging-pipe", "about:blank"],
                pass_fds=(commands_r, replies_w), stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        os.close(commands_r)
        os.close(replies_w)
        self._out = commands_w
        self._in = replies_r
        self._log = log
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def pump(self, seconds: float) -> None:
        """Take in the events that arrive within ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.events.append(self._receive(deadline))
            except TimeoutError:
                return

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                tail = self._log.read_text(errors="replace")[-600:]
                raise RuntimeError(f"Chromium exited (code {self.proc.wait(timeout=10)}): {tail}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(line)
        return message

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        os.close(self._out)
        os.close(self._in)


class Page:
    """A tab, attached with flat sessions; frames in other processes (a sandboxed iframe) are attached too."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable"):
            browser.send(method, session=self.session)
        browser.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": False, "flatten": True},
                     session=self.session)
        self._children: set[str] = set()

    def navigate(self, url: str) -> None:
        self.browser.send("Page.navigate", {"url": url}, session=self.session)

    def evaluate(self, expression: str, session: str | None = None, context: int | None = None) -> Any:
        params: dict[str, Any] = {"expression": expression, "returnByValue": True}
        if context is not None:
            params["contextId"] = context
        reply = self.browser.send("Runtime.evaluate", params, session=session or self.session)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def in_frames(self, expression: str) -> list[Any]:
        """``expression``'s value in every child frame: one in its own process, or a context of this tab's."""
        self.browser.pump(0.05)
        for event in self.browser.events:
            child = event.get("params", {}).get("sessionId")
            if event.get("method") == "Target.attachedToTarget" and child not in self._children:
                self._children.add(child)
                self.browser.send("Runtime.enable", session=child)
        values = []
        for child in self._children:
            try:
                values.append(self.evaluate(expression, session=child))
            except RuntimeError:
                continue  # a frame that went away
        main = self._main_frame()
        for event in self.browser.events:
            context = event.get("params", {}).get("context", {})
            aux = context.get("auxData", {})
            if (event.get("method") == "Runtime.executionContextCreated" and event.get("sessionId") == self.session
                    and aux.get("isDefault") and aux.get("frameId") != main):
                try:
                    values.append(self.evaluate(expression, context=context["id"]))
                except RuntimeError:
                    continue  # a context that was destroyed
        return values

    def _main_frame(self) -> str:
        tree = self.browser.send("Page.getFrameTree", session=self.session)
        frame_id: str = tree["frameTree"]["frame"]["id"]
        return frame_id

    def screenshot(self, clip: dict[str, float] | None = None) -> bytes:
        """A PNG of the tab, or of ``clip`` ({x, y, width, height, scale}: page pixels, scaled)."""
        import base64

        params: dict[str, Any] = {"format": "png"}
        if clip is not None:
            params["clip"] = clip
        return base64.b64decode(self.browser.send("Page.captureScreenshot", params, session=self.session)["data"])


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG: depth {depth}, colour {colour}"
    step = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * step, [], bytearray(width * step)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = line
        rows.append(bytes(line) if step == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
    return width, height, rows
