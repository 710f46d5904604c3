"""Upload a file to the local bucket, follow its transcription live, print what apps would show."""

from __future__ import annotations

import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

from functions.core import clients
from functions.core.documents import PAGES, TERMINAL, TRANSCRIPTIONS, transcription_id
from functions.format.tables import format_timecode
from stack.bridge import GAVE_UP, shown
from stack.local import BUCKET, PROJECT, TOPICS

START_TIMEOUT_S = 60.0  # from upload to the first sign of the transcription
TOTAL_TIMEOUT_S = 20 * 60.0
GIVE_UP_CHECK_S = 2.0  # how often to look for a pipeline that gave up
MIME_TYPES = {".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".webm": "video/webm"}


class FollowError(RuntimeError):
    pass


def upload(path: Path, owner: str, metadata: dict[str, str]) -> str:
    """Upload `path` as `uploads/<owner>/<file name>`; the object name."""
    return str(put(path, owner, metadata).name)


def put(path: Path, owner: str, metadata: dict[str, str]) -> Any:
    """Upload `path` as `uploads/<owner>/<file name>`; the blob, with its new generation."""
    name = f"uploads/{owner}/{path.name}"
    blob = clients.storage_client().bucket(BUCKET).blob(name)
    blob.metadata = metadata or None
    content_type = MIME_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    blob.upload_from_filename(str(path), content_type=content_type or "application/octet-stream")
    return blob


def upload_and_follow(path: Path, owner: str, metadata: dict[str, str], logs: Path) -> int:
    blob = put(path, owner, metadata)
    print(f"uploaded {path.name} → gs://{BUCKET}/{blob.name}", flush=True)
    doc = wait_for_terminal(blob.name, logs, blob.generation)
    print_transcript(doc, read_segments(transcription_id(BUCKET, blob.name), doc))
    if doc.get("status") != "completed":
        log = logs / "transcribe_upload.log"
        print(f"{doc.get('status')}: {doc.get('reason')} (see {log})", file=sys.stderr)
        return 1
    return 0


def wait_for_terminal(name: str, logs: Path, generation: int | None = None) -> dict[str, Any]:
    """Print progress until the transcription of object `name` (of `generation`, if given) is
    terminal; raise naming the failed part and its log as soon as the pipeline gave up on it."""
    tid = transcription_id(BUCKET, name)
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)
    started, last_line, checked = time.monotonic(), "", 0.0
    while True:
        doc = ref.get().to_dict() or {}
        if generation is not None and (doc.get("source") or {}).get("generation") != str(
            generation
        ):
            doc = {}  # an earlier upload's transcription: not ours yet
        line = progress_line(doc)
        if line != last_line:
            print(f"  {time.monotonic() - started:6.1f} s  {line}", flush=True)
            last_line = line
        if doc.get("status") in TERMINAL:
            return doc
        if time.monotonic() - checked > GIVE_UP_CHECK_S:
            _raise_if_given_up(name, tid, generation, logs)
            checked = time.monotonic()
        waited = time.monotonic() - started
        if not doc and waited > START_TIMEOUT_S:
            raise FollowError(
                f"no transcription after {START_TIMEOUT_S:.0f} s; see {logs / 'bridge.log'} "
                f"and {logs / 'transcribe_upload.log'}"
            )
        if waited > TOTAL_TIMEOUT_S:
            raise FollowError(f"still {doc.get('status')} after {waited:.0f} s; see {logs}")
        time.sleep(0.25)


def wait_for_enrichments(tid: str, timeout_s: float = 180.0) -> dict[str, Any]:
    """The completed document `tid` once every enrichment its run asked for (decision 0026) has
    ended, `completed` or `failed`: the store starts them with the completion, the enrichment
    room ends them."""
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)
    deadline = time.monotonic() + timeout_s
    while True:
        doc = ref.get().to_dict() or {}
        asked = doc.get("asked_enrichments") or []
        ended = {
            name: entry.get("status")
            for name, entry in (doc.get("enrichments") or {}).items()
            if entry.get("status") in ("completed", "failed")
        }
        segments = (doc.get("counts") or {}).get("segments")
        if doc.get("status") in TERMINAL and (doc.get("status") != "completed" or not segments):
            return doc  # no enrichment starts (docs/firestore.md)
        if doc.get("status") == "completed" and set(asked) <= set(ended):
            return doc
        if time.monotonic() > deadline:
            raise FollowError(f"enrichments of {tid} not ended in {timeout_s:.0f} s: {ended}")
        time.sleep(0.25)


def _raise_if_given_up(name: str, tid: str, generation: int | None, logs: Path) -> None:
    """The two ways the local pipeline gives up on this upload: the bridge stops retrying the
    transcriber, or one of its results messages ends in the dead-letter topic (peeked at, then
    released for other readers)."""
    ours = f"{GAVE_UP} {shown(name)}#{'' if generation is None else generation}"
    bridge_log = logs / "bridge.log"
    if bridge_log.exists() and ours in bridge_log.read_text():
        raise FollowError(
            f"the transcriber failed on every delivery of {name}; "
            f"see {logs / 'transcribe_upload.log'}"
        )
    for attributes in _peek_dead_letters():
        if attributes.get("transcription_id") == tid and generation in (
            None,
            int(attributes.get("generation") or 0),
        ):
            raise FollowError(
                f"the store could not handle a results message of {name} (now in the "
                f"dead-letter topic); see {logs / 'store_transcription.log'}"
            )


def _peek_dead_letters() -> list[dict[str, str]]:
    """The attributes of the messages waiting in the dead-letter subscription, left there."""
    from google.api_core.exceptions import DeadlineExceeded
    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    subscription = subscriber.subscription_path(PROJECT, f"{TOPICS['dead']}-pull")
    try:  # the emulator holds an empty pull open: a short deadline keeps progress flowing
        response = subscriber.pull(subscription=subscription, max_messages=100, timeout=0.5)
    except DeadlineExceeded:
        return []
    ack_ids = [m.ack_id for m in response.received_messages]
    if ack_ids:
        subscriber.modify_ack_deadline(
            subscription=subscription, ack_ids=ack_ids, ack_deadline_seconds=0
        )
    return [dict(m.message.attributes) for m in response.received_messages]


def progress_line(doc: dict[str, Any]) -> str:
    if not doc:
        return "waiting for the transcriber …"
    progress = doc.get("progress") or {}
    segments = progress.get("segments") or 0
    fraction = progress.get("fraction")
    percent = f", {fraction:.0%} of the media" if fraction is not None else ""
    clips = progress.get("clips")
    done = f", clips {progress.get('clips_done') or 0}/{clips} done" if clips else ""
    asked = ((doc.get("clips") or {}).get("voices") or {}).get("asked")
    if asked and doc.get("status") == "processing":
        done += f"; matching {asked} voices"
    return f"{doc.get('status')}: {segments} segments{percent}{done}"


def read_segments(tid: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Full pages in order, then the live page still on the document (docs/firestore.md)."""
    ref = clients.firestore_client().collection(TRANSCRIPTIONS).document(tid)
    segments: list[dict[str, Any]] = []
    for page in ref.collection(PAGES).order_by("__name__").stream():
        segments += (page.to_dict() or {}).get("segments") or []
    segments += ((doc.get("live_page") or {}).get("segments")) or []
    return segments


def print_transcript(doc: dict[str, Any], segments: list[dict[str, Any]]) -> None:
    hours = (doc.get("duration_ms") or 0) >= 3600 * 1000
    speakers = {s["voice"]: s for s in doc.get("speakers") or []}
    print(f"\nSpeakers ({len(speakers)})")
    print(f"  {'voice':>5}  {'name':<24} {'company':<26} {'position':<24} {'role':<14} talk time")
    for voice, s in sorted(speakers.items()):
        cells = [s.get(k) or "?" for k in ("name", "company", "position", "role")]
        talk = format_timecode(s.get("talk_ms") or 0, hours)
        print(
            f"  {voice:>5}  {cells[0]:<24.24} {cells[1]:<26.26} {cells[2]:<24.24} "
            f"{cells[3]:<14.14} {talk}"
        )
    print(f"\nTranscript ({len(segments)} segments)")
    for segment in segments:
        voice = segment.get("voice")
        who = (speakers.get(voice) or {}).get("name") or f"voice {voice or '?'}"
        print(f"  [{format_timecode(segment['start_ms'], hours)}] {who}: {segment['text']}")
