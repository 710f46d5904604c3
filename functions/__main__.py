"""Command line: `python -m functions parse FILE|-`, `… prompt`, `… schema`, `… models`."""

from __future__ import annotations

import argparse
import json
import sys

from functions.format.parser import StreamParser
from functions.transcribe.prompt import build_prompt


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m functions", description=__doc__)
    commands = cli.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="parse model output; print the result as JSON")
    parse.add_argument("file", help="a file of model output, or - for standard input")
    parse.add_argument("--duration", type=float, help="media duration in seconds")

    prompt = commands.add_parser("prompt", help="print the prompt sent after the media")
    prompt.add_argument("--duration", type=float, help="media duration in seconds")
    prompt.add_argument("--audio-only", action="store_true", help="the media has no video")
    prompt.add_argument(
        "--metadata",
        nargs="*",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="uploader context: title, description, speakers, glossary, language",
    )

    commands.add_parser("schema", help="print the JSON Schema of the results-topic message")
    commands.add_parser("models", help="print the model catalog as JSON (the default marked)")

    args = cli.parse_args(argv)
    if getattr(args, "duration", None) is not None and args.duration < 0:
        cli.error("--duration must be >= 0")
    if args.command == "schema":
        from functions.core.messages import ResultChunk

        sys.stdout.write(json.dumps(ResultChunk.model_json_schema(), indent=2) + "\n")
        return 0
    if args.command == "models":
        from functions.core.catalog import catalog

        sys.stdout.write(json.dumps(catalog().view(), indent=2) + "\n")
        return 0
    if args.command == "prompt":
        sys.stdout.write(build_prompt(args.duration, not args.audio_only, dict(args.metadata)))
        return 0
    duration_ms = None if args.duration is None else round(args.duration * 1000)
    parser = StreamParser(duration_ms)
    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        cli.error(f"cannot read {args.file}: {exc.strerror}")
    with stream:
        for line in stream:
            parser.feed(line)
    sys.stdout.write(parser.close().model_dump_json(indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
