"""Command line: `python -m functions parse FILE|-`, `… merge START:END:FILE…`, `… prompt`,
`… probe FILE`, `… schema`, `… models`, `… settings-doc`, `… live-check`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import typing
from pathlib import Path
from typing import TextIO

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from functions.format.merge import ClipAnswer, merge
from functions.format.models import ParseResult
from functions.format.parser import StreamParser
from functions.transcribe.prompt import build_prompt

SETTINGS_DOC_HEAD = """# Configuration

Generated from `Settings` (`functions/core/settings.py`) by
`.venv/bin/python -m functions settings-doc > docs/configuration.md`: edit a field's description
there and run it again (`tests/core/test_settings_doc.py` fails when this file and the code differ).

One settings object reads the environment once, when a function starts, and fails fast naming
every problem. Every variable is prefixed `TABSCRIBE_` except the platform's own
(`GOOGLE_CLOUD_PROJECT`) and the conventional `GEMINI_API_KEY`; Terraform (`infra/functions.tf`)
sets the same names. Lists and maps are JSON.

| variable | default | accepts | what it does |
|---|---|---|---|
"""
SETTINGS_DOC_UPLOADS = """
## Per upload: object metadata

Uploaders may add custom metadata to an object: context for the prompt, delimited as data and
capped at so many characters ({}), and processing overrides ({}; `duration` in seconds for media
whose header has none, bounded like a header's by the object's size at `TABSCRIBE_MIN_BITRATE_BPS`
and by `TABSCRIBE_MAX_MEDIA_S`; `events` `true` or `false` asks, or not, for the sound events
table whatever `TABSCRIBE_EVENTS` says, decision 0025; `translate`, ISO 639 codes comma-separated
(`fr,de`, each a language the model catalog lists; empty: none), and `chapters` `true` or `false`
ask for the enrichments of the completed transcript whatever `TABSCRIBE_TRANSLATE` and
`TABSCRIBE_CHAPTERS` say, decision 0026; `priority` `batch` sends the upload's requests to
Gemini's batch service at half the price, `standard` streams them at once whatever
`TABSCRIBE_BATCH_PREFIXES` says, decision 0032), validated: an invalid value (an unknown language
code, named) rejects the upload with the reason before any model call. The upload function signs
the context keys, `events` and `chapters` (`true` or `false`), `translate` (known codes) and
`priority` (`standard` or `batch`) alone, and refuses anything else with a 400 that names the bad
value.
"""


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _clip(text: str) -> tuple[float, float, str]:
    """`START:END:FILE`: a clip's range in seconds within the whole media, and its output file."""
    start, _, rest = text.partition(":")
    end, _, path = rest.partition(":")
    try:
        start_s, end_s = float(start), float(end)
    except ValueError:
        start_s = end_s = math.nan
    if not path or not 0 <= start_s < end_s < math.inf:
        raise argparse.ArgumentTypeError(
            f"expected START:END:FILE with 0 <= START < END in seconds, got {text!r}"
        )
    return start_s, end_s, path


def _open(cli: argparse.ArgumentParser, path: str) -> TextIO:
    """The file at `path` (`-`: standard input); a clear error if it cannot be read."""
    try:
        return sys.stdin if path == "-" else open(path, encoding="utf-8")
    except OSError as exc:
        cli.error(f"cannot read {path}: {exc.strerror}")


def _merge(cli: argparse.ArgumentParser, clips: list[tuple[float, float, str]]) -> str:
    """The merged transcript of the clips' output files, as JSON: `parse`'s keys plus the clips'
    reports and `covered_ms`."""
    answers = []
    for index, (start_s, end_s, path) in enumerate(clips):
        parser = StreamParser()
        with _open(cli, path) as stream:
            parser.feed(stream.read())
        result = parser.close()
        answers.append(
            ClipAnswer(
                index=index,
                start_ms=round(start_s * 1000),
                end_ms=round(end_s * 1000),
                segments=result.segments,
                speakers=result.speakers,
                complete=result.complete,
                issues=result.issues,
                events=result.events,
            )
        )
    try:
        merged = merge(answers)
    except ValueError as exc:
        cli.error(f"the clips are not in order: {exc}")
    view = ParseResult(
        segments=merged.segments,
        speakers=merged.speakers,
        complete=merged.complete,
        issues=merged.issues,
        events=merged.events,
    ).model_dump(mode="json", exclude={"events"} if merged.events is None else None)
    view["covered_ms"] = merged.covered_ms
    view["clips"] = [dataclasses.asdict(report) for report in merged.clips]
    return json.dumps(view, indent=2, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m functions", description=__doc__)
    commands = cli.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="parse model output; print the result as JSON")
    parse.add_argument("file", help="a file of model output, or - for standard input")
    parse.add_argument("--duration", type=float, help="media duration in seconds")

    merging = commands.add_parser(
        "merge", help="merge the outputs of a long media's clips; print the result as JSON"
    )
    merging.add_argument(
        "clips",
        nargs="+",
        type=_clip,
        metavar="START:END:FILE",
        help="a clip's range in seconds within the whole media, and a file of its model output; "
        "in the order of the clip plan",
    )

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

    probing = commands.add_parser(
        "probe",
        help="judge a media file as the transcriber judges an upload (the probe, the bounds, "
        "the plan); print the verdict as JSON",
    )
    probing.add_argument("file", type=Path, help="a local media file")
    probing.add_argument(
        "--declared-duration",
        type=float,
        metavar="S",
        help="the upload's `duration` metadata, in seconds",
    )

    commands.add_parser("schema", help="print the JSON Schema of the results-topic message")
    commands.add_parser("models", help="print the model catalog as JSON (the default marked)")
    commands.add_parser(
        "settings-doc", help="print docs/configuration.md, generated from the settings"
    )

    live = commands.add_parser(
        "live-check",
        help="send each kind of request to the Gemini service configured (a key or Vertex "
        "credentials), under a spending cap; compare its models with the catalog",
    )
    live.add_argument("--sample", type=Path, help="the media to send (default: the interview)")
    live.add_argument(
        "--max-usd", type=float, default=0.05, help="refuse to send if it could cost more"
    )
    live.add_argument("--record", type=Path, metavar="DIR", help="save each answer as JSON")
    live.add_argument(
        "--batch",
        action="store_true",
        help="then send the single run once more as a one-line batch job, at half price, and "
        "follow it until it ends",
    )
    live.add_argument(
        "--batch-wait",
        type=float,
        default=30.0,
        metavar="MINUTES",
        help="how long to follow the batch job before cancelling it (default 30)",
    )

    args = cli.parse_args(argv)
    if args.command == "live-check":
        return _live_check(args)
    if args.command == "probe":
        return _probe(probing, args.file, args.declared_duration)
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
    if args.command == "settings-doc":
        sys.stdout.write(_settings_doc())
        return 0
    if args.command == "prompt":
        metadata = dict(args.metadata)
        events = metadata.get("events", "false").lower() == "true"
        sys.stdout.write(build_prompt(args.duration, not args.audio_only, metadata, events))
        return 0
    if args.command == "merge":
        sys.stdout.write(_merge(merging, args.clips) + "\n")
        return 0
    duration_ms = None if args.duration is None else round(args.duration * 1000)
    parser = StreamParser(duration_ms)
    with _open(cli, args.file) as stream:
        for line in stream:
            parser.feed(line)
    sys.stdout.write(parser.close().to_json() + "\n")
    return 0


def _settings_doc() -> str:
    """docs/configuration.md: a row per setting (its variables, default, accepted values and
    description), then the metadata an uploader may set on an object."""
    from functions.core.media import CONTEXT_LIMITS
    from functions.core.settings import Settings
    from functions.transcribe.plan import Overrides

    prefix = Settings.model_config.get("env_prefix", "")
    rows = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [f"{prefix}{name}".upper()]
        variables = " or ".join(f"`{n}`" for n in names)
        cells = [variables, _default(field), _accepts(field), field.description or ""]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |\n")
    context = ", ".join(f"`{key}` ({most:,})" for key, most in CONTEXT_LIMITS.items())
    overrides = ", ".join(f"`{key}`" for key in Overrides.model_fields)
    return SETTINGS_DOC_HEAD + "".join(rows) + SETTINGS_DOC_UPLOADS.format(context, overrides)


def _default(field: FieldInfo) -> str:
    """The default as the environment would spell it (a computed one only when it is short)."""
    value = field.get_default(call_default_factory=True)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool):
        value = str(value).lower()
    text = value if isinstance(value, str | int) else json.dumps(value, default=str)
    if field.default_factory is not None and len(str(text)) > 40:
        return "computed (see what it does)"
    return f"`{text}`" if text != "" else "empty"


def _accepts(field: FieldInfo) -> str:
    """The field's values: a choice, a range, a pattern or a kind."""
    choices = (
        typing.get_args(field.annotation)
        if typing.get_origin(field.annotation) is typing.Literal
        else ()
    )
    if choices:
        return " | ".join(f"`{c}`" for c in choices)
    bounds = {
        "gt": ">",
        "ge": "≥",
        "lt": "<",
        "le": "≤",
        "min_length": "length ≥",
        "pattern": "matches",
    }
    limits = [
        f"{sign} `{getattr(m, key)}`" if key == "pattern" else f"{sign} {getattr(m, key):,}"
        for m in field.metadata
        for key, sign in bounds.items()
        if getattr(m, key, None) is not None
    ]
    kind = typing.get_origin(field.annotation) or field.annotation
    kinds: dict[object, str] = {
        bool: "`true` or `false`",
        tuple: "JSON list",
        dict: "JSON object",
        float: "number",
        int: "integer",
        str: "text",
    }
    return ", ".join([kinds.get(kind, str(kind)), *limits])


def _probe(cli: argparse.ArgumentParser, path: Path, declared_s: float | None) -> int:
    """The verdict on a local file, through the code that judges an upload: the probe on a
    seekable reader (here the file, there ranged reads of the object), then `prepare.planned`
    with the settings of the environment. Exit 0 when accepted, 1 when rejected."""
    from functions.core.settings import SettingsError, get_settings
    from functions.transcribe.media import MediaInfo, MediaRejected, probe
    from functions.transcribe.prepare import planned
    from functions.transcribe.run import StorageObject

    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", "local")  # no call is made: any project
    try:
        settings = get_settings()
    except SettingsError as exc:
        cli.error(str(exc))
    try:
        size = path.stat().st_size
        reader = path.open("rb")
    except OSError as exc:
        cli.error(f"cannot read {path}: {exc.strerror}")
    metadata = {} if declared_s is None else {"duration": f"{declared_s:g}"}
    obj = StorageObject(bucket="local", name=path.name, generation="0", size=size)
    obj.metadata.update(metadata)
    media: MediaInfo | None = None
    reason = None
    try:
        with reader:
            media = probe(reader, None, size)
        media, _, _ = planned(media, obj, settings)
    except MediaRejected as exc:
        reason = str(exc)
    verdict = {
        "container": media and media.container,
        "mime_type": media and media.mime_type,
        "duration_ms": media and media.duration_ms,
        "has_video": media and media.has_video,
        "has_audio": media and media.has_audio,
        "accepted": reason is None,
        "reason": reason,
        "bytes_read": media and media.bytes_read,
    }
    sys.stdout.write(json.dumps(verdict, indent=2) + "\n")
    return 0 if reason is None else 1


def _live_check(args: argparse.Namespace) -> int:
    from functions.core.settings import SettingsError, get_settings
    from functions.transcribe import live_check

    if os.environ.get("GEMINI_API_KEY"):
        os.environ.setdefault("TABSCRIBE_GEMINI_MODE", "developer")  # a key: its API
    try:
        settings = get_settings()
    except SettingsError as exc:
        sys.stderr.write(f"live-check: {exc}\n(or set GEMINI_API_KEY to check the Gemini API)\n")
        return 2
    missing = live_check.missing_credentials(settings)
    if missing:
        sys.stderr.write(f"live-check: {missing}\n")
        return 2
    sample = args.sample or live_check.SAMPLE
    status = live_check.run(settings, sample, args.max_usd, args.record)
    if not args.batch or status == 2:
        return status
    from functions.batch import live_check as batch_check

    return max(status, batch_check.run(settings, sample, args.max_usd, args.batch_wait * 60))


if __name__ == "__main__":
    sys.exit(main())
