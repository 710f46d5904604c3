"""Preparing a run: the probe, the uploader's overrides, the request plan, the clip plan of long
media and its fan-out (one upload for every clip, decision 0016), and the voices pass's reel."""

from __future__ import annotations

import datetime as dt
import io
import math
import time
from typing import Any

from functions.core import clients, logs, tasks
from functions.core.catalog import catalog
from functions.core.media import enrichment_names
from functions.core.messages import ClipTask
from functions.core.settings import Settings
from functions.format.voices import Slot, duration_s
from functions.transcribe import gemini
from functions.transcribe.bounds import check_clips, measured
from functions.transcribe.call import media_uri
from functions.transcribe.clips import ClipRange, plan_for
from functions.transcribe.media import MediaInfo, check_size, probe
from functions.transcribe.plan import (
    Overrides,
    Plan,
    declared_duration_s,
    make_plan,
    parse_overrides,
    segment_range,
)
from functions.transcribe.prompt import build_prompt
from functions.transcribe.publisher import PUBLISH_TIMEOUT_S
from functions.transcribe.run import Outcome, Run, StorageObject, blob, mark_finished

log = logs.get_logger("transcribe")
PROBE_CHUNK_BYTES = 256 * 1024


def plans(run: Run) -> tuple[MediaInfo, list[ClipRange], list[Plan]]:
    """The probed media, its clips (none: one request) and the plan of each request. Raises
    `MediaRejected`, and `NotFound` once the event's generation is gone."""
    return planned(_probe(run), run.obj, run.settings)


def planned(
    media: MediaInfo, obj: StorageObject, settings: Settings
) -> tuple[MediaInfo, list[ClipRange], list[Plan]]:
    """What the probed media of `obj` becomes, within the bounds (decision 0020): its length,
    its clips and the plan of each request (the transcriber's, and `python -m functions
    probe`'s verdict). Raises `MediaRejected`."""
    overrides = parse_overrides(obj.metadata, settings.allowed_models)
    media = measured(media, declared_duration_s(overrides), obj.size, settings)
    clips = _clips(media, overrides, settings)
    check_clips(len(clips), settings)
    each = [_plan(media, overrides, settings, clip) for clip in clips]
    return media, clips, each or [_plan(media, overrides, settings, None)]


def upload_once(run: Run, plan: Plan) -> None:
    """The Developer API's one Files API copy for every clip (decision 0016): `run.media_file`."""
    if run.settings.gemini_mode == "developer":
        media_uri(run, gemini.client(run.settings, plan.location), plan)


def prompts(run: Run, media: MediaInfo, clips: list[ClipRange], plans: list[Plan]) -> list[str]:
    """The instructions of each planned request: the whole range's, or each clip's."""
    events = asks_events(run)
    if not clips:
        return [build_prompt(media.duration_s, media.has_video, run.obj.metadata, events)]
    return [
        build_prompt(plan.duration_s, media.has_video, run.obj.metadata, events) for plan in plans
    ]


def asks_events(run: Run) -> bool:
    """Whether the requests ask for the sound events (decision 0025): the upload's `events`
    metadata (validated with the other overrides, `planned`), else the settings'."""
    asked = parse_overrides(run.obj.metadata, run.settings.allowed_models).events
    return run.settings.events if asked is None else asked


def asks_enrichments(run: Run) -> list[str]:
    """The enrichments the run asks for once its transcript is complete (decision 0026), sorted:
    the upload's `translate` and `chapters` metadata (validated with the other overrides,
    `planned`), else the settings'."""
    overrides = parse_overrides(run.obj.metadata, run.settings.allowed_models)
    languages = overrides.languages()
    chapters = overrides.chapters
    return enrichment_names(
        list(run.settings.translate) if languages is None else languages,
        run.settings.chapters if chapters is None else chapters,
    )


def run_fields(
    run: Run, media: MediaInfo, clips: list[ClipRange], plans: list[Plan], prompts: list[str]
) -> dict[str, Any]:
    """What the run's document records of its media, its plans and its clips; the hashes of
    each request's plan and prompt, which every clips-topic task must match (`tasks`)."""
    plan = plans[0]
    fields = {"model": plan.model, "plan": plan.model_dump(), **_media_fields(run, media)}
    fields["asked_enrichments"] = asks_enrichments(run)
    fields["hashes"] = None if clips else tasks.recorded(plan.model_dump(), prompts[0])
    if clips and run.settings.gemini_mode == "developer":
        fields["media_file"] = run.media_file.model_dump(mode="json") if run.media_file else None
    if clips:
        fields["clips"] = {
            "count": len(clips),
            "ranges": [clip.model_dump() for clip in clips],
            "clip_s": run.settings.clip_s,
            "overlap_s": run.settings.clip_overlap_s,
            "hashes": [
                tasks.recorded(plan.model_dump(), prompt)
                for plan, prompt in zip(plans, prompts, strict=True)
            ],
        }
        fields["progress"] = {"segments": 0, "fraction": 0.0, "clips": len(clips), "clips_done": 0}
    return fields


def _clips(media: MediaInfo, overrides: Overrides, settings: Settings) -> list[ClipRange]:
    """The clip plan of the requested range (the whole media, or the uploader's start to end):
    clips past the threshold, or past what the model takes in one prompt."""
    start, end = segment_range(media.duration_s, overrides)
    if end is None:
        return []
    model = catalog().get(overrides.model or settings.model)
    most_s = model.limits.media_s(media.has_video, media.has_audio) if model else math.inf
    ranges = plan_for(end - start, settings, most_s)
    offset = round(start * 1000)
    return [
        clip.model_copy(update={"start_ms": clip.start_ms + offset, "end_ms": clip.end_ms + offset})
        for clip in ranges
    ]


def _plan(
    media: MediaInfo, overrides: Overrides, settings: Settings, clip: ClipRange | None
) -> Plan:
    """The request plan of the whole range, or of one clip of it (at the whole range's media
    resolution: clipping changes neither what the model sees nor the cost per second)."""
    whole_s = None
    if clip is not None:
        start, end = segment_range(media.duration_s, overrides)
        whole_s = None if end is None else end - start
        to_the_end = media.duration_ms is not None and clip.end_ms >= media.duration_ms
        clip_end = None if to_the_end else f"{clip.end_s:g}"  # no rounding past the end
        overrides = overrides.model_copy(update={"start": f"{clip.start_s:g}", "end": clip_end})
    return make_plan(
        media, settings.model, overrides, settings.gemini_mode, settings.location, whole_s
    )


def _media_fields(run: Run, media: MediaInfo) -> dict[str, Any]:
    return {
        "duration_ms": media.duration_ms,
        "has_video": media.has_video,
        "has_audio": media.has_audio,
        "media": {
            "container": media.container,
            "mime_type": media.mime_type,
            "declared_type": run.obj.content_type,
            "probe_bytes": media.bytes_read,
        },
    }


def _probe(run: Run) -> MediaInfo:
    started = time.monotonic()
    check_size(run.obj.size)  # before any read: empty and oversize files are rejected at once
    with blob(run.obj).open("rb", chunk_size=PROBE_CHUNK_BYTES) as reader:
        media = probe(reader, run.obj.content_type, run.obj.size)
    run.timings["probe_s"] = round(time.monotonic() - started, 3)
    log.info(
        "probed",
        extra={
            "transcription_id": run.claim.transcription_id,
            "container": media.container,
            "mime_type": media.mime_type,
            "declared_type": run.obj.content_type,
            "duration_s": media.duration_s,
            "bytes_read": media.bytes_read,
        },
    )
    return media


def fan_out(run: Run, clips: list[ClipRange], plans: list[Plan], prompts: list[str]) -> str:
    """A long upload: one message per clip on the clips topic; each clip is its own run."""
    publisher = clients.publisher()
    topic = publisher.topic_path(run.settings.project, run.settings.clips_topic)
    futures = []
    for clip, plan, prompt in zip(clips, plans, prompts, strict=True):
        task = ClipTask(
            transcription_id=run.claim.transcription_id,
            bucket=run.obj.bucket,
            name=run.obj.name,
            generation=run.obj.generation,
            attempt=run.claim.attempt,
            index=clip.index,
            clips=len(clips),
            start_ms=clip.start_ms,
            end_ms=clip.end_ms,
            content_type=run.obj.content_type,
            size=run.obj.size,
            media_file=run.media_file,
            plan=plan.model_dump(),
            prompt=prompt,
            published_at=dt.datetime.now(dt.UTC),
        )
        body = task.model_dump_json(exclude_none=True).encode()
        futures.append(publisher.publish(topic, body, **task.attributes()))
    for future in futures:
        future.result(timeout=PUBLISH_TIMEOUT_S)
    mark_finished(run)
    log.info(
        f"fanned out into {len(clips)} clips",
        extra={"transcription_id": run.claim.transcription_id, "attempt": run.claim.attempt},
    )
    return Outcome.FANNED_OUT


def cut_reel(run: Run, placed: list[Slot], with_video: bool) -> tuple[StorageObject, bool]:
    """Cut the voices reel from the source's ranges and write it under the output prefix: the
    object written, and whether it has a picture."""
    from functions.transcribe import reel  # PyAV: loaded by the voices pass only

    started = time.monotonic()
    out = io.BytesIO()
    with blob(run.obj).open("rb", chunk_size=PROBE_CHUNK_BYTES) as reader:
        kind = reel.cut(reader, placed, with_video, out)
    settings, claim = run.settings, run.claim
    name = f"{settings.output_prefix}{claim.transcription_id}/voices-{claim.attempt}"
    name += f".{kind.extension}"
    bucket = clients.storage_client().bucket(settings.results_bucket or run.obj.bucket)
    written = bucket.blob(name)
    written.upload_from_string(out.getvalue(), content_type=kind.mime_type)
    obj = StorageObject(
        bucket=bucket.name,
        name=name,
        generation=str(written.generation),
        contentType=kind.mime_type,
        size=out.tell(),
    )
    run.timings["reel_s"] = round(time.monotonic() - started, 3)
    log.info(
        f"voices reel of {len(placed)} snippets, {duration_s(placed)} s, {out.tell():,} bytes",
        extra={"transcription_id": claim.transcription_id, "reel": f"gs://{bucket.name}/{name}"},
    )
    return obj, kind is reel.VIDEO
