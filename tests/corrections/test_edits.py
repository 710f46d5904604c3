"""The corrections' pure parts: the body checked, the changes and their undo, and how a new run
recognises a voice (no I/O)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from functions.corrections import ask as asking
from functions.corrections import carry, edits

TID = "0" * 32


def transcript() -> edits.Transcript:
    doc = {
        "speakers": [
            {"voice": 1, "name": "Ada", "evidence_ms": 1000},
            {"voice": 2, "name": None, "evidence_ms": 5000},
            {"voice": 3, "placeholder": True},
        ]
    }
    segments = [{"start_ms": i * 1000, "voice": 1 + i % 3, "text": f"t{i}"} for i in range(9)]
    return edits.Transcript.of(doc, segments)


def entry(seq: int, change: dict[str, Any]) -> dict[str, Any]:
    return {**change, "seq": seq}


def test_a_field_is_trimmed_and_empty_or_question_mark_is_unknown() -> None:
    body = {"transcription": TID, "action": "rename", "voice": 1}
    fields = {"name": "  Ada  ", "company": "", "role": "?"}
    parsed = asking.parse({**body, "speaker": fields})
    assert parsed.fields == {"name": "Ada", "company": None, "role": None}
    with pytest.raises(asking.BadRequest, match="control"):
        asking.parse({**body, "speaker": {"name": "A\u2028B"}})
    with pytest.raises(asking.BadRequest, match="transcription"):
        asking.parse({**body, "transcription": "../x", "speaker": {"name": "A"}})


def test_a_merge_and_its_undo_put_every_segment_back() -> None:
    t = transcript()
    before = [dict(s) for s in t.segments]
    merged = entry(1, edits.decide(t, [], asking.Ask(TID, "merge", 2, into=1)))
    assert {s["voice"] for s in t.segments} == {1, 3} and 2 not in t.speakers
    assert merged["before"]["segments"] == [1, 4, 7]
    undo = edits.decide(t, [merged], asking.Ask(TID, "undo"))
    assert undo["undoes"] == 1 and t.segments == before
    assert t.speakers[2] == merged["before"]["speaker"] and 2 in t.voices


def test_a_placeholder_renamed_becomes_listed_and_its_undo_a_placeholder_again() -> None:
    t = transcript()
    renamed = entry(1, edits.decide(t, [], asking.Ask(TID, "rename", 3, fields={"name": "Bo"})))
    assert t.speakers[3]["name"] == "Bo" and t.speakers[3]["placeholder"] is False
    edits.decide(t, [renamed], asking.Ask(TID, "undo"))
    assert 3 not in t.speakers and 3 in t.voices


def test_an_undo_waits_for_a_later_correction_of_the_same_voice() -> None:
    t = transcript()
    first = entry(1, edits.decide(t, [], asking.Ask(TID, "rename", 1, fields={"name": "B"})))
    second = entry(2, edits.decide(t, [first], asking.Ask(TID, "merge", 2, into=1)))
    with pytest.raises(edits.Conflict, match="correction 2"):
        edits.decide(t, [first, second], asking.Ask(TID, "undo", correction=1))
    assert edits.edited_voices([first, second]) == {1}


def test_a_voice_is_recognised_by_name_then_evidence_and_only_once() -> None:
    speakers = {
        1: {"name": "Ada  Lovelace", "evidence_ms": 90_000},
        2: {"name": None, "evidence_ms": 5_300},
        3: {"name": "Ada Lovelace", "evidence_ms": None},
    }
    made: Any = SimpleNamespace(transcript=SimpleNamespace(speakers=speakers))
    assert isinstance(carry._recognised(made, {"name": "ada lovelace"}), carry.Dropped)  # two
    assert carry._recognised(made, {"name": "Bo", "evidence_ms": 5_000}) == 2
    assert isinstance(carry._recognised(made, {"name": "Bo", "evidence_ms": 7_000}), carry.Dropped)
    del speakers[3]
    assert carry._recognised(made, {"name": "ADA lovelace", "evidence_ms": 5_000}) == 1


def test_the_function_never_imports_the_model_sdk() -> None:
    """Its cold start pays for the store's code it stands on, never for google.genai."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, main; import functions.corrections.handler, functions.corrections.carry; "
        "print('google.genai' in sys.modules)"
    )
    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": "p"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.strip() == "False"
