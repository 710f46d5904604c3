"""The local stack's command line.

python -m stack demo [FILE]           start everything, transcribe FILE (a bundled sample by
                                      default), print speakers and transcript, stop; exit 0
python -m stack up                    start everything in the background (state in .local/)
python -m stack upload FILE [--wait]  upload to the running stack; --wait follows and prints
python -m stack samples               upload the bundled samples for two users (alice, bob)
python -m stack down                  stop the background stack

Each prints the web viewer's URL (web/, built by `make web`): http://127.0.0.1:PORT/?uid=USER.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from stack import follow
from stack.local import BUCKET, ROOT, LocalStack
from stack.services import ServiceError, stop_on_signals

STATE = ROOT / ".local" / "stack" / "state.json"
SAMPLES = ROOT / "samples"
DEFAULT_SAMPLE = SAMPLES / "interview.mp4"
DEMO_USER = "demo-user"
SAMPLE_OWNERS = {"alice": ["interview.mp4", "keynote.mp4"], "bob": ["podcast.m4a"]}


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(
        prog="python -m stack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = cli.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the whole pipeline once on a file")
    demo.add_argument("file", nargs="?", type=Path, default=DEFAULT_SAMPLE)
    demo.add_argument(
        "--token-rate",
        type=float,
        default=0.0,
        help="stand-in streaming speed in tokens/s (0: as fast as possible)",
    )
    demo.add_argument(
        "--keep", action="store_true", help="keep the stack and the viewer up until interrupted"
    )
    commands.add_parser("samples", help="upload the bundled samples for two users")
    commands.add_parser("up", help="start the stack in the background")
    commands.add_parser("down", help="stop the background stack")
    commands.add_parser("serve", help=argparse.SUPPRESS)
    upload = commands.add_parser("upload", help="upload a file to the running stack")
    upload.add_argument("file", type=Path)
    upload.add_argument("--owner", default=DEMO_USER)
    upload.add_argument("--metadata", nargs="*", default=[], metavar="KEY=VALUE")
    upload.add_argument("--wait", action="store_true", help="follow it and print the transcript")
    args = cli.parse_args(argv)
    stop_on_signals()  # a killed `demo` or `serve` leaves no emulator behind
    try:
        return COMMANDS[args.command](args)
    except (ServiceError, follow.FollowError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def run_demo(args: argparse.Namespace) -> int:
    _check_file(args.file)
    stack = LocalStack(token_rate=args.token_rate)
    if not stack.real_gemini and not _is_bundled_sample(args.file):
        raise follow.FollowError(
            f"{args.file} is not a bundled sample, and the Gemini API stand-in knows only those. "
            "Export GEMINI_API_KEY to transcribe it with real Gemini (README, 'Real Gemini'); "
            "Vertex AI reads gs:// objects from real Cloud Storage, so it runs deployed, not here."
        )
    started = time.monotonic()
    print(f"starting the local stack (logs in {stack.logs}) …", flush=True)
    try:
        stack.start()
        print(f"ready in {time.monotonic() - started:.1f} s: {_describe(stack)}", flush=True)
        print(f"viewer: {_viewer_url(stack, DEMO_USER)}", flush=True)
        code = follow.upload_and_follow(args.file, DEMO_USER, {}, stack.logs)
        if args.keep:
            print(f"\nviewer: {_viewer_url(stack, DEMO_USER)} (Ctrl-C stops)", flush=True)
            _wait_for_signal()
        else:
            print("\nthe viewer stops with the stack: `make demo KEEP=1` or `make up` keeps it up")
        return code
    finally:
        stack.stop()
        print(f"stopped; total {time.monotonic() - started:.1f} s", flush=True)


def run_up(args: argparse.Namespace) -> int:
    if STATE.exists():
        print(f"already up (state in {STATE}); `make down` first", file=sys.stderr)
        return 1
    log = STATE.parent / "serve.log"
    STATE.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "stack", "serve"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
    deadline = time.monotonic() + 180
    while not STATE.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            print(f"error: the stack did not start; see {log}", file=sys.stderr)
            return 1
        time.sleep(0.5)
    state = json.loads(STATE.read_text())
    print(f"up: {state['describe']}\nupload with: python -m stack upload FILE --wait")
    print(f"viewer: {state['viewer']}?uid={DEMO_USER} (any uid: ?uid=…)")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    stack = LocalStack()
    stack.start()
    viewer = _viewer_url(stack, None)
    STATE.write_text(
        json.dumps(
            {"pid": os.getpid(), "env": stack.env, "describe": _describe(stack), "viewer": viewer}
        )
    )
    try:
        _wait_for_signal()
    finally:
        stack.stop()
        STATE.unlink(missing_ok=True)  # `down` waits for this: everything has stopped
    return 0


def _wait_for_signal() -> None:
    """Sleep until SIGTERM or SIGINT (Ctrl-C)."""
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        time.sleep(0.5)


def run_down(args: argparse.Namespace) -> int:
    if not STATE.exists():
        print("not up")
        return 0
    pid = json.loads(STATE.read_text())["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        STATE.unlink(missing_ok=True)
        return 0
    deadline = time.monotonic() + 30
    while STATE.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    print("down")
    return 0


def run_upload(args: argparse.Namespace) -> int:
    _check_file(args.file)
    state = _running_state()
    if state is None:
        return 1
    metadata = dict(item.split("=", 1) for item in args.metadata if "=" in item)
    print(f"viewer: {state['viewer']}?uid={args.owner}", flush=True)
    if not args.wait:
        name = follow.upload(args.file, args.owner, metadata)
        print(f"uploaded gs://{BUCKET}/{name}")
        return 0
    return follow.upload_and_follow(args.file, args.owner, metadata, STATE.parent / "logs")


def run_samples(args: argparse.Namespace) -> int:
    """Two users' uploads, to see in the viewer that each reads only their own."""
    state = _running_state()
    if state is None:
        return 1
    for owner, names in SAMPLE_OWNERS.items():
        for name in names:
            print(f"uploaded gs://{BUCKET}/{follow.upload(SAMPLES / name, owner, {})}")
        print(f"  {owner} sees them at {state['viewer']}?uid={owner}")
    return 0


def _running_state() -> dict[str, Any] | None:
    """The background stack's state, its emulators set in this process's environment."""
    if not STATE.exists():
        print("error: the stack is not up; run `make up` first", file=sys.stderr)
        return None
    state: dict[str, Any] = json.loads(STATE.read_text())
    os.environ.update(state["env"])
    return state


def _viewer_url(stack: LocalStack, uid: str | None) -> str:
    if stack.viewer is None or not stack.viewer.built:
        return "not built (`make web` builds web/dist)"
    return stack.viewer.url(uid)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise follow.FollowError(f"no such file: {path}")


def _is_bundled_sample(path: Path) -> bool:
    """Byte for byte one of `samples/`, wherever it lies (the stand-in matches by content)."""
    content = path.read_bytes()
    return any(sample.read_bytes() == content for sample in SAMPLES.iterdir())


def _describe(stack: LocalStack) -> str:
    gemini = "real Gemini (GEMINI_API_KEY)" if stack.real_gemini else "the Gemini API stand-in"
    return ", ".join(f"{s.name} :{s.port}" for s in stack.services) + f"; model: {gemini}"


COMMANDS = {
    "demo": run_demo,
    "up": run_up,
    "serve": run_serve,
    "down": run_down,
    "upload": run_upload,
    "samples": run_samples,
}

if __name__ == "__main__":
    sys.exit(main())
