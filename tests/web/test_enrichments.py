"""Enrichments in the viewer (decisions 0026, 0030), on samples the whole stack transcribed and
enriched (`enriched`, tests/web/enriched.py: the stand-in's authored French with one row left
out, a Spanish translation it refuses, its chapters and summary): the language switcher, the
chapters that seek the player (the 100-minute conference and the keynote), the summary above the
speakers, sound events in a translation, the French subtitles through a signed URL, and the rules
that keep another user from the translation's pages."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pysubs2
import pytest
from playwright.sync_api import Page, expect

from stack.accounts import id_token
from stack.local import LocalStack
from tests.web.conftest import Tab, wait_for
from tests.web.enriched import authored, french, untranslated
from tests.web.test_viewer import rows, wait_painted

pytestmark = [pytest.mark.emulator, pytest.mark.browser]
PLAYER = "document.getElementById('player')"
INTERVIEW, KEYNOTE = authored("interview"), authored("keynote")


def open_enriched(
    open_viewer: Callable[..., Tab],
    enriched: Callable[..., str],
    owner: str,
    file: str,
    width: int = 1280,
    metadata: dict[str, str] | None = None,
) -> Tab:
    tid = enriched(file, owner, metadata)
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
    enriched: Callable[..., str],
    uid: Callable[[str], str],
    width: int,
) -> None:
    tab = open_enriched(open_viewer, enriched, uid("lena"), "interview.mp4", width)
    page = tab.page
    original = shown_rows(page)
    assert [r["text"] for r in original] == [r["text"] for r in INTERVIEW["rows"]]
    assert not any(r["untranslated"] or r["lang"] for r in original)
    switcher = page.get_by_label("Language", exact=True)
    assert switcher.locator("option").all_inner_texts() == ["Original", "French"]
    expect(page.locator(".language-note .translation-state")).to_have_text(
        ["German translation: processing…", re.compile(r"^Spanish translation failed: .*stand-in")]
    )

    switcher.select_option(label="French")
    texts = french("interview")
    expect(page.locator("li.seg .text[lang=fr]")).to_have_count(len(texts) - 1)
    shown = shown_rows(page)
    assert [(r["tc"], r["who"]) for r in shown] == [(r["tc"], r["who"]) for r in original]
    expected = [
        (text, None, "fr") if text else (row["text"], "not translated", "")
        for row, text in zip(original, texts, strict=True)
    ]
    assert [(r["text"], r["mark"], r["lang"]) for r in shown] == expected
    assert [r["untranslated"] for r in shown].count(True) == 1

    page.get_by_label("Search", exact=True).fill("abeilles")  # search works on what is shown
    matching = [text for text, _, _ in expected if "abeilles" in text.lower()]
    assert matching
    expect(rows(page)).to_have_count(len(matching))
    assert [r["text"] for r in shown_rows(page)] == matching
    page.get_by_label("Search", exact=True).fill("")
    page.get_by_label("Speaker", exact=True).select_option(label="Marta Silva")
    marta = shown_rows(page)
    assert len(marta) == sum(r["voice"] == 2 for r in INTERVIEW["rows"])
    assert {r["who"] for r in marta} == {"Marta Silva"}
    assert [(r["text"], r["mark"], r["lang"]) for r in marta] == [
        shown for shown, row in zip(expected, original, strict=True) if row["who"] == "Marta Silva"
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    switcher.select_option(label="Original")
    expect(page.locator("li.seg .text[lang=fr]")).to_have_count(0)
    assert [r["text"] for r in shown_rows(page)] == [
        r["text"] for r in original if r["who"] == "Marta Silva"
    ]
    no_errors(tab)


@pytest.mark.parametrize(("file", "width"), [("conference.webm", 1280), ("keynote.mp4", 390)])
def test_chapters_seek_the_player_and_the_one_playing_is_highlighted(
    open_viewer: Callable[..., Tab],
    enriched: Callable[..., str],
    uid: Callable[[str], str],
    file: str,
    width: int,
) -> None:
    sample = authored(file.rsplit(".", 1)[0])
    tab = open_enriched(open_viewer, enriched, uid("omar"), file, width)
    page = tab.page
    summary = page.locator("section.summary")
    expect(summary.locator("p")).to_have_text(sample["summary"])
    above = summary.bounding_box()
    below = page.get_by_role("heading", name="Speakers").bounding_box()
    assert above and below and above["y"] + above["height"] <= below["y"]

    chapters = sample["chapters"]
    items = page.get_by_role("navigation", name="Chapters").locator("li")
    expect(items).to_have_count(len(chapters))
    shown = [" ".join(t.split()).split(" ", 1) for t in items.all_inner_texts()]
    assert [title for _, title in shown] == [c["title"] for c in chapters]
    assert all(re.fullmatch(r"(\d+:)?\d\d:\d\d", timecode) for timecode, _ in shown), shown
    wait_for(page, f"{PLAYER}.readyState >= 1")
    current = page.locator(".chapters li.current")
    expect(current).to_have_count(0)

    second, third = chapters[1], chapters[2]
    page.get_by_role("button", name=second["title"]).click()
    assert page.evaluate(f"{PLAYER}.currentTime") == second["start_s"]
    expect(current).to_have_attribute("data-start", str(second["start_s"] * 1000))
    page.get_by_role("button", name=third["title"]).press("Enter")
    assert page.evaluate(f"{PLAYER}.currentTime") == third["start_s"]
    expect(current).to_have_attribute("data-start", str(third["start_s"] * 1000))

    page.get_by_role("button", name=second["title"]).click()
    page.evaluate(f"{PLAYER}.currentTime = {third['start_s'] - 1.5}")  # in the second, then play
    page.evaluate(f"(p => {{ p.muted = true; return p.play(); }})({PLAYER})")
    wait_for(page, f"{PLAYER}.currentTime > {third['start_s'] + 0.3}")  # crossed into the third
    page.evaluate(f"{PLAYER}.pause()")
    expect(current).to_have_attribute("data-start", str(third["start_s"] * 1000))
    expect(page.locator(".chapters [aria-current=true]")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_errors(tab)


def test_sound_events_stay_inline_between_the_same_rows_in_french(
    open_viewer: Callable[..., Tab], enriched: Callable[..., str], uid: Callable[[str], str]
) -> None:
    tab = open_enriched(open_viewer, enriched, uid("sven"), "keynote.mp4", 390, {"events": "true"})
    page = tab.page
    where = (  # each item of the transcript: its kind and start
        "[...document.querySelectorAll('ol.transcript > li')]"
        ".map(i => i.className + i.dataset.start)"
    )
    before = page.evaluate(where)
    assert sum(item.startswith("sound") for item in before) == len(KEYNOTE["events"])

    page.get_by_label("Language", exact=True).select_option(label="French")
    missing = len(untranslated("keynote"))
    expect(page.locator("li.seg .text[lang=fr]")).to_have_count(len(KEYNOTE["rows"]) - missing)
    assert [item.replace(" untranslated", "") for item in page.evaluate(where)] == before
    expect(page.locator("li.sound").first).to_have_css("color", "rgb(107, 114, 128)")
    page.get_by_label("Search", exact=True).fill("Amara")
    expect(page.locator("li.sound").first).to_be_hidden()
    no_errors(tab)


def test_the_french_webvtt_downloads_through_a_signed_url(
    open_viewer: Callable[..., Tab],
    enriched: Callable[..., str],
    uid: Callable[[str], str],
    local: LocalStack,
    tmp_path: Path,
) -> None:
    assert local.gateway is not None
    tab = open_enriched(open_viewer, enriched, uid("pia"), "interview.mp4")
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
    assert len(subtitles) == len(INTERVIEW["rows"]) and subtitles[0].start == 0
    assert subtitles[1].plaintext.endswith(french("interview")[1] or "")
    assert "<v Daniel Price>" in path.read_text() and "<v Marta Silva>" in path.read_text()
    no_errors(tab)


def test_another_user_cannot_read_the_translation_pages(
    enriched: Callable[..., str], uid: Callable[[str], str], local: LocalStack
) -> None:
    """The translation's pages queried as docs/firestore.md says, with each user's ID token from
    the stack's Auth emulator: the owner reads them, another user is refused by the rules."""
    owner, other = uid("quinn"), uid("rosa")
    tid = enriched("interview.mp4", owner)
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
