"""Recording an enrichment (decision 0026, docs/firestore.md): a translation's exports first (by
the store's own code), then one commit guarded by the document's update time as read — the
enrichment's fields, the document's usage and cost grown by its own, a translation's pages, and
the claim marked finished (a duplicate delivery then calls no model) — only while the document's
run is the task's, `completed`, with the enrichment still `processing`; then the
`transcription.enriched` event, and the enrichment marked `published` (a task redelivered after a
crash between the commit and the event publishes it then: `announce`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from functions.core import logs
from functions.core.documents import PAGES, TRANSCRIPTIONS, TRANSLATIONS, Status
from functions.core.events import EnrichedData, enriched_event
from functions.core.messages import EnrichTask, Usage, enrichment_kind
from functions.core.settings import Settings
from functions.enrich.result import Result
from functions.store import cost as costs
from functions.store.finish import publish, write_exports
from functions.store.state import MAX_ISSUES
from functions.store.writes import CHANGED, MAX_ATTEMPTS
from functions.transcribe import claims
from functions.transcribe.claims import Claim

log = logs.get_logger("enrich")


@dataclass(frozen=True)
class Job:
    """One claimed enrichment: the task, its claim, and the transcription as first read."""

    db: firestore.Client
    settings: Settings
    task: EnrichTask
    claim: Claim
    doc: dict[str, Any]

    @property
    def ref(self) -> firestore.DocumentReference:
        return self.db.collection(TRANSCRIPTIONS).document(self.task.transcription_id)

    @property
    def run(self) -> dict[str, Any]:
        return {"generation": self.task.generation, "attempt": self.task.attempt}

    @property
    def name(self) -> str:
        return self.task.enrichment

    @property
    def lang(self) -> str | None:
        return enrichment_kind(self.name)[1]

    @property
    def model(self) -> str:
        """The enrichments' model setting, else the model that transcribed the run."""
        return self.settings.enrich_model or self.doc.get("model") or self.settings.model


def not_ours(doc: dict[str, Any], job: Job) -> str | None:
    """Why the document no longer takes this enrichment's record, or None."""
    entry = (doc.get("enrichments") or {}).get(job.name) or {}
    if doc.get("run") != job.run:
        return f"superseded: the transcription's run is now {doc.get('run')}"
    if doc.get("status") != Status.COMPLETED.value:
        return f"the transcription is {doc.get('status')}, not completed"
    if entry.get("run") != job.run or entry.get("status") != Status.PROCESSING.value:
        return f"{job.name} is no longer processing for this run"
    return None


def record(job: Job, result: Result, usage: Usage | None, requests: int) -> str | None:
    """Record `result` and publish its event; None once done, else why the document refused it."""
    exports: dict[str, str] = {}
    if result.completed and job.lang is not None:
        exports = write_exports(job.task.transcription_id, job.doc, result.subtitles, job.lang)
    at = dt.datetime.now(dt.UTC)
    cost = costs.estimate_cost(job.model, usage, False, job.settings.prices)
    entry = {
        "status": result.status,
        "reason": result.reason,
        "finished_at": at,
        "model": job.model,
        "usage": usage.model_dump() if usage else None,
        "cost": cost,
        "issues": [issue.model_dump() for issue in result.issues[:MAX_ISSUES]],
        "requests": requests,
        **result.fields,
        **({"exports": exports} if job.lang is not None else {}),
        "published": False,  # its event: true once out
    }
    why = _commit(job, result, entry, usage, cost)
    if why is not None:
        return why
    announce(job.db, job.task, entry)
    extra = {"transcription_id": job.task.transcription_id, "enrichment": job.name}
    log.info(
        f"enrichment {result.status}",
        extra=extra
        | logs.outcome(result.status, "enrich", model=job.model, usage=usage, cost=cost),
    )
    return None


def _commit(
    job: Job,
    result: Result,
    entry: dict[str, Any],
    usage: Usage | None,
    cost: dict[str, Any] | None,
) -> str | None:
    """The one guarded commit; read again when the document changed since the read."""
    ref = job.ref
    for _ in range(MAX_ATTEMPTS):
        snapshot = ref.get()
        doc = snapshot.to_dict() or {}
        why = not_ours(doc, job)
        if why is not None:
            return why
        batch = job.db.batch()
        if job.lang is not None and result.completed:
            _translation(job, result, batch)
        fields = {f"enrichments.{job.name}.{key}": value for key, value in entry.items()}
        fields |= result.document
        if usage is not None:
            known = Usage.model_validate(doc["usage"]) if doc.get("usage") else None
            total = Usage.total([known, usage])
            fields["usage"] = total.model_dump() if total else None
            fields["cost"] = costs.added(doc.get("cost"), cost)
        fields["updated_at"] = firestore.SERVER_TIMESTAMP
        guard = job.db.write_option(last_update_time=snapshot.update_time)
        batch.update(ref, fields, option=guard)
        batch.update(*claims.finished_mark(job.db, job.claim))
        try:
            batch.commit()
            return None
        except CHANGED:
            continue
    raise RuntimeError("the transcription kept changing; Pub/Sub will redeliver")


def _translation(job: Job, result: Result, batch: Any) -> None:
    """`translations/{lang}` and its pages, mirroring the transcript's; pages of an earlier
    run's translation that ours do not overwrite are deleted."""
    owner, run, lang = job.doc.get("owner"), job.run, job.lang
    ref = job.ref.collection(TRANSLATIONS).document(str(lang))
    ours = {page.id for page in result.pages}
    for stale in ref.collection(PAGES).select([]).stream():
        if stale.id not in ours:
            batch.delete(stale.reference)
    segments = sum(len(page.segments) for page in result.pages)
    batch.set(
        ref,
        {
            "lang": lang,
            "owner": owner,
            "run": run,
            "pages": len(result.pages),
            "segments": segments,
        },
    )
    for page in result.pages:
        batch.set(
            ref.collection(PAGES).document(page.id),
            {
                "index": page.index,
                "owner": owner,
                "run": run,
                "lang": lang,
                "count": len(page.segments),
                "first_start_ms": page.segments[0]["start_ms"],
                "last_start_ms": page.segments[-1]["start_ms"],
                "segments": page.segments,
            },
        )


def announce(db: firestore.Client, task: EnrichTask, entry: dict[str, Any]) -> None:
    """Publish `transcription.enriched` for the recorded `entry` of `task`'s enrichment, then mark
    it `published` (its id is the enrichment's: published twice, a subscriber can tell)."""
    kind, lang = enrichment_kind(task.enrichment)
    run = {"generation": task.generation, "attempt": task.attempt}
    data = EnrichedData(
        id=task.transcription_id,
        run=run,
        enrichment=task.enrichment,
        kind=kind,
        lang=lang,
        status=entry["status"],
        reason=entry.get("reason"),
        exports=entry.get("exports") or {},
    )
    publish(enriched_event(data, entry["finished_at"]))
    ref = db.collection(TRANSCRIPTIONS).document(task.transcription_id)
    for _ in range(MAX_ATTEMPTS):  # only while the run and its record are still the document's
        snapshot = ref.get()
        doc = snapshot.to_dict() or {}  # gone, if its owner deleted it meanwhile
        recorded = (doc.get("enrichments") or {}).get(task.enrichment) or {}
        if doc.get("run") != run or recorded.get("run") != run:
            return
        guard = db.write_option(last_update_time=snapshot.update_time)
        try:
            ref.update({f"enrichments.{task.enrichment}.published": True}, option=guard)
            return
        except CHANGED:
            continue
