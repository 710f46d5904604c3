"""Whether the caller may upload this, today: the allow-list, then the daily caps (decision
0019). The upload is counted against the caps here, when its URL is signed."""

from __future__ import annotations

import datetime as dt

from functions.core import caps, clients
from functions.core.http import Forbidden
from functions.core.settings import Settings
from functions.core.tokens import Caller
from functions.uploads.ask import Ask


def allowed(caller: Caller, allowed_users: tuple[str, ...]) -> None:
    """Anyone, with no allow-list; else a verified email the list names, or of a domain it names."""
    if not allowed_users:
        return
    if caller.email is None or not caller.email_verified:
        raise Forbidden("uploads are limited to listed accounts: sign in with a verified email")
    domain = caller.email.rpartition("@")[2]
    if caller.email not in allowed_users and domain not in allowed_users:
        raise Forbidden(f"{caller.email} may not upload here: ask the owner to add it")


def reserve(settings: Settings, uid: str, ask: Ask, transcription_id: str) -> None:
    """Count the upload against today's caps, or raise `caps.OverCap` (HTTP 429)."""
    now = dt.datetime.now(dt.UTC)
    usage = caps.declared_usage(settings, ask.content_type, ask.size, ask.duration_s, now)
    db = clients.firestore_client(settings.firestore_database)
    caps.reserve(db, settings, transcription_id, uid, usage, now)
