"""Enrichment requests: text-only requests on a finished transcript, answered with the authored
translation, or the authored chapters and summary (docs/standin.md, "Enrichment requests"), in
pure functions and through the SDK in both modes. The requests are built here as ENRICH.md's
contract (decision 0026) shapes them, with the tests' own writing of the table."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from typing import Any

import pytest
from google.genai import errors, types

import standin
from standin import enrichment
from standin.authored import authored_from_json
from standin.enrichment import AskedRow, asked, recording_of, transcript_rows, translation_text
from standin.registry import entry_from_dict
from tests.standin.sdk import MODEL, MODES, Mode, bundled, client

INTERVIEW, KEYNOTE, CONFERENCE = bundled("interview"), bundled("keynote"), bundled("conference")
TRANSLATE = (
    "Translate the text of every row of the transcript below into the language named in "
    "<LANGUAGE>. Answer with a <TRANSLATION> table, header index<TAB>text, one line per row, "
    "keyed by the row's index."
)
CHAPTER = (
    "Divide the transcript below into chapters. Answer with a <CHAPTERS> table, header "
    "start<TAB>title, then a <SUMMARY> of at most 120 words naming the identified speakers."
)
HOUR_MS = 3_600_000


def start_of(ms: int, hours: bool) -> str:
    seconds = ms // 1000
    if hours:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def table(response: dict[str, Any], indexes: Sequence[int]) -> str:
    """The `<TRANSCRIPT>` block of the rows at `indexes` of a bundled response."""
    hours = response["duration_s"] * 1000 >= HOUR_MS
    rows = [response["rows"][i] for i in indexes]
    lines = [
        f"{i}\t{start_of(r['start_ms'], hours)}\t{r['voice'] or '?'}\t{r['text']}"
        for i, r in zip(indexes, rows, strict=True)
    ]
    return "\n".join(["<TRANSCRIPT>", "index\tstart\tvoice\ttext", *lines, "</TRANSCRIPT>"])


def translation_request(response: dict[str, Any], indexes: Sequence[int], lang: str = "fr") -> str:
    return f"{TRANSLATE}\n\n<LANGUAGE>{lang}</LANGUAGE>\n{table(response, indexes)}\n"


def chapters_request(response: dict[str, Any]) -> str:
    speakers = "\n".join(
        f"{s['voice']}\t{s['name'] or '?'}\t{s['company'] or '?'}\t{s['position'] or '?'}\t"
        f"{s['role'] or '?'}"
        for s in response["speakers"]
    )
    return (
        f"{CHAPTER}\n\n{table(response, range(len(response['rows'])))}\n"
        f"<SPEAKERS>\nvoice\tname\tcompany\tposition\trole\n{speakers}\n</SPEAKERS>\n"
    )


def block(text: str, tag: str) -> list[str]:
    """The lines of the `<tag>` block of an answer, its header skipped for tables."""
    found = re.search(rf"<{tag}>\n(.*?)</{tag}>", text, re.DOTALL)
    assert found, text
    lines = found.group(1).splitlines()
    return lines if tag == "SUMMARY" else lines[1:]


def translated(text: str) -> list[tuple[int, str]]:
    return [(int(i), t) for i, t in (line.split("\t", 1) for line in block(text, "TRANSLATION"))]


def generate(
    mode: Mode, url: str, prompt: str, headers: dict[str, str] | None = None, **config: Any
) -> types.GenerateContentResponse:
    options = {"http_options": types.HttpOptions(headers=headers)} if headers else {}
    sdk = client(mode, url)
    return sdk.models.generate_content(
        model=MODEL,
        contents=prompt,
        config=types.GenerateContentConfig(**config, **options),
    )


@pytest.fixture
def stand_in(server: standin.StandIn) -> standin.StandIn:
    server.reset()
    return server


# -- the contract ---------------------------------------------------------------------------------


def test_the_stand_in_names_the_tags_of_the_contract() -> None:
    """ENRICH.md item 8 and decision 0026: the tag names and headers are protocol. (Once the
    product's prompt exists, a test also checks that it uses these constants.)"""
    tags = (enrichment.LANGUAGE, enrichment.TRANSLATION, enrichment.CHAPTERS, enrichment.SUMMARY)
    assert tags == ("LANGUAGE", "TRANSLATION", "CHAPTERS", "SUMMARY")
    assert enrichment.TRANSLATION_COLUMNS == ("index", "text")
    assert enrichment.CHAPTER_COLUMNS == ("start", "title")


def test_the_transcript_table_is_read_with_cells_undone_and_other_lines_skipped() -> None:
    text = (
        "An example: <TRANSCRIPT>\n0\t00:00\t1\tNot this one.\n</TRANSCRIPT>\n"
        '<TRANSCRIPT>\nindex\tstart\tvoice\ttext\n7\t1:00:02\t?\t&lt;b&gt; &amp; "so"\n'
        'not a row\n8\t00:75\t1\tBad start.\n9\t00:05\t2\t""Quoted""\n</TRANSCRIPT>\n'
        "10\t00:06\t1\tAfter the block.\n"
    )
    assert transcript_rows(text) == [
        AskedRow(7, HOUR_MS + 2000, '<b> & "so"'),
        AskedRow(9, 5000, '"Quoted"'),
    ]


def test_a_language_asks_a_translation_else_chapters_when_named_else_nothing() -> None:
    rows = table(INTERVIEW, [0, 1])
    found = asked(["<LANGUAGE>xx</LANGUAGE> in an example", f"<LANGUAGE>FR</LANGUAGE>\n{rows}"])
    assert found is not None and (found.kind, found.lang, len(found.rows)) == (
        "translation",
        "fr",
        2,
    )
    both = asked([f"{CHAPTER}\n<LANGUAGE>de</LANGUAGE>\n{rows}"])
    assert both is not None and both.lang == "de"
    chapters = asked([CHAPTER, rows])  # the system instruction asks, the user text carries
    assert chapters is not None and (chapters.kind, chapters.lang) == ("chapters", None)
    assert asked([f"Summarise this.\n{rows}"]) is None
    assert asked([TRANSLATE, "<LANGUAGE>fr</LANGUAGE>"]) is None  # no rows


def test_the_recording_is_the_one_whose_rows_say_every_asked_row() -> None:
    entries = [entry_from_dict(data) for data in (INTERVIEW, KEYNOTE, CONFERENCE)]
    rows = transcript_rows(table(KEYNOTE, [3, 150, 217]))
    assert recording_of(entries, rows) is entries[1]
    spoken = [AskedRow(0, 0, "welcome to CITY notes today we are on a roof in the middle of town")]
    assert recording_of(entries, spoken) is entries[0]  # words, not punctuation or case
    assert recording_of(entries, [*rows, AskedRow(9, 0, "Never said.")]) is None


def test_a_repeated_text_is_the_authored_row_starting_nearest() -> None:
    """The conference says "Over there, on the left." thirteen times."""
    authored = authored_from_json(
        **{key: CONFERENCE[key] for key in ("rows", "speakers")},
        translations={"xx": [f"row {i}" for i in range(len(CONFERENCE["rows"]))]},
    )
    repeated = [
        i for i, r in enumerate(CONFERENCE["rows"]) if r["text"] == "Over there, on the left."
    ]
    rows = transcript_rows(table(CONFERENCE, repeated))
    request = enrichment.Asked("xx", tuple(rows))
    assert translated(translation_text(authored, request)) == [(i, f"row {i}") for i in repeated]


def test_the_answer_is_keyed_by_the_asked_indexes() -> None:
    """An index is the segment's place in the product's transcript: the answer keeps it,
    whatever the authored row's place."""
    authored = entry_from_dict(INTERVIEW).authored
    assert authored is not None
    rows = tuple(AskedRow(100 + i, r.start_ms, r.text) for i, r in enumerate(authored.rows[5:8]))
    french = INTERVIEW["translations"]["fr"]
    text = translation_text(authored, enrichment.Asked("fr", rows))
    assert translated(text) == [(100, french[5]), (101, french[6]), (102, french[7])]


def test_authored_translations_need_one_text_a_row() -> None:
    rows = INTERVIEW["rows"]
    with pytest.raises(ValueError, match="13 texts for 14 rows"):
        authored_from_json(rows, [], translations={"fr": INTERVIEW["translations"]["fr"][:-1]})


# -- through the SDK ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_every_interview_row_in_french(stand_in: standin.StandIn, mode: Mode) -> None:
    prompt = translation_request(INTERVIEW, range(14))
    response = generate(mode, stand_in.url, prompt)
    assert response.text is not None
    french = INTERVIEW["translations"]["fr"]
    assert translated(response.text) == list(enumerate(french))
    usage = response.usage_metadata
    assert usage is not None and usage.prompt_token_count == math.ceil(len(prompt) / 4)
    assert usage.candidates_token_count == math.ceil(len(response.text) / 4)
    assert [(d.modality, d.token_count) for d in usage.prompt_tokens_details or []] == [
        (types.MediaModality.TEXT, math.ceil(len(prompt) / 4))
    ]
    call = stand_in.calls()[-1]
    assert call["enrichment"] == {"kind": "translation", "lang": "fr", "rows": 14}
    assert call["matched"] == "interview" and call["status"] == 200


@pytest.mark.parametrize("mode", MODES)
def test_a_part_of_the_keynote_keeps_its_indexes(stand_in: standin.StandIn, mode: Mode) -> None:
    prompt = translation_request(KEYNOTE, range(120, 170))
    sdk = client(mode, stand_in.url)
    chunks = list(sdk.models.generate_content_stream(model=MODEL, contents=prompt))
    text = "".join(c.text or "" for c in chunks)
    french = KEYNOTE["translations"]["fr"]
    assert translated(text) == [(i, french[i]) for i in range(120, 170)]
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == "STOP"
    assert stand_in.calls()[-1]["enrichment"] == {"kind": "translation", "lang": "fr", "rows": 50}


@pytest.mark.parametrize("mode", MODES)
def test_chapters_and_summary_of_the_conference(stand_in: standin.StandIn, mode: Mode) -> None:
    response = generate(mode, stand_in.url, chapters_request(CONFERENCE))
    assert response.text is not None
    chapters = [line.split("\t") for line in block(response.text, "CHAPTERS")]
    assert chapters == [
        [start_of(c["start_s"] * 1000, hours=True), c["title"]] for c in CONFERENCE["chapters"]
    ]
    assert chapters[-1][0] == "1:39:05"
    assert block(response.text, "SUMMARY") == [CONFERENCE["summary"]]
    call = stand_in.calls()[-1]
    assert call["enrichment"] == {"kind": "chapters", "lang": None, "rows": 252}
    assert call["matched"] == "conference"


def test_chapters_of_media_under_an_hour_are_minutes_and_seconds(
    stand_in: standin.StandIn,
) -> None:
    response = generate("developer", stand_in.url, chapters_request(KEYNOTE))
    assert response.text is not None
    starts = [line.split("\t")[0] for line in block(response.text, "CHAPTERS")]
    assert starts == [start_of(c["start_s"] * 1000, hours=False) for c in KEYNOTE["chapters"]]
    assert starts[0] == "00:00" and starts[-1] == "10:07"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["configure", "header", "queue"])
def test_a_missing_row_fault_drops_the_middle_row(
    stand_in: standin.StandIn, mode: Mode, how: str
) -> None:
    fault = {"translation_fault": "missing_row"}
    headers = None
    if how == "configure":
        stand_in.configure(**fault)
    elif how == "header":
        headers = {"X-Standin-Fault": json.dumps(fault)}
    else:
        stand_in.configure(faults=[{**fault, "times": 1}])
    response = generate(mode, stand_in.url, translation_request(KEYNOTE, range(10, 15)), headers)
    assert response.text is not None
    assert [i for i, _ in translated(response.text)] == [10, 11, 13, 14]
    assert stand_in.calls()[-1]["enrichment"]["fault"] == "missing_row"


@pytest.mark.parametrize("mode", MODES)
def test_an_extra_row_fault_adds_an_index_not_asked(stand_in: standin.StandIn, mode: Mode) -> None:
    stand_in.configure(faults=[{"translation_fault": "extra_row", "times": 1}])
    prompt = translation_request(INTERVIEW, range(4))
    rows = translated(generate(mode, stand_in.url, prompt).text or "")
    french = INTERVIEW["translations"]["fr"]
    assert rows == [*enumerate(french[:4]), (4, french[3])]
    again = translated(generate(mode, stand_in.url, prompt).text or "")  # the fault was used up
    assert again == list(enumerate(french[:4]))


def test_a_translation_fault_leaves_chapters_alone(stand_in: standin.StandIn) -> None:
    stand_in.configure(translation_fault="missing_row")
    response = generate("vertex", stand_in.url, chapters_request(KEYNOTE))
    assert len(block(response.text or "", "CHAPTERS")) == len(KEYNOTE["chapters"])
    assert "fault" not in stand_in.calls()[-1]["enrichment"]


def test_a_bad_translation_fault_is_refused(stand_in: standin.StandIn) -> None:
    with pytest.raises(ValueError, match="translation_fault must be one of"):
        stand_in.configure(translation_fault="shifted")
    with pytest.raises(ValueError, match="translation_fault must be one of"):
        stand_in.configure(faults=[{"translation_fault": "shifted"}])


NO_ANSWER_CASES = [
    (
        "unknown rows",
        f"{TRANSLATE}\n<LANGUAGE>fr</LANGUAGE>\n<TRANSCRIPT>\n0\t00:01\t1\tHi.\n</TRANSCRIPT>",
    ),
    ("unauthored language", translation_request(INTERVIEW, range(3), lang="de")),
    ("no chapters authored", chapters_request(INTERVIEW)),
    ("no enrichment asked", "Tell me a story."),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "prompt"), NO_ANSWER_CASES, ids=[c for c, _ in NO_ANSWER_CASES])
def test_a_request_without_an_authored_answer_is_refused(
    stand_in: standin.StandIn, mode: Mode, case: str, prompt: str
) -> None:
    with pytest.raises(errors.ClientError) as error:
        generate(mode, stand_in.url, prompt)
    assert error.value.code == 400 and error.value.status == "INVALID_ARGUMENT"
    message = str(error.value.message)
    for needle in ("offline Gemini API stand-in", "no authored answer", "GEMINI_API_KEY"):
        assert needle in message
    if case == "unauthored language":
        assert "translation into 'de'" in message and "(authored: fr)" in message
    assert stand_in.calls()[-1]["status"] == 400


@pytest.mark.parametrize("mode", MODES)
def test_the_output_limit_cuts_with_max_tokens(stand_in: standin.StandIn, mode: Mode) -> None:
    response = generate(
        mode, stand_in.url, translation_request(KEYNOTE, range(218)), max_output_tokens=100
    )
    assert response.candidates and response.candidates[0].finish_reason == "MAX_TOKENS"
    assert len(response.text or "") == 400
    assert response.usage_metadata and response.usage_metadata.candidates_token_count == 100
    assert "</TRANSLATION>" not in (response.text or "")


def test_the_per_prompt_token_limit_applies(stand_in: standin.StandIn) -> None:
    rows = table(KEYNOTE, range(218))
    prompt = f"{TRANSLATE}\n<LANGUAGE>fr</LANGUAGE>\n{'x' * 4_200_000}\n{rows}\n"
    with pytest.raises(errors.ClientError) as error:
        generate("developer", stand_in.url, prompt)
    assert error.value.code == 400 and "input token count" in str(error.value.message)


def test_faults_of_the_queue_apply(stand_in: standin.StandIn) -> None:
    stand_in.configure(faults=[{"status": 503, "times": 1}])
    with pytest.raises(errors.ServerError) as error:
        generate("developer", stand_in.url, translation_request(INTERVIEW, range(2)))
    assert error.value.code == 503


def test_the_realistic_pace_applies(stand_in: standin.StandIn) -> None:
    stand_in.configure(realistic_pace=True, pace_scale=10)
    prompt = translation_request(INTERVIEW, range(14))
    began = time.monotonic()
    response = generate("developer", stand_in.url, prompt)
    took = time.monotonic() - began
    tokens = math.ceil(len(response.text or "") / 4)
    expected = (2 + math.ceil(len(prompt) / 4) / 10_000 + tokens / 150) / 10
    assert expected - 0.02 <= took < expected + 1.0


def test_count_tokens_counts_a_text_request(stand_in: standin.StandIn) -> None:
    prompt = translation_request(KEYNOTE, range(30))
    sdk = client("developer", stand_in.url)
    counted = sdk.models.count_tokens(model=MODEL, contents=prompt)
    assert counted.total_tokens == math.ceil(len(prompt) / 4)
