"""A headless Chromium driven over the DevTools protocol, for the gallery's tests.

Chromium is started with ``--remote-debugging-pipe``: it reads commands from
its file descriptor 3 and writes replies and events to 4, as NUL-terminated
JSON. No port is opened, nothing is downloaded. Console messages, uncaught
exceptions and failed loads are collected as :attr:`Browser.errors`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

#: Where Debian's chromium package puts it, or the first chromium on PATH.
CHROMIUM = next(
    (
        p
        for p in (
            "/usr/bin/chromium",
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
        )
        if p and os.path.exists(p)
    ),
    None,
)

#: Seconds to wait for one reply or condition: a 2-core machine at load 8 starts
#: Chromium in 10-20 s.
TIMEOUT = 120.0

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
    "--allow-file-access-from-files",
    "--window-size=1280,1000",
    "--remote-debugging-pipe",
]


class Browser:
    """One Chromium process and one page (tab) in it."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        commands_r, self._commands = os.pipe()
        self._replies, replies_w = os.pipe()

        def wire() -> None:  # in the child, before exec: fds 3 and 4
            # Copies first: the pipes may themselves be 3 or 4, and dup2 onto
            # the same number would leave them close-on-exec.
            read, write = os.dup(commands_r), os.dup(replies_w)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("MELCLI_BROWSER_LOG") else subprocess.DEVNULL,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(commands_r)
        os.close(replies_w)
        self._next = 0
        self._inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._waiting: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.errors: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        attached = self.call("Target.attachToTarget", targetId=target, flatten=True)
        self.session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable", session=self.session)

    # -- protocol
    def _read(self) -> None:
        buffer = b""
        with open(self._replies, "rb", buffering=0) as f:
            while chunk := f.read(1 << 16):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for message in messages:
                    self._inbox.put(json.loads(message))

    def _pump(self, deadline: float) -> None:
        message = self._inbox.get(timeout=max(0.01, deadline - time.monotonic()))
        if "id" in message:
            self._waiting[message["id"]] = message
            return
        self.events.append(message)
        self._note(message)

    def _note(self, event: dict[str, Any]) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details["text"]
            self.errors.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params["type"] in (
            "error",
            "assert",
            "warning",
        ):
            args = [a.get("value", a.get("description")) for a in params["args"]]
            self.errors.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in (
            "error",
            "warning",
        ):
            entry = params["entry"]
            self.errors.append(f"log: {entry['text']} {entry.get('url', '')}")
        elif method == "Network.loadingFailed" and not _aborted(params):
            self.errors.append(f"load failed: {params.get('errorText')}")

    def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while ident not in self._waiting:
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self._pump(deadline)
        reply = self._waiting.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    # -- page
    def open(self, url: str) -> None:
        """Load ``url`` and wait for its load event; forget earlier errors."""
        self.errors.clear()
        seen = len(self.events)
        self.call("Page.navigate", session=self.session, url=url)
        self.wait_for(
            lambda: any(
                e.get("method") == "Page.loadEventFired" for e in self.events[seen:]
            )
        )

    def js(self, expression: str) -> Any:
        """Evaluate ``expression`` in the page, awaiting a promise; return the value."""
        result = self.call(
            "Runtime.evaluate",
            session=self.session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait_for(self, condition: Any, *, what: str = "") -> None:
        """Wait until ``condition()`` (a callable, or JS text) is true."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            done = condition() if callable(condition) else self.js(condition)
            if done:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(what or str(condition))
            with contextlib.suppress(queue.Empty):
                self._pump(min(deadline, time.monotonic() + 0.1))

    def screenshot(self) -> bytes:
        data = self.call("Page.captureScreenshot", session=self.session, format="png")
        return base64.b64decode(data["data"])

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, RuntimeError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)


def _aborted(params: dict[str, Any]) -> bool:
    """Return whether a failed load was cut short by a navigation, not broken."""
    return bool(params.get("canceled")) or params.get("errorText") == "net::ERR_ABORTED"
