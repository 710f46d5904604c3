"""Enrichments in the viewer (decision 0026), on the interview the stack transcribed and enriched as
the enrichment room records it (`enriched_interview`, tests/web/enriched.py): the language
switcher, the chapters that seek the player, the summary above the speakers, the French subtitles
through a signed URL, and the rules that keep another user from the translation's pages."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pysubs2
import pytest
from playwright.sync_api import Page, expect

from functions.core.documents import transcription_id
from stack.accounts import id_token
from stack.follow import put, wait_for_terminal
from stack.local import BUCKET, LocalStack
from tests.web.conftest import SAMPLES, Tab, wait_for
from tests.web.enriched import (
    CHAPTERS,
    FAILED_REASON,
    FRENCH,
    SUMMARY,
    UNTRANSLATED,
    enrich_as_the_room_would,
)
from tests.web.test_viewer import rows, wait_painted

pytestmark = [pytest.mark.emulator, pytest.mark.browser]
PLAYER = "document.getElementById('player')"


def open_enriched(
    open_viewer: Callable[..., Tab],
    enriched_interview: Callable[[str], str],
    owner: str,
    width: int,
) -> Tab:
    tid = enriched_interview(owner)
    tab = open_viewer(owner, f"/t/{tid}", width=width)
    wait_painted(tab.page)
    return tab


def shown_rows(page: Page) -> list[dict[str, Any]]:
    """Each shown row: its timecode, speaker, text (without the mark), mark and language."""
    result: list[dict[str, Any]] = page.evaluate(
        """[...document.querySelectorAll('ol.transcript > li.seg:not([hidden])')].map(r => ({
            tc: r.querySelector('.tc').textContent,
            who: r.querySelector('.who').textContent,
            text: r.querySelector('.text').firstChild.textContent,
            untranslated: r.classList.contains('untranslated'),
            mark: r.querySelector('.untranslated-mark')?.textContent ?? null,
            lang: r.querySelector('.text').lang,
        }))"""
    )
    return result


def no_errors(tab: Tab) -> None:
    assert not tab.crashes and not [c for c in tab.console if c.startswith("error")], tab


@pytest.mark.parametrize("width", [1280, 390])
def test_switching_to_french_shows_french_rows_with_the_same_speakers_and_timecodes(
    open_viewer: Callable[..., Tab],
    enriched_interview: Callable[[str], str],
    uid: Callable[[str], str],
    width: int,
) -> None:
    tab = open_enriched(open_viewer, enriched_interview, uid("lena"), width)
    page = tab.page
    original = shown_rows(page)
    assert len(original) == 14 and not any(r["untranslated"] or r["lang"] for r in original)
    switcher = page.get_by_label("Language", exact=True)
    assert switcher.locator("option").all_inner_texts() == ["Original", "French"]
    notes = page.locator(".language-note .translation-state")
    expect(notes).to_have_text(
        ["German translation: processing…", f"Spanish translation failed: {FAILED_REASON}"]
    )

    switcher.select_option(label="French")
    expect(page.locator("li.seg .text[lang=fr]")).to_have_count(13)
    french = shown_rows(page)
    assert [(r["tc"], r["who"]) for r in french] == [(r["tc"], r["who"]) for r in original]
    for before, after in zip(original, french, strict=True):
        if before["text"] == UNTRANSLATED:  # the original, marked
            assert (after["text"], after["mark"], after["lang"]) == (
                UNTRANSLATED,
                "not translated",
                "",
            )
        else:
            assert (after["text"], after["mark"], after["lang"]) == (
                FRENCH[before["text"]],
                None,
                "fr",
            )
    assert sum(r["untranslated"] for r in french) == 1

    page.get_by_label("Search", exact=True).fill("abeilles")  # search works on what is shown
    expect(rows(page)).to_have_count(3)
    expect(page.locator("#row-count")).to_have_text("3 of 14 segments")
    page.get_by_label("Search", exact=True).fill("")
    page.get_by_label("Speaker", exact=True).select_option(label="Marta Silva")
    marta = shown_rows(page)
    assert len(marta) == 7 and {r["who"] for r in marta} == {"Marta Silva"}
    assert all(r["lang"] == "fr" for r in marta)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    switcher.select_option(label="Original")
    expect(page.locator("li.seg .text[lang=fr]")).to_have_count(0)
    assert [r["text"] for r in shown_rows(page)] == [
        r["text"] for r in original if r["who"] == "Marta Silva"
    ]
    no_errors(tab)


@pytest.mark.parametrize("width", [1280, 390])
def test_chapters_seek_the_player_and_the_one_playing_is_highlighted(
    open_viewer: Callable[..., Tab],
    enriched_interview: Callable[[str], str],
    uid: Callable[[str], str],
    width: int,
) -> None:
    tab = open_enriched(open_viewer, enriched_interview, uid("omar"), width)
    page = tab.page
    summary = page.locator("section.summary")
    expect(summary.locator("p")).to_have_text(SUMMARY)
    above, below = (
        summary.bounding_box(),
        page.get_by_role("heading", name="Speakers").bounding_box(),
    )
    assert above and below and above["y"] + above["height"] <= below["y"]

    chapters = page.get_by_role("navigation", name="Chapters").locator("li")
    expect(chapters).to_have_count(len(CHAPTERS))
    assert [" ".join(t.split()) for t in chapters.all_inner_texts()] == [
        "00:00 A rooftop apiary in town",
        "00:12 Why bees belong in the city",
        "00:32 Honey, and how to begin",
    ]
    wait_for(page, f"{PLAYER}.readyState >= 1")
    expect(page.locator(".chapters li.current")).to_have_count(0)

    page.get_by_role("button", name="Why bees belong in the city").click()
    assert page.evaluate(f"{PLAYER}.currentTime") == 12
    expect(page.locator(".chapters li.current")).to_have_attribute("data-start", "12000")
    page.get_by_role("button", name="Honey, and how to begin").press("Enter")
    assert page.evaluate(f"{PLAYER}.currentTime") == 32
    expect(page.locator(".chapters li.current")).to_have_attribute("data-start", "32000")

    page.get_by_role("button", name="Why bees belong in the city").click()  # 00:12, then play
    page.evaluate(f"{PLAYER}.currentTime = 30.5")
    page.evaluate(f"(p => {{ p.muted = true; return p.play(); }})({PLAYER})")
    wait_for(page, f"{PLAYER}.currentTime > 32.3")  # playback crossed into the third chapter
    page.evaluate(f"{PLAYER}.pause()")
    expect(page.locator(".chapters li.current")).to_have_attribute("data-start", "32000")
    expect(page.locator(".chapters [aria-current=true]")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_errors(tab)


def test_sound_events_stay_inline_between_the_same_rows_in_a_translation(
    open_viewer: Callable[..., Tab], uid: Callable[[str], str], local: LocalStack
) -> None:
    """The keynote with its sound events (`events=true`), a French translation recorded on it:
    none of its rows is among the interview's French (`FRENCH`), so every row shows the original,
    marked, and the events stand where they stood."""
    owner = uid("sven")
    blob = put(SAMPLES / "keynote.mp4", owner, {"events": "true"})
    assert wait_for_terminal(blob.name, local.logs, blob.generation)["status"] == "completed"
    tid = transcription_id(BUCKET, blob.name)
    enrich_as_the_room_would(tid)
    tab = open_viewer(owner, f"/t/{tid}", width=390)
    wait_painted(tab.page)
    page = tab.page
    where = (  # each item of the transcript: its kind and start
        "[...document.querySelectorAll('ol.transcript > li')]"
        ".map(i => i.className + i.dataset.start)"
    )
    before = page.evaluate(where)
    assert sum(item.startswith("sound") for item in before) == 3

    page.get_by_label("Language", exact=True).select_option(label="French")
    expect(page.locator("li.seg.untranslated")).to_have_count(218)
    assert [item.replace(" untranslated", "") for item in page.evaluate(where)] == before
    expect(page.locator("li.sound").first).to_have_css("color", "rgb(107, 114, 128)")
    page.get_by_label("Search", exact=True).fill("Amara")
    expect(page.locator("li.sound").first).to_be_hidden()
    no_errors(tab)


def test_the_french_webvtt_downloads_through_a_signed_url(
    open_viewer: Callable[..., Tab],
    enriched_interview: Callable[[str], str],
    uid: Callable[[str], str],
    local: LocalStack,
    tmp_path: Path,
) -> None:
    assert local.gateway is not None
    tab = open_enriched(open_viewer, enriched_interview, uid("pia"), 1280)
    links = tab.page.get_by_role("navigation", name="Downloads").get_by_role("link")
    assert links.all_inner_texts() == ["WebVTT", "SRT", "JSON", "WebVTT (French)", "SRT (French)"]
    with tab.page.expect_download() as info:
        tab.page.get_by_role("link", name="WebVTT (French)", exact=True).click()
    assert info.value.suggested_filename == "interview.fr.vtt"
    assert info.value.url.startswith(local.gateway.url) and "X-Goog-Signature=" in info.value.url
    assert "/transcript.fr.vtt" in info.value.url
    path = tmp_path / "interview.fr.vtt"
    info.value.save_as(path)
    subtitles = pysubs2.load(str(path))
    assert len(subtitles) == 14 and subtitles[0].start == 0
    assert subtitles[1].plaintext.endswith(FRENCH["My guest keeps forty thousand bees up here."])
    assert "<v Daniel Price>" in path.read_text() and "<v Marta Silva>" in path.read_text()
    no_errors(tab)


def test_another_user_cannot_read_the_translation_pages(
    enriched_interview: Callable[[str], str], uid: Callable[[str], str], local: LocalStack
) -> None:
    """The translation's pages queried as docs/firestore.md says, with each user's ID token from
    the stack's Auth emulator: the owner reads them, another user is refused by the rules."""
    owner, other = uid("quinn"), uid("rosa")
    tid = enriched_interview(owner)
    translation = f"transcriptions/{tid}/translations/fr"
    doc = firestore_rest(local, owner, "GET", f"transcriptions/{tid}")[1]["fields"]["run"]
    run = {name: doc["mapValue"]["fields"][name] for name in ("generation", "attempt")}

    for who, expected in ((owner, 200), (other, 403)):
        status, answer = firestore_rest(local, who, "POST", f"{translation}:runQuery", pages(run))
        assert status == expected, (who, answer)
        if status == 200:
            assert [r["document"]["name"].rsplit("/", 1)[1] for r in answer] == ["0000"]
        assert firestore_rest(local, who, "GET", f"{translation}/pages/0000")[0] == expected
        assert firestore_rest(local, who, "GET", translation)[0] == expected


def pages(run: dict[str, Any]) -> dict[str, Any]:
    """The pages query of a run (docs/firestore.md, "How an app reads a transcript") over REST."""
    filters = [
        {"fieldFilter": {"field": {"fieldPath": f"run.{n}"}, "op": "EQUAL", "value": run[n]}}
        for n in ("generation", "attempt")
    ]
    return {
        "structuredQuery": {
            "from": [{"collectionId": "pages"}],
            "where": {"compositeFilter": {"op": "AND", "filters": filters}},
            "orderBy": [{"field": {"fieldPath": "__name__"}, "direction": "ASCENDING"}],
        }
    }


def firestore_rest(
    local: LocalStack, uid: str, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    """A Firestore REST call to the stack's emulator as `uid` (the rules apply)."""
    host = local.env["FIRESTORE_EMULATOR_HOST"]
    project = local.env["GOOGLE_CLOUD_PROJECT"]
    url = f"http://{host}/v1/projects/{project}/databases/(default)/documents/{path}"
    token = id_token(local.env["FIREBASE_AUTH_EMULATOR_HOST"], uid)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
