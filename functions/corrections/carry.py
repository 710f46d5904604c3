"""The owner's corrections carried over to a new run (decision 0023): when the media is uploaded
again (a new generation) or a run is retried, the new run's transcript starts from the model's
answer; its completion event brings the corrections of the last corrected run back where each
voice is still recognised, by the name the model gave it or by its evidence timecode. The rest
are listed as dropped on the document (`corrections.dropped`), with why.

A voice is recognised by the name the model gave it (before any rename), else by its evidence
within `EVIDENCE_SLACK_MS`, and only when exactly one voice of the new run answers. Carried
entries join the new run's history (`carried_from`), so an owner undoes them as any other.
Idempotent: the run carried is recorded (`corrections.carried`), in the same guarded commit.
"""

from __future__ import annotations

from typing import Any

from functions.core import clients, logs
from functions.core.documents import TRANSCRIPTIONS
from functions.core.events import CompletionEvent
from functions.core.http import BadRequest
from functions.core.settings import Settings
from functions.corrections import edits
from functions.corrections.apply import Corrections, finished
from functions.corrections.ask import Ask
from functions.store.writes import CHANGED, MAX_ATTEMPTS

EVIDENCE_SLACK_MS = 1_000
ENDED = {f"dev.tabscribe.transcription.{s}" for s in ("completed", "failed", "blocked")}
log = logs.get_logger("corrections")


class Dropped(Exception):
    """A correction the new run cannot take: the reason is listed on the document."""


def carry_over(settings: Settings, event: CompletionEvent) -> int:
    """Carry the corrections over to the run `event` announces; how many were carried."""
    if event.type not in ENDED:
        return 0  # a rejected upload has no transcript; `updated` events are ours
    db = clients.firestore_client(settings.firestore_database)
    ref = db.collection(TRANSCRIPTIONS).document(event.data.id)
    for _ in range(MAX_ATTEMPTS):
        snapshot = ref.get()
        doc = snapshot.to_dict() if snapshot.exists else None
        if doc is None or not finished(doc):
            return 0  # gone, or a newer run is writing: its own event will carry
        made = Corrections(db, ref, doc)
        run = made.run
        if (
            run != event.data.run.model_dump()
            or (doc.get("corrections") or {}).get("carried") == run
        ):
            return 0  # superseded, or carried already
        earlier = _last_corrected(made.all_history, run)
        if not earlier:
            return 0
        dropped = _carry(made, earlier)
        try:
            made.commit(snapshot.update_time, carried=run, dropped=dropped)
        except CHANGED:
            continue
        if made.made:
            made.follow(made.made[-1])
        extra = {"transcription_id": ref.id, "carried": len(made.made), "dropped": len(dropped)}
        log.info("corrections carried over", extra=extra)
        return len(made.made)
    raise RuntimeError("the transcription kept changing; Pub/Sub will redeliver")


def _last_corrected(history: list[dict[str, Any]], run: dict[str, Any]) -> list[dict[str, Any]]:
    """The corrections in force on the latest earlier run that has any history."""
    runs = [e["run"] for e in history if e.get("run") != run]
    if not runs:
        return []
    last = max(runs, key=lambda r: (int(r["generation"]), int(r["attempt"])))
    return edits.standing([e for e in history if e.get("run") == last])


def _carry(made: Corrections, earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decide each earlier correction on the new run; the ones dropped, with why."""
    found = {  # every old voice recognised (or not) before anything is renamed
        (entry[role], repr(entry["match"][role])): _recognised(made, entry["match"][role])
        for entry in earlier
        for role in ("voice", "into")
        if entry.get(role) is not None
    }
    dropped = []
    for entry in earlier:
        try:
            voices = [
                found[(entry[role], repr(entry["match"][role]))]
                for role in ("voice", "into")
                if entry.get(role) is not None
            ]
            made.decide(_ask(made, entry, voices), entry["by"], carried_from=entry["seq"])
        except (Dropped, BadRequest, edits.Conflict) as exc:
            keys = ("seq", "action", "voice", "into")
            dropped.append({**{k: entry.get(k) for k in keys}, "reason": str(exc)})
    return dropped


def _ask(made: Corrections, entry: dict[str, Any], voices: list[int | Dropped]) -> Ask:
    for voice in voices:
        if isinstance(voice, Dropped):
            raise voice
    if entry["action"] == "rename":
        return Ask(made.ref.id, "rename", voices[0], fields=entry["after"])  # type: ignore[arg-type]
    if voices[0] == voices[1]:
        raise Dropped("both voices are one voice in the new run")
    return Ask(made.ref.id, "merge", voices[0], into=voices[1])  # type: ignore[arg-type]


def _recognised(made: Corrections, key: dict[str, Any]) -> int | Dropped:
    """The new run's one voice `key` names, by name, else by evidence."""
    speakers = made.transcript.speakers
    name, evidence = _plain(key.get("name")), key.get("evidence_ms")
    by_name = [v for v, s in speakers.items() if name and _plain(s.get("name")) == name]
    by_evidence = [
        v
        for v, s in speakers.items()
        if evidence is not None
        and s.get("evidence_ms") is not None
        and abs(int(s["evidence_ms"]) - int(evidence)) <= EVIDENCE_SLACK_MS
    ]
    for candidates in (by_name, by_evidence):
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            return Dropped(f"voices {', '.join(map(str, candidates))} of the new run all match")
    return Dropped("no voice of the new run matches by name or evidence")


def _plain(name: Any) -> str | None:
    return " ".join(str(name).casefold().split()) or None if name else None
