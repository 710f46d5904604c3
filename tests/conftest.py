"""Shared fixtures. Emulator tests (marker `emulator`) get the real Firestore, Pub/Sub and Cloud
Storage emulators, started once per session on free ports and stopped at the end. The end-to-end
and browser tests get a whole local stack (`local`), one per kind of settings in `STACKS`, shared
by every test of that kind and started once per session."""

from __future__ import annotations

import os
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from stack.local import LocalStack
from stack.services import (
    Service,
    group_alive,
    reset_firestore,
    start_all,
    start_auth,
    stop_all,
    stop_on_signals,
    wait_all,
)
from stack.watch import SWEEP_EVERY_S

PROJECT = "tabscribe-test"
LOG_DIR = Path(__file__).parent.parent / ".local" / "test-logs"
# The whole local stacks, by the settings their functions run with (the rest: the product's).
# A test on any but the first says which: @pytest.mark.parametrize("shared_stack", [kind],
# indirect=True).
STACKS: dict[str, dict[str, str]] = {
    "default": {},
    # clips forced short (2 minutes, 10 s overlap): the 10-minute keynote is six clips; and
    # functions-framework's threads per function (its default: 4 per core), the same on any
    # machine: held clip calls and their duplicates fit; a 55-clip fan-out does not
    "short-clips": {
        "TABSCRIBE_CLIP_THRESHOLD_S": "120",
        "TABSCRIBE_CLIP_S": "120",
        "TABSCRIBE_CLIP_OVERLAP_S": "10",
        "THREADS": "24",
    },
    # a 4 s time budget cuts every run on the stack: for the cut-off test alone
    "budget-4s": {"TABSCRIBE_TIME_BUDGET_S": "4"},
    # batch mode (decision 0032): batches of 8 requests, or sealed after 10 s at the next tick;
    # a killed submitter's batch taken over after 15 s
    "batch": {
        "TABSCRIBE_BATCH_MAX": "8",
        "TABSCRIBE_BATCH_WAIT_S": "10",
        "TABSCRIBE_BATCH_LEASE_S": "15",
        "THREADS": "24",
    },
}
# a stack's scheduler tick (the sweep, batch mode's poll), where not the local stack's 10 s: the
# batch stack's waits are mostly ticks
TICKS_S = {"batch": 2.0}


def pytest_configure(config: pytest.Config) -> None:
    """A run killed by a timeout (SIGTERM) ends the emulators and stacks it started first."""
    stop_on_signals()


@pytest.fixture(scope="session")
def emulators() -> Iterator[dict[str, Service]]:
    started = start_all(LOG_DIR, PROJECT)
    saved = dict(os.environ)
    for emulator in started:
        os.environ.update(emulator.env)
    os.environ["GOOGLE_CLOUD_PROJECT"] = PROJECT
    try:
        yield {e.name: e for e in started}
    finally:
        stop_all(started)
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def auth() -> Iterator[Service]:
    """The Firebase Authentication emulator, for the HTTP functions' real ID tokens."""
    service = start_auth(LOG_DIR, PROJECT)
    wait_all([service])
    yield service
    service.stop()


@pytest.fixture
def firestore_db(emulators: dict[str, Service]):  # type: ignore[no-untyped-def]
    """A Firestore client on an emptied emulator database."""
    from google.cloud import firestore

    reset_firestore(emulators["firestore"].host_port, PROJECT)
    return firestore.Client(project=PROJECT)


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic, subscription and bucket names."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def shared_stack(request: pytest.FixtureRequest) -> Iterator[LocalStack]:
    """The whole local stack of a kind in `STACKS`, on the stand-in. pytest keeps one at a time:
    the tests of a kind run together (`pytest_collection_modifyitems`), and the next kind's stack
    starts once the last one's is stopped."""
    kind: str = getattr(request, "param", "default")
    with pytest.MonkeyPatch.context() as patch:
        for name in {name for settings in STACKS.values() for name in settings}:
            patch.delenv(name, raising=False)
        for name, value in STACKS[kind].items():
            patch.setenv(name, value)
        with running_stack(f"test-stack-{kind}", TICKS_S.get(kind, SWEEP_EVERY_S)) as stack:
            yield stack


@pytest.fixture
def local(shared_stack: LocalStack) -> LocalStack:
    """The shared stack, its stand-in reset: no faults, settings or calls of an earlier test."""
    url = f"{shared_stack.env['TABSCRIBE_GEMINI_BASE_URL']}/_standin/reset"
    request = urllib.request.Request(url, b"{}", {"content-type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()
    return shared_stack


@contextmanager
def running_stack(name: str, tick_s: float = SWEEP_EVERY_S) -> Iterator[LocalStack]:
    """A local stack with its logs under `.local/<name>`; a real Gemini key is set aside. Once
    stopped, none of its processes is left behind."""
    key = os.environ.pop("GEMINI_API_KEY", None)
    stack = LocalStack(workdir=Path(__file__).parent.parent / ".local" / name, tick_s=tick_s)
    stack.start()
    groups = {s.name: s.process.pid for s in stack.services}  # each leads its own group
    try:
        yield stack
    finally:
        stack.stop()
        if key is not None:
            os.environ["GEMINI_API_KEY"] = key
    assert len(groups) >= 6
    deadline = time.monotonic() + 10
    while (alive := [name for name, pid in groups.items() if group_alive(pid)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert not alive, f"processes left behind: {alive}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests on a whole stack last, a kind's together in the order of `STACKS`: each stack
    starts once, and none idles through the other tests."""
    kinds = list(STACKS)

    def order(item: pytest.Item) -> int:
        if "shared_stack" not in getattr(item, "fixturenames", ()):
            return -1
        params = item.callspec.params if hasattr(item, "callspec") else {}
        return kinds.index(params.get("shared_stack", "default"))

    items[:] = sorted(items, key=order)
