"""The web viewer on the local stack: the built app (`web/dist`) over HTTP on a loopback port,
with a `config.json` that points the browser at this stack's Firestore and Auth emulators and its
upload, reads and corrections functions (media and downloads come through the reads function's
signed URLs, as deployed), and Hosting's Content-Security-Policy on every answer
(`web/firebase.json`'s, completed with this config's endpoints by `web/policy.mjs`, as a deploy
completes it).

Read-only and static: Python's http.server in a thread. The app picks its user from `?uid=`.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.parse
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from stack.services import HOST, free_port

WEB = Path(__file__).parent.parent / "web"
DIST = WEB / "dist"
# Debian's Chromium, headless, for the browser tests and the viewer's benchmark.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


class _Handler(SimpleHTTPRequestHandler):
    config: bytes = b"{}"
    policy: str = "default-src 'none'"  # until start() sets the viewer's

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == "/config.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.config)))
            self.end_headers()
            self.wfile.write(self.config)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", self.policy)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the stack's own output is for progress


class Viewer:
    def __init__(self, config: dict[str, str], dist: Path = DIST) -> None:
        self.dist = dist
        self.config = config
        self._handler: type[_Handler] = type(
            "Handler", (_Handler,), {"config": json.dumps(config).encode()}
        )
        self._server = ThreadingHTTPServer(
            (HOST, free_port()), partial(self._handler, directory=str(dist))
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="viewer", daemon=True
        )

    @property
    def built(self) -> bool:
        return (self.dist / "index.html").is_file()

    def start(self, signed: tuple[str, ...] = ()) -> None:
        """Serve, with the policy for this config; `signed`: where signed URLs point (the
        stack's signed-URL gateway, Cloud Storage's part): the app uploads to and plays from it."""
        self._handler.policy = content_security_policy(self.config, signed)
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for a serve_forever() that has started
            self._server.shutdown()
        self._server.server_close()

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def url(self, uid: str | None = None, fragment: str = "") -> str:
        query = f"?{urllib.parse.urlencode({'uid': uid})}" if uid else ""
        return f"{self.origin}/{query}{'#' + fragment if fragment else ''}"


def content_security_policy(config: dict[str, str], signed: tuple[str, ...] = ()) -> str:
    """The viewer's Content-Security-Policy for `config` (web/policy.mjs)."""
    command = ["node", str(WEB / "policy.mjs"), "-", *signed]
    result = subprocess.run(
        command, input=json.dumps(config), capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def viewer_config(
    env: dict[str, str],
    project: str,
    uploads: str = "",
    reads: str = "",
    deletion: str = "",
    corrections: str = "",
) -> dict[str, str]:
    """What the browser needs: the emulators' addresses (as the stack's clients use them), and
    the upload, reads, deletion and corrections functions' URLs when there are some. Never the
    storage emulator's: the viewer reads objects only through signed URLs, as deployed."""
    config = {
        "project": project,
        "emulator": env["FIRESTORE_EMULATOR_HOST"],
        "auth": env.get("FIREBASE_AUTH_EMULATOR_HOST", ""),
        "uploads": uploads,
        "reads": reads,
        "deletion": deletion,
        "corrections": corrections,
    }
    return {key: value for key, value in config.items() if value}
