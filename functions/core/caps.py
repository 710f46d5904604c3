"""Daily caps on what uploads may cost: media hours and estimated cost per user, estimated cost
for the whole project (decision 0019). Counters live in Firestore, updated in transactions:

- `usage/{day}`: the project's day (UTC), `usage/{day}/users/{uid}`: a user's, each holding
  `media_s`, `cost_usd` and `uploads`;
- `usage_uploads/{transcription id}`: what one upload counts, and its state: `reserved` by the
  upload function when it signs (the declared duration, or a bound from the size), `counted` by
  the transcriber with the probed duration for one object generation.

An upload is admitted while every counter it adds to is under its cap: the one that crosses a cap
is the last of the day, so concurrent uploads overshoot a cap by one file at most.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from google.api_core import exceptions as api_errors
from google.cloud import firestore

from functions.core.catalog import catalog, price_on
from functions.core.media import duration_bound_s
from functions.core.settings import Settings

USAGE = "usage"
USERS = "users"
UPLOADS = "usage_uploads"
OUTPUT_TOKENS_PER_S = 10  # a transcript's rows, its speaker table and the thinking, generously
TRANSACTION_ATTEMPTS = 5  # a transaction's own retries, keeping its place in line
CONTENDED_TRIES = 6  # then whole transactions again, after a random pause (0.1 s, doubling)


@dataclass(frozen=True)
class Usage:
    """What one upload adds to the counters."""

    media_s: float
    cost_usd: float

    def as_dict(self) -> dict[str, float]:
        return {"media_s": self.media_s, "cost_usd": self.cost_usd}

    def minus(self, other: Usage) -> Usage:
        return Usage(self.media_s - other.media_s, self.cost_usd - other.cost_usd)


class Busy(Exception):
    """The counters stayed contended through every try: try again shortly (HTTP 503)."""


@dataclass
class OverCap(Exception):
    """A daily cap is reached: nothing more is admitted until `resets_at` (UTC midnight)."""

    cap: str  # the setting's name, without its prefix: cap_user_media_h, …
    limit: float
    used: float
    resets_at: dt.datetime

    def __str__(self) -> str:
        what, unit = _CAPS[self.cap]
        hours = unit == "media hours"
        limit = f"{self.limit:g} media hours" if hours else f"US${self.limit:g}"
        used = f"{self.used:.4g} hours" if hours else f"US${self.used:.2f}"
        return (
            f"the daily cap of {limit} {what} (TABSCRIBE_{self.cap.upper()}) is reached: "
            f"{used} used today; it resets at {self.resets_at:%Y-%m-%d %H:%M} UTC"
        )


_CAPS = {  # setting: (whose, unit); the counter is the unit's field on that day's document
    "cap_user_media_h": ("per user", "media hours"),
    "cap_user_usd": ("of estimated cost per user", "USD"),
    "cap_project_usd": ("of estimated cost for the project", "USD"),
}


def estimate(
    model_id: str,
    media_s: float,
    has_video: bool,
    day: dt.date,
    fps: float | None = None,
) -> Usage:
    """The list price in force on `day` of transcribing `media_s` seconds with `model_id`:
    every frame at the model's dearest resolution, the audio, and a transcript's output. A
    model without a list price counts its media hours only."""
    model = catalog().get(model_id)
    price = price_on(model.prices, day) if model else None
    if model is None or price is None:
        return Usage(media_s, 0.0)
    frames = math.ceil(media_s * (fps or 1.0)) * max(model.frame_tokens.values())
    audio = math.ceil(media_s * model.audio_tokens_per_s)
    input_rate = price.input if has_video else price.input_audio
    output = math.ceil(media_s * OUTPUT_TOKENS_PER_S)
    usd = ((frames * has_video + audio) * input_rate + output * price.output) / 1e6
    return Usage(media_s, round(usd, 6))


def declared_usage(
    settings: Settings, content_type: str, size: int, declared_s: float | None, now: dt.datetime
) -> Usage:
    """An upload's usage before it exists: its declared duration, else a bound from its size."""
    media_s = declared_s if declared_s is not None else duration_bound_s(size)
    return estimate(settings.model, media_s, content_type.startswith("video/"), now.date())


def reserve(
    db: firestore.Client,
    settings: Settings,
    transcription_id: str,
    owner: str,
    usage: Usage,
    now: dt.datetime,
) -> None:
    """Count a signed upload against today's caps (the upload function), or raise `OverCap`."""
    day = _day(now)
    entry = db.collection(UPLOADS).document(transcription_id)

    @firestore.transactional
    def take(transaction: firestore.Transaction) -> None:
        counters = _read(transaction, db, day, owner)
        _check(settings, counters, now)
        _add(transaction, counters, usage)
        fields = {"owner": owner, "day": day, "state": "reserved", **usage.as_dict()}
        transaction.create(entry, {**fields, "updated_at": firestore.SERVER_TIMESTAMP})

    _contended(db, take)


def count(
    db: firestore.Client,
    settings: Settings,
    transcription_id: str,
    owner: str | None,
    generation: str,
    usage: Usage,
    now: dt.datetime,
) -> None:
    """Count an object generation the transcriber is about to call the model for, or raise
    `OverCap`. Its reservation, if the upload function signed it, is settled with `usage` (the
    probed duration) on the reservation's day, without a new check: it was admitted when signed.
    Without one (an object written directly), today's caps are checked as at signing. A
    generation counted already (a redelivery, a retry) is not counted again."""
    entry = db.collection(UPLOADS).document(transcription_id)

    @firestore.transactional
    def take(transaction: firestore.Transaction) -> None:
        current = entry.get(transaction=transaction).to_dict() or {}
        if current.get("generation") == generation:
            return
        reserved = current.get("state") == "reserved"
        day = current["day"] if reserved else _day(now)
        counters = _read(transaction, db, day, owner)
        fields = {"owner": owner, "day": day, "state": "counted", "generation": generation}
        if reserved:  # the name holds the uid: the reservation's owner is this object's
            was = Usage(current["media_s"], current["cost_usd"])
            _add(transaction, counters, usage.minus(was), uploads=0)
            fields["reserved"] = was.as_dict()
        else:
            _check(settings, counters, now)
            _add(transaction, counters, usage)
        fields |= {**usage.as_dict(), "updated_at": firestore.SERVER_TIMESTAMP}
        transaction.set(entry, fields)

    _contended(db, take)


def _contended(db: firestore.Client, take: Callable[[firestore.Transaction], None]) -> None:
    """Run the transaction `take`; when it keeps losing to concurrent ones (every upload adds to
    the project's day), again after a random pause, so the contenders spread out."""
    for attempt in range(CONTENDED_TRIES):
        try:
            take(db.transaction(max_attempts=TRANSACTION_ATTEMPTS))
            return
        except ValueError as exc:  # the client's "failed to commit in N attempts"
            if not isinstance(exc.__cause__, api_errors.Aborted):
                raise
        time.sleep(random.uniform(0, 0.1 * 2**attempt))
    raise Busy("the usage counters are busy; try again in a few seconds")


@dataclass
class _Counter:
    ref: Any
    values: dict[str, Any]
    caps: tuple[tuple[str, str], ...]  # (setting, counter field)


def _read(
    transaction: firestore.Transaction, db: firestore.Client, day: str, owner: str | None
) -> list[_Counter]:
    """The day's counters an upload by `owner` adds to (an ownerless object: the project's)."""
    project = db.collection(USAGE).document(day)
    counters = [_Counter(project, {}, (("cap_project_usd", "cost_usd"),))]
    if owner is not None:
        user_caps = (("cap_user_media_h", "media_s"), ("cap_user_usd", "cost_usd"))
        counters.append(_Counter(project.collection(USERS).document(owner), {}, user_caps))
    refs = [c.ref for c in counters]
    found = {s.reference.path: s.to_dict() or {} for s in transaction.get_all(refs)}
    for counter in counters:
        counter.values = found.get(counter.ref.path, {})
    return counters


def _check(settings: Settings, counters: list[_Counter], now: dt.datetime) -> None:
    for cap, used in _usage_by_cap(counters):
        limit = float(getattr(settings, cap))
        if limit and used >= limit:
            raise OverCap(cap, limit, used, resets_at(now))


def _usage_by_cap(counters: list[_Counter]) -> Iterator[tuple[str, float]]:
    for counter in counters:
        for cap, field in counter.caps:
            used = float(counter.values.get(field, 0.0))
            yield cap, used / 3600 if field == "media_s" else used


def _add(
    transaction: firestore.Transaction, counters: list[_Counter], usage: Usage, uploads: int = 1
) -> None:
    for counter in counters:
        transaction.set(
            counter.ref,
            {
                "media_s": firestore.Increment(usage.media_s),
                "cost_usd": firestore.Increment(usage.cost_usd),
                "uploads": firestore.Increment(uploads),
                "updated_at": firestore.SERVER_TIMESTAMP,
            },
            merge=True,
        )


def _day(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).date().isoformat()


def resets_at(now: dt.datetime) -> dt.datetime:
    """The next UTC midnight, when every daily counter starts again from zero."""
    today = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)
