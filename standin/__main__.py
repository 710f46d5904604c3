"""`python -m standin --host 127.0.0.1 --port 8089 [--responses DIR] [--token-rate N]`."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from standin.clips import CLIP_TIMECODES
from standin.registry import BUNDLED_DIR
from standin.server import start
from standin.state import NOTICE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standin", description=NOTICE)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument(
        "--responses",
        type=Path,
        default=BUNDLED_DIR,
        help="directory of response JSON files (default: the bundled ones)",
    )
    parser.add_argument(
        "--token-rate",
        type=float,
        default=0.0,
        help="output tokens per second while streaming (0 = no delay)",
    )
    parser.add_argument("--chunk-chars", type=int, default=160)
    parser.add_argument(
        "--processing-polls",
        type=int,
        default=1,
        help="files.get calls that answer PROCESSING before ACTIVE",
    )
    parser.add_argument(
        "--realistic-pace",
        action="store_true",
        help="answer at a real model's pace: first token after a delay that grows with the input "
        "tokens, then 150 output tokens per second (docs/standin.md)",
    )
    parser.add_argument(
        "--pace-scale",
        type=float,
        default=1.0,
        help="divide every answer delay by this (10: ten times faster, same ratios)",
    )
    parser.add_argument(
        "--clip-timecodes",
        choices=CLIP_TIMECODES,
        default="relative",
        help="timecodes of clip answers (requests with offsets): relative to the clip start",
    )
    parser.add_argument(
        "--batch-s",
        type=float,
        default=0.0,
        help="seconds a batch job runs at least before it ends (docs/standin.md, Batch jobs)",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)
    stand_in = start(
        args.host,
        args.port,
        args.responses,
        verbose=not args.quiet,
        token_rate=args.token_rate,
        chunk_chars=args.chunk_chars,
        processing_polls=args.processing_polls,
        realistic_pace=args.realistic_pace,
        pace_scale=args.pace_scale,
        clip_timecodes=args.clip_timecodes,
        batch_s=args.batch_s,
    )
    known = len(stand_in.state.registry.summaries())
    print(
        f"Gemini API stand-in (offline, NOT Gemini) listening on {stand_in.url}\n{NOTICE}\n"
        f"Known media: {known} response(s) from {args.responses}. Control API: "
        f"{stand_in.url}/_standin/info",
        file=sys.stderr,
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    stand_in.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
