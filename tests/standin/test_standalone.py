"""The stand-in stands alone: its authored answers are rows, written by its own writer, and it
imports only the model catalog from the product. Tests may use both: the product's parser reads
what the stand-in writes here."""

from __future__ import annotations

import hashlib
import json
import pkgutil
import tomllib
from typing import Any

import pytest

import functions
import functions.core
from functions.format.parser import parse_text
from standin.authored import Row, Speaker
from standin.registry import BUNDLED_DIR, Entry, Registry, entry_from_dict
from standin.writer import read_cell, read_timecode, timecode, write
from tests.paths import ROOT

# SHA-256 of each bundled answer's text before the rows replaced it (the whole media's answer)
ANSWERS_BEFORE = {
    "conference": "d1165ea453b9fda5ece40b78d234086b028814bac27bcc23b99da4e5fc694841",
    "interview": "e798571a3015cc3c8615a612931c63420993948c6dce60501d555d1ebafabb96",
    "keynote": "b619e534c67c3537f41d2bbd1eafe9b15eaf47c0cfb7489064712119c356a813",
    "podcast": "82a5d2f9d82d565a203dbc4642d89f9e5194736087f5f56577b41cd2204a3c52",
    "radio": "758923155f4c29c45c45a45aea9144daf2b17e426493d95293cba5663a91bea5",
    "trailer": "3a3212b05f704c8977fd0b192942050ae06a116866323fc7162c66c67d367b4d",
}
HOUR_MS = 3_600_000


def bundled(name: str) -> tuple[dict[str, Any], Entry]:
    """A bundled response's JSON and the entry the stand-in makes of it."""
    data = json.loads((BUNDLED_DIR / f"{name}.json").read_text("utf-8"))
    return data, entry_from_dict(data, name)


# -- the writer -----------------------------------------------------------------------------------


def test_timecodes_minutes_hours_and_milliseconds() -> None:
    assert timecode(65_000) == "01:05" and timecode(3_725_000) == "62:05"  # minutes past 59
    assert timecode(3_725_000, hours=True) == "1:02:05" and timecode(5_000, True) == "0:00:05"
    assert timecode(5_500, millis=True) == "00:05.500"
    assert timecode(HOUR_MS + 250, hours=True, millis=True) == "1:00:00.250"
    assert [read_timecode(t) for t in ("01:05", "1:02:05", "00:05.500")] == [
        65_000,
        3_725_000,
        5_500,
    ]
    assert read_timecode("00:75") is None and read_timecode("soon") is None


def test_an_hour_or_more_writes_every_timecode_with_hours() -> None:
    rows = [Row(10_000, 1, "Early."), Row(HOUR_MS + 5_000, None, "Late.")]
    speakers = [Speaker(1, "Bo Lund", "Radio", "Host", "Host", 10_000), Speaker(2)]
    text = write(rows, speakers, HOUR_MS)
    assert "\n0:00:10\t1\tEarly.\n1:00:05\t?\tLate.\n" in text
    assert "\n1\tBo Lund\tRadio\tHost\tHost\t0:00:10\n2\t?\t?\t?\t?\t?\n" in text
    assert "\n00:10\t1\tEarly.\n" in write(rows, speakers, HOUR_MS - 1)
    result = parse_text(text)
    assert [(s.start_ms, s.voice, s.text) for s in result.segments] == [
        (r.start_ms, r.voice, r.text) for r in rows
    ]
    assert [(s.voice, s.name, s.evidence_ms) for s in result.speakers] == [
        (1, "Bo Lund", 10_000),
        (2, None, None),
    ]


def test_milliseconds_when_asked_read_back_by_the_product() -> None:
    rows = [Row(5_500, 1, "Frame one."), Row(HOUR_MS + 40, 1, "Frame two.")]
    text = write(rows, [Speaker(1, evidence_ms=5_500)], HOUR_MS + 1_000, millis=True)
    assert "\n0:00:05.500\t1\tFrame one.\n1:00:00.040\t1\tFrame two.\n" in text
    result = parse_text(text)
    assert [s.start_ms for s in result.segments] == [5_500, HOUR_MS + 40]
    assert result.speakers[0].evidence_ms == 5_500


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("A tab\there.", "A tab here."),
        ("Lines\nand\r\nreturns.", "Lines and  returns."),
        ("Open the <TRANSCRIPT> tab", "Open the <TRANSCRIPT> tab"),
        ("see the <transcript>", "see the <transcript>"),
        ("<SPEAKERS>", "<SPEAKERS>"),
        ("3 < 4 & 5 > 2", "3 < 4 & 5 > 2"),
        ("Tom &amp; Jerry", "Tom &amp; Jerry"),
        ('"Quoted", she said "twice"', '"Quoted", she said "twice"'),
        ('"All quoted"', '"All quoted"'),
    ],
)
def test_a_row_with_a_tab_or_markup_reads_back_as_its_text(text: str, read: str) -> None:
    written = write([Row(1_000, 1, text), Row(2_000, 2, "Next.")], [Speaker(1, name=text)], 60_000)
    result = parse_text(written)
    assert result.complete and [s.text for s in result.segments] == [read, "Next."]
    assert result.speakers[0].name == read
    cell = written.split("\n")[2].split("\t", 2)[2]
    assert "\t" not in cell and read_cell(cell) == read


# -- the bundled answers --------------------------------------------------------------------------


def test_every_bundled_response_is_rows_and_speakers_not_text() -> None:
    names = sorted(path.stem for path in BUNDLED_DIR.glob("*.json"))
    assert names == sorted(ANSWERS_BEFORE)
    loaded = {summary["name"]: summary for summary in Registry().summaries()}
    for name in names:
        data, entry = bundled(name)
        assert "text" not in data and entry.authored is not None, name
        assert len(entry.rows) == len(data["rows"]) > 0 and entry.authored.speakers, name
        assert loaded[name]["rows"] == len(entry.rows)


@pytest.mark.parametrize("name", sorted(ANSWERS_BEFORE))
def test_the_whole_answer_is_unchanged_and_reads_as_the_rows(name: str) -> None:
    _, entry = bundled(name)
    assert entry.authored is not None
    assert hashlib.sha256(entry.text.encode()).hexdigest() == ANSWERS_BEFORE[name]
    result = parse_text(entry.text, round(entry.duration_s * 1000))
    assert result.complete and result.issues == []
    assert [(s.start_ms, s.voice, s.text) for s in result.segments] == [
        (r.start_ms, r.voice, r.text) for r in entry.rows
    ]
    assert [
        (s.voice, s.name, s.company, s.position, s.role, s.evidence_ms) for s in result.speakers
    ] == [
        (s.voice, s.name, s.company, s.position, s.role, s.evidence_ms)
        for s in entry.authored.speakers
    ]


def test_a_registration_is_rows_or_text_never_both_nor_neither() -> None:
    rows = [{"start_ms": 0, "voice": None, "text": "Hi."}]
    entry = entry_from_dict({"sha256": "ab", "rows": rows})  # speakers may be left out
    assert entry.rows == (Row(0, None, "Hi."),) and entry.authored is not None
    assert entry_from_dict({"sha256": "ab", "text": "raw"}).authored is None
    for bad in ({"text": "raw", "rows": rows}, {}, {"rows": [{"voice": 1}]}, {"text": 5}):
        with pytest.raises(ValueError):
            entry_from_dict({"sha256": "ab", **bad})


# -- the import contract --------------------------------------------------------------------------


def test_the_contract_forbids_every_product_module_but_the_catalog() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    (contract,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c.get("source_modules") == ["standin"]
    ]
    top = {f"functions.{m.name}" for m in pkgutil.iter_modules(functions.__path__)}
    core = {f"functions.core.{m.name}" for m in pkgutil.iter_modules(functions.core.__path__)}
    expected = (top - {"functions.core"}) | (core - {"functions.core.catalog"})
    assert set(contract["forbidden_modules"]) == expected
