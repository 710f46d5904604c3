"""Daily caps on what uploads may cost: media hours and estimated cost per user, estimated cost
for the whole project (decision 0019). Counters live in Firestore, each change one atomic batch:

- `usage/{day}`: the project's day (UTC), `usage/{day}/users/{uid}`: a user's, each holding
  `media_s`, `cost_usd` and `uploads`;
- `usage_uploads/{transcription id}`: what one upload counts, and its state: `reserved` by the
  upload function when it signs (the declared duration, or a bound from the size), `counted` by
  the transcriber with the probed duration for one object generation.

An upload is admitted while every counter it adds to is under its cap: the one that crosses a cap
is the last of the day. The upload function writes a user's day on the condition that it is
unchanged since its read (a compare-and-set, as the claims do: no lock to wait for), so one
user's concurrent uploads take turns and overshoot the user's caps by one file at most. The
project's day, which every upload adds to, is read as it is and added to by a blind increment
(else every upload would wait for every other): its cap is overshot by at most the uploads
admitted in the same instant, as are a user's by objects written in parallel without the
function.
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
from functions.core.http import Refused
from functions.core.settings import Settings

USAGE = "usage"
USERS = "users"
UPLOADS = "usage_uploads"
OUTPUT_TOKENS_PER_S = 10  # a transcript's rows, its speaker table and the thinking, generously
WRITE_ATTEMPTS = 30  # a user's concurrent uploads: each round of reads, one of them wins
CHANGED = (api_errors.FailedPrecondition, api_errors.Conflict)  # a conditional write lost a race
PROJECT_CAPS = (("cap_project_usd", "cost_usd"),)
USER_CAPS = (("cap_user_media_h", "media_s"), ("cap_user_usd", "cost_usd"))


@dataclass(frozen=True)
class Usage:
    """What one upload adds to the counters."""

    media_s: float
    cost_usd: float

    def as_dict(self) -> dict[str, float]:
        return {"media_s": self.media_s, "cost_usd": self.cost_usd}

    def minus(self, other: Usage) -> Usage:
        return Usage(self.media_s - other.media_s, self.cost_usd - other.cost_usd)


class Busy(Refused):
    """A user's counters kept changing through every attempt: try again shortly (HTTP 503)."""

    status = 503

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


@dataclass
class OverCap(Refused):
    """A daily cap is reached: nothing more is admitted until `resets_at` (UTC midnight); over
    HTTP, 429 with the cap, its limit, today's use and when it resets."""

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

    status = 429

    def body(self) -> dict[str, Any]:
        return {
            "error": f"upload refused: {self}",
            "cap": self.cap,
            "limit": self.limit,
            "used": round(self.used, 4),
            "resets_at": self.resets_at.isoformat().replace("+00:00", "Z"),
        }

    def headers(self) -> dict[str, str]:
        seconds = (self.resets_at - dt.datetime.now(dt.UTC)).total_seconds()
        return {"Retry-After": str(max(1, round(seconds)))}


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
    media_s = declared_s if declared_s is not None else settings.duration_bound_s(size)
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

    def write(batch: Any) -> bool:
        counters = _counters(db, day, owner, guard_user=True)
        _check(settings, counters, now)
        _add(batch, counters, usage)
        fields = {"owner": owner, "day": day, "state": "reserved", **usage.as_dict()}
        batch.create(entry, {**fields, "updated_at": firestore.SERVER_TIMESTAMP})
        return True

    _atomically(db, write)


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
    Without one (an object a server-side writer put there), today's caps are checked on the
    counters as they are (no condition: a writer's parallel objects go through at once). A
    generation counted already (a redelivery, a retry) is not counted again."""
    entry = db.collection(UPLOADS).document(transcription_id)

    def write(batch: Any) -> bool:
        snapshot = entry.get()
        current = snapshot.to_dict() or {}
        if current.get("generation") == generation:
            return False
        reserved = current.get("state") == "reserved"
        day = current["day"] if reserved else _day(now)
        counters = _counters(db, day, owner, guard_user=False)
        was = Usage(current["media_s"], current["cost_usd"]) if reserved else None
        if was is not None:  # the name holds the uid: the reservation's owner is this object's
            _add(batch, counters, usage.minus(was), uploads=0)
        else:
            _check(settings, counters, now)
            _add(batch, counters, usage)
        fields = {
            "owner": owner,
            "day": day,
            "state": "counted",
            "generation": generation,
            **usage.as_dict(),
            "reserved": was.as_dict() if was else None,
            "updated_at": firestore.SERVER_TIMESTAMP,
        }
        _write_if_unchanged(batch, snapshot, fields)
        return True

    _atomically(db, write)


def _atomically(db: firestore.Client, write: Callable[[Any], bool]) -> None:
    """Build a batch from fresh reads (`write` returns False when there is nothing to write)
    and commit it; when a conditional write in it lost a race, read and build it again."""
    for attempt in range(WRITE_ATTEMPTS):
        batch = db.batch()
        if not write(batch):
            return
        try:
            batch.commit()
            return
        except CHANGED:
            time.sleep(random.uniform(0, 0.02 * (attempt + 1)))
    raise Busy("the usage counters are busy; try again in a few seconds")


@dataclass
class _Counter:
    snapshot: Any
    caps: tuple[tuple[str, str], ...]  # (setting, counter field)
    guarded: bool  # written on the condition that it is unchanged since its read

    @property
    def values(self) -> dict[str, Any]:
        return self.snapshot.to_dict() or {}


def _counters(
    db: firestore.Client, day: str, owner: str | None, guard_user: bool
) -> list[_Counter]:
    """The day's counters an upload by `owner` adds to (an ownerless object: the project's)."""
    project = db.collection(USAGE).document(day)
    counters = [_Counter(project.get(), PROJECT_CAPS, guarded=False)]
    if owner is not None:
        user = project.collection(USERS).document(owner)
        counters.append(_Counter(user.get(), USER_CAPS, guarded=guard_user))
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


def _add(batch: Any, counters: list[_Counter], usage: Usage, uploads: int = 1) -> None:
    for counter in counters:
        fields = {
            "media_s": firestore.Increment(usage.media_s),
            "cost_usd": firestore.Increment(usage.cost_usd),
            "uploads": firestore.Increment(uploads),
            "updated_at": firestore.SERVER_TIMESTAMP,
        }
        if counter.guarded:
            _write_if_unchanged(batch, counter.snapshot, fields)
        else:
            batch.set(counter.snapshot.reference, fields, merge=True)


def _write_if_unchanged(batch: Any, snapshot: Any, fields: dict[str, Any]) -> None:
    """Update the document on the condition that it is as read, or create it if it was absent."""
    if snapshot.exists:
        unchanged = firestore.Client.write_option(last_update_time=snapshot.update_time)
        batch.update(snapshot.reference, fields, option=unchanged)
    else:
        batch.create(snapshot.reference, fields)


def _day(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).date().isoformat()


def resets_at(now: dt.datetime) -> dt.datetime:
    """The next UTC midnight, when every daily counter starts again from zero."""
    today = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC)
