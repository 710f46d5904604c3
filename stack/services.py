"""Start and stop local services as child processes: the Firestore, Pub/Sub and Cloud Storage
emulators, the Firebase Authentication emulator, and (for the local stack) the functions and the
Gemini stand-in.

Each runs in its own process group on a free loopback port, logs to a file, and is ready when its
HTTP endpoint answers. A failure names the service and the path of its log. Every group still
running is ended when this process exits or is told to stop (`stop_on_signals`): a test run killed
by a timeout leaves nothing behind.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
READY_TIMEOUT_S = 90.0


class ServiceError(RuntimeError):
    pass


@dataclass
class Service:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    @property
    def host_port(self) -> str:
        return f"{HOST}:{self.port}"

    def stop(self, grace_s: float = 10) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        _RUNNING.pop(self.process.pid, None)

    def kill(self) -> None:
        """End the process group at once, as a crash would: no request in flight finishes."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        _RUNNING.pop(self.process.pid, None)


_RUNNING: dict[int, Service] = {}  # by process group, each started by `spawn` and not yet stopped


def stop_everything() -> None:
    """End every process group this process started and has not stopped (at exit, or on a
    signal): a lost group would keep its port and its memory until the machine restarts."""
    for service in list(_RUNNING.values()):
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):  # gone, or beyond reach
            service.stop(grace_s=3)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group `pgid` is still running."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_on_signals() -> None:
    """On SIGTERM or SIGHUP (a timeout, a closed terminal), end the started groups, then die of
    the signal as before. Python runs no cleanup on those signals by itself."""

    def stop(signum: int, frame: object) -> None:
        stop_everything()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)


def free_port() -> int:
    """A loopback port that is free now and that the OS will not hand to anyone asking for "any
    port" meanwhile: it lies below the ephemeral range. (A port from the ephemeral range, freed
    and handed on, was once taken back by the Firestore emulator's own WebSocket server before the
    emulator could bind it.)"""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(10_000, low)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise ServiceError(f"no free loopback port between 10000 and {low}")


_HANDED_OUT: set[int] = set()
atexit.register(stop_everything)


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # the Linux default


def _gcloud() -> str:
    gcloud = shutil.which("gcloud")
    if not gcloud:
        raise ServiceError("the gcloud CLI is needed for the Firestore and Pub/Sub emulators")
    return gcloud


def spawn(
    name: str, command: list[str], log_dir: Path, port: int, env: dict[str, str] | None = None
) -> Service:
    """Start `command` in its own process group, output to `log_dir/name.log`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    service = _RUNNING[process.pid] = Service(name, port, process, log, {})
    return service


def wait_ready(service: Service, path: str = "/") -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    url = f"http://{service.host_port}{path}"
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise ServiceError(f"{service.name} exited early; see {service.log}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: ready
        except OSError:
            time.sleep(0.25)
    service.stop()
    raise ServiceError(f"{service.name} not ready in {READY_TIMEOUT_S:.0f}s; see {service.log}")


def start_firestore(log_dir: Path, rules: Path | None = None, name: str = "firestore") -> Service:
    port = free_port()
    command = [_gcloud(), "emulators", "firestore", "start", f"--host-port={HOST}:{port}"]
    if rules is not None:
        command.append(f"--rules={rules}")
    service = spawn(name, command, log_dir, port)
    service.env = {"FIRESTORE_EMULATOR_HOST": service.host_port}
    return service


def start_pubsub(log_dir: Path, project: str) -> Service:
    port = free_port()
    command = [_gcloud(), "beta", "emulators", "pubsub", "start", f"--host-port={HOST}:{port}"]
    service = spawn("pubsub", [*command, f"--project={project}"], log_dir, port)
    service.env = {"PUBSUB_EMULATOR_HOST": service.host_port}
    return service


def start_storage(log_dir: Path) -> Service:
    port = free_port()
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", f"--host={HOST}"]
    service = spawn("storage", [*command, f"--port={port}", "--in-memory"], log_dir, port)
    service.env = {"STORAGE_EMULATOR_HOST": f"http://{service.host_port}"}
    return service


AUTH_SERVER = Path(__file__).parent / "auth" / "serve.cjs"


def start_auth(log_dir: Path, project: str) -> Service:
    """Firebase Authentication's emulator (firebase-tools, pinned in stack/auth; `npm ci` there)."""
    node = shutil.which("node")
    if not node or not (AUTH_SERVER.parent / "node_modules" / "firebase-tools").is_dir():
        raise ServiceError("the Auth emulator needs Node.js and `npm ci` in stack/auth (make up)")
    port = free_port()
    service = spawn("auth", [node, str(AUTH_SERVER), project, str(port)], log_dir, port)
    service.env = {"FIREBASE_AUTH_EMULATOR_HOST": service.host_port}
    return service


READY_PATHS = {"storage": "/storage/v1/b"}  # others answer on /


def start_all(
    log_dir: Path, project: str, rules: Path | None = None, auth: bool = False
) -> list[Service]:
    """Start the emulators at once and wait until every one answers (or stop them all): Firestore,
    Pub/Sub, Cloud Storage, and with `auth` Firebase Authentication."""
    emulators = [
        start_firestore(log_dir, rules),
        start_pubsub(log_dir, project),
        start_storage(log_dir),
        *([start_auth(log_dir, project)] if auth else []),
    ]
    wait_all(emulators)
    return emulators


def wait_all(services: list[Service]) -> None:
    """Wait for every service in parallel; on any failure stop them all and raise."""
    try:
        with ThreadPoolExecutor(len(services)) as pool:
            list(pool.map(lambda s: wait_ready(s, READY_PATHS.get(s.name, "/")), services))
    except BaseException:
        stop_all(services)
        raise


def stop_all(services: list[Service]) -> None:
    for service in services:
        service.stop()


def reset_firestore(emulator_host: str, project: str) -> None:
    """Delete every document in the emulator's default database."""
    url = f"http://{emulator_host}/emulator/v1/projects/{project}/databases/(default)/documents"
    urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10).close()
