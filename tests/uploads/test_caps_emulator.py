"""Who may upload, and how much (decision 0019): the allow-list and the daily caps of the upload
function, on the Auth and Firestore emulators; the counters read back from Firestore."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.core import caps, clients
from functions.core.settings import get_settings
from tests.uploads.conftest import MEDIA, MEDIA_ASK, Uploads, put

pytestmark = pytest.mark.emulator


def configure(monkeypatch: pytest.MonkeyPatch, **settings: str) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(f"TABSCRIBE_{name.upper()}", value)
    get_settings.cache_clear()


def counters(uid: str) -> dict[str, Any]:
    day = clients.firestore_client().collection(caps.USAGE).document(today())
    return day.collection(caps.USERS).document(uid).get().to_dict() or {}


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def long_ask(duration_s: float, content_type: str = "audio/mp4") -> dict[str, Any]:
    return {**MEDIA_ASK, "content_type": content_type, "duration": duration_s}


def test_a_user_over_the_media_hours_cap_gets_429_and_no_url(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    configure(monkeypatch, cap_user_media_h="1")
    token = uploads.token(f"hours-{unique}")
    first, second = (uploads.ask(token, long_ask(2400)) for _ in range(2))
    assert first.status_code == second.status_code == 200  # 0, then 40 minutes: under the cap
    refused = uploads.ask(token, long_ask(60))  # 80 minutes counted: over
    assert refused.status_code == 429
    body = refused.get_json()
    assert set(body) == {"error", "cap", "limit", "used", "resets_at"}  # no URL
    assert body["cap"] == "cap_user_media_h" and body["limit"] == 1
    assert body["used"] == round(4800 / 3600, 4)
    midnight = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time(), dt.UTC)
    assert body["resets_at"] == (midnight + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert "media hours per user" in body["error"] and "resets at" in body["error"]
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    assert refused.headers["Access-Control-Allow-Origin"]  # the viewer can read why
    used = counters(f"hours-{unique}")
    assert used["media_s"] == 4800 and used["uploads"] == 2  # the refused one counts nothing
    assert put(first.get_json(), MEDIA) == 200  # the admitted URLs still work
    # another user is not affected
    assert uploads.ask(uploads.token(f"other-{unique}"), long_ask(60)).status_code == 200


def test_the_cost_caps_count_the_catalog_price_of_the_declared_media(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    configure(monkeypatch, cap_user_usd="0.5")
    token = uploads.token(f"cost-{unique}")
    assert uploads.ask(token, long_ask(3600, "video/mp4")).status_code == 200
    refused = uploads.ask(token, long_ask(1, "video/mp4"))
    assert refused.status_code == 429 and refused.get_json()["cap"] == "cap_user_usd"
    expected = caps.estimate(get_settings().model, 3600, True, dt.datetime.now(dt.UTC).date())
    assert counters(f"cost-{unique}")["cost_usd"] == pytest.approx(expected.cost_usd)
    assert refused.get_json()["used"] == pytest.approx(expected.cost_usd, abs=1e-4)


def test_the_project_cap_holds_every_user_back(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch, firestore_db: Any, unique: str
) -> None:
    configure(monkeypatch, cap_project_usd="0.01")  # an emptied database: today's spend is 0
    assert uploads.ask(uploads.token(f"a-{unique}"), long_ask(600)).status_code == 200
    refused = uploads.ask(uploads.token(f"b-{unique}"), long_ask(1))
    assert refused.status_code == 429 and refused.get_json()["cap"] == "cap_project_usd"
    assert "for the project" in refused.get_json()["error"]


def test_a_declared_duration_is_signed_for_the_transcriber_and_no_duration_counts_a_bound(
    uploads: Uploads, unique: str
) -> None:
    declared = uploads.ask(uploads.token(f"d-{unique}"), long_ask(12.5)).get_json()
    assert declared["headers"]["x-goog-meta-duration"] == "12.5"
    assert counters(f"d-{unique}")["media_s"] == 12.5
    assert uploads.ask(uploads.token(f"n-{unique}"), MEDIA_ASK).status_code == 200
    assert counters(f"n-{unique}")["media_s"] == len(MEDIA) * 8 / 1000  # 1 kbit/s, the lowest


def test_concurrent_uploads_overshoot_a_cap_by_one_file_at_most(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch, unique: str
) -> None:
    configure(monkeypatch, cap_user_media_h="1")
    token = uploads.token(f"race-{unique}")
    app = uploads.app.application

    def ask(_: int) -> int:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        return int(client.post("/", headers=headers, json=long_ask(1500)).status_code)

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(ask, range(10)))
    # 0, 25, 50 minutes counted before each admitted one: three, the third crossing the hour
    assert sorted(statuses) == [200] * 3 + [429] * 7, statuses
    assert counters(f"race-{unique}")["media_s"] == 3 * 1500


@pytest.fixture
def allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, allowed_users=json.dumps(["example.com", "Ana@Other.org"]))


@pytest.mark.usefixtures("allow_list")
def test_an_allow_list_admits_verified_emails_it_names_by_address_or_domain(
    uploads: Uploads, unique: str
) -> None:
    for email in (f"bob-{unique}@example.com", "ana@other.org"):  # the list's Ana@Other.org
        response = uploads.ask(uploads.email_token(email), MEDIA_ASK)
        assert response.status_code == 200, (email, response.get_json())


@pytest.mark.usefixtures("allow_list")
def test_an_allow_list_refuses_everyone_else_with_403(uploads: Uploads, unique: str) -> None:
    refused = {
        "no email": uploads.token(f"anonymous-{unique}"),
        "unverified": uploads.email_token(f"carl-{unique}@example.com", verified=False),
        "another domain": uploads.email_token(f"eve-{unique}@evil.org"),
        "a subdomain": uploads.email_token(f"dan-{unique}@mail.example.com"),
        "another address": uploads.email_token(f"ann-{unique}@other.org"),
    }
    for case, token in refused.items():
        response = uploads.ask(token, MEDIA_ASK)
        assert response.status_code == 403, case
        assert response.get_json()["error"], case
    assert not list(uploads.bucket.list_blobs())
