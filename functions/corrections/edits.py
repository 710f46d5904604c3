"""A correction's change to one run's transcript, pure: who each voice is and who says each
segment. `apply` reads the transcript, asks `decide` for the change, and commits it.

A history entry records what it changed, so that undo restores exactly that: a rename the
fields' values `before` and `after`; a merge the merged voice's row and the positions of its
segments. A correction is undone only while no later correction still standing touches one of
its voices (undo that one first), so restoring its `before` never overwrites a later edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from functions.core.http import BadRequest, Refused
from functions.corrections.ask import Ask
from functions.format.models import Speaker
from functions.store.state import Cursor, Run, RunState, VoiceStats

IDENTITY = tuple(Speaker.model_fields)  # voice, name, company, position, role, evidence, …


class Conflict(Refused):
    """A correction that would undo or overwrite a later one: HTTP 409, nothing changed."""

    status = 409


@dataclass
class Transcript:
    """One run's transcript as stored: listed speakers by voice, every segment in order."""

    speakers: dict[int, dict[str, Any]]  # identity fields of each listed (not placeholder) voice
    voices: set[int]  # every voice in the speakers table, placeholders included
    segments: list[dict[str, Any]]
    changed: set[int] = field(default_factory=set)  # positions of segments whose voice changed

    @classmethod
    def of(cls, doc: dict[str, Any], segments: list[dict[str, Any]]) -> Transcript:
        table = doc.get("speakers") or []
        listed = {
            int(entry["voice"]): {key: entry.get(key) for key in IDENTITY}
            for entry in table
            if not entry.get("placeholder")
        }
        return cls(listed, {int(entry["voice"]) for entry in table}, segments)

    def table(self, stats: dict[str, VoiceStats], edited: set[int]) -> list[dict[str, Any]]:
        """The speakers table with `stats` (`recount`), as the store lays it out."""
        state = RunState(Cursor(run=Run(generation="0", attempt=1), voices=stats))
        state.speakers = {voice: Speaker(**fields) for voice, fields in self.speakers.items()}
        return [{**entry, "edited": entry["voice"] in edited} for entry in state.speaker_entries()]

    # -- the changes ---------------------------------------------------------------------------

    def rename(self, voice: int, fields: dict[str, Any]) -> None:
        current = self.speakers.get(voice) or {**dict.fromkeys(IDENTITY), "voice": voice}
        self.speakers[voice] = {**current, **fields, "placeholder": False}

    def move(self, positions: list[int], voice: int) -> None:
        for position in positions:
            self.segments[position] = {**self.segments[position], "voice": voice}
        self.changed.update(positions)


def decide(transcript: Transcript, history: list[dict[str, Any]], ask: Ask) -> dict[str, Any]:
    """Change `transcript` as `ask` says; return the history entry's record of it (`action`,
    `voice`, `into`, `before`, `after`, and for an undo `undoes`)."""
    if ask.action == "rename":
        return _rename(transcript, _known(transcript, ask.voice), ask.fields or {})
    if ask.action == "merge":
        return _merge(transcript, _known(transcript, ask.voice), _known(transcript, ask.into))
    return _undo(transcript, history, ask.correction)


def _known(transcript: Transcript, voice: int | None) -> int:
    if voice is None or voice not in transcript.voices:
        raise BadRequest(f"voice {voice} is not in this transcription's speakers table")
    return voice


def _rename(transcript: Transcript, voice: int, fields: dict[str, Any]) -> dict[str, Any]:
    current = transcript.speakers.get(voice)
    before = {key: (current or {}).get(key) for key in fields}
    transcript.rename(voice, fields)
    change = {"action": "rename", "voice": voice, "into": None, "before": before, "after": fields}
    return {**change, "listed": current is not None}  # a placeholder named becomes listed


def _merge(transcript: Transcript, voice: int, into: int) -> dict[str, Any]:
    positions = [i for i, s in enumerate(transcript.segments) if s.get("voice") == voice]
    before = {"speaker": transcript.speakers.pop(voice, None), "segments": positions}
    transcript.voices.discard(voice)
    transcript.move(positions, into)
    return {"action": "merge", "voice": voice, "into": into, "before": before, "after": {}}


def _undo(transcript: Transcript, history: list[dict[str, Any]], seq: int | None) -> dict[str, Any]:
    target = _undoable(history, seq)
    voice, into = target["voice"], target["into"]
    if target["action"] == "rename" and not target.get("listed", True):
        transcript.speakers.pop(voice)  # a placeholder again
    elif target["action"] == "rename":
        transcript.rename(voice, target["before"])
    else:
        if target["before"]["speaker"] is not None:
            transcript.speakers[voice] = target["before"]["speaker"]
        transcript.voices.add(voice)
        transcript.move(target["before"]["segments"], voice)
    return {
        "action": "undo",
        "voice": voice,
        "into": into,
        "before": target["after"],
        "after": target["before"],
        "undoes": target["seq"],
    }


def standing(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The corrections in force: neither an undo nor undone."""
    return [e for e in history if e["action"] != "undo" and not e.get("undone_by")]


def edited_voices(history: list[dict[str, Any]]) -> set[int]:
    """Voices a correction in force renamed or merged another into (the viewer's "edited")."""
    voices = set()
    for entry in standing(history):
        voices.add(entry["into"] if entry["action"] == "merge" else entry["voice"])
    return voices


def _undoable(history: list[dict[str, Any]], seq: int | None) -> dict[str, Any]:
    in_force = standing(history)
    if seq is None:
        if not in_force:
            raise BadRequest("there is no correction to undo")
        return in_force[-1]
    target = next((entry for entry in history if entry["seq"] == seq), None)
    if target is None:
        raise BadRequest(f"correction {seq} is not in this transcription's history")
    if target not in in_force:
        what = "an undo" if target["action"] == "undo" else "already undone"
        raise BadRequest(f"correction {seq} is {what}; make the correction again instead")
    touched = {target["voice"], target["into"]} - {None}
    for later in in_force:
        if later["seq"] > seq and touched & {later["voice"], later["into"]}:
            raise Conflict(f"correction {later['seq']} changed voice(s) since: undo it first")
    return target
