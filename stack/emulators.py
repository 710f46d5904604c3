"""Start and stop the Firestore, Pub/Sub and Cloud Storage emulators as child processes.

Each runs in its own process group on a free loopback port, logs to a file, and is ready when its
HTTP endpoint answers. A failure names the emulator and the path of its log.
"""

from __future__ import annotations

import os
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


class EmulatorError(RuntimeError):
    pass


@dataclass
class Emulator:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    @property
    def host_port(self) -> str:
        return f"{HOST}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _gcloud() -> str:
    gcloud = shutil.which("gcloud")
    if not gcloud:
        raise EmulatorError("the gcloud CLI is needed for the Firestore and Pub/Sub emulators")
    return gcloud


def _spawn(name: str, command: list[str], log_dir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return process, log


def _wait_ready(emulator: Emulator, path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    url = f"http://{emulator.host_port}{path}"
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            raise EmulatorError(f"{emulator.name} emulator exited early; see {emulator.log}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: ready
        except OSError:
            time.sleep(0.25)
    emulator.stop()
    raise EmulatorError(
        f"{emulator.name} emulator not ready in {READY_TIMEOUT_S:.0f}s; see {emulator.log}"
    )


def start_firestore(log_dir: Path, rules: Path | None = None) -> Emulator:
    port = free_port()
    command = [_gcloud(), "emulators", "firestore", "start", f"--host-port={HOST}:{port}"]
    if rules is not None:
        command.append(f"--rules={rules}")
    process, log = _spawn("firestore", command, log_dir)
    return Emulator("firestore", port, process, log, {"FIRESTORE_EMULATOR_HOST": f"{HOST}:{port}"})


def start_pubsub(log_dir: Path, project: str) -> Emulator:
    port = free_port()
    command = [
        _gcloud(),
        "beta",
        "emulators",
        "pubsub",
        "start",
        f"--host-port={HOST}:{port}",
        f"--project={project}",
    ]
    process, log = _spawn("pubsub", command, log_dir)
    return Emulator("pubsub", port, process, log, {"PUBSUB_EMULATOR_HOST": f"{HOST}:{port}"})


def start_storage(log_dir: Path) -> Emulator:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gcp_storage_emulator",
        "start",
        f"--host={HOST}",
        f"--port={port}",
        "--in-memory",
    ]
    process, log = _spawn("storage", command, log_dir)
    return Emulator(
        "storage", port, process, log, {"STORAGE_EMULATOR_HOST": f"http://{HOST}:{port}"}
    )


_READY_PATHS = {"firestore": "/", "pubsub": "/", "storage": "/storage/v1/b"}


def start_all(log_dir: Path, project: str, rules: Path | None = None) -> list[Emulator]:
    """Start the three emulators at once and wait until every one answers (or stop them all)."""
    emulators = [
        start_firestore(log_dir, rules),
        start_pubsub(log_dir, project),
        start_storage(log_dir),
    ]
    try:
        with ThreadPoolExecutor(len(emulators)) as pool:
            list(pool.map(lambda e: _wait_ready(e, _READY_PATHS[e.name]), emulators))
    except BaseException:
        stop_all(emulators)
        raise
    return emulators


def stop_all(emulators: list[Emulator]) -> None:
    for emulator in emulators:
        emulator.stop()


def reset_firestore(emulator_host: str, project: str) -> None:
    """Delete every document in the emulator's default database."""
    url = f"http://{emulator_host}/emulator/v1/projects/{project}/databases/(default)/documents"
    urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10).close()
