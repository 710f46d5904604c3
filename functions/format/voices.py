"""The voices pass of a merged long transcript (decision 0010): which voices are one person.

The merge joins a clip's voices with earlier ones by the overlap's words and by names; a voice
that speaks in no overlap and has no name is counted as a new person, unconfirmed (merge rule 5).
When every clip has finished and such voices remain, one more request asks the model: each voice
of the merged transcript is heard in one short snippet (its longest row), the snippets cut into
one short media, a reel (decision 0014), listed with their places in it (`slots`), and the model
answers which voices are the same person:

    <SAME_PERSON>
    voice	person
    1	1
    7	1
    </SAME_PERSON>

`person` is the lowest voice number of that person. `snippets` picks the snippets, `slots` places
them in the reel, `parse_answer`
reads the answer (tolerant like the transcript's parser: other text, headers, `V7`, spaces);
`functions.format.merge.merge(…, same_person=…)` applies it. Pure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from functions.format.merge import Merged
from functions.format.models import Issue, Segment
from functions.format.tables import parse_voice

TAG = "SAME_PERSON"
GAP_S = 1  # seconds of silence (and black) between two snippets of the reel
MAX_SNIPPETS = 200  # one per voice; before the pass, many short clips can give over 100
SNIPPET_TEXT_CHARS = 160  # the words shown next to the snippet, to anchor it
_TABLE = re.compile(rf"<\s*{TAG}\s*>(.*?)(?:<\s*/\s*{TAG}\s*>|$)", re.IGNORECASE | re.DOTALL)
_CELLS = re.compile(r"\t|\s{2,}|,|\|")


class Snippet(BaseModel):
    """Where a voice is heard: `start_ms` to `end_ms` of the whole media, saying `text`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    voice: int = Field(ge=1)
    start_ms: int = Field(ge=0)
    end_ms: int = Field(gt=0)
    text: str = Field(max_length=SNIPPET_TEXT_CHARS)
    name: str | None = None


def snippets(merged: Merged, length_ms: int) -> list[Snippet]:
    """One snippet per voice that speaks: its longest row, cut to `length_ms` from its start
    (a row without an end counts as `length_ms` long)."""
    longest: dict[int, tuple[int, Segment]] = {}
    for segment in merged.segments:
        if segment.voice is None:
            continue
        end = segment.end_ms if segment.end_ms is not None else segment.start_ms + length_ms
        span = min(end - segment.start_ms, length_ms)
        if span > 0 and span > longest.get(segment.voice, (0, segment))[0]:
            longest[segment.voice] = (span, segment)
    names = {speaker.voice: speaker.name for speaker in merged.speakers}
    return [
        Snippet(
            voice=voice,
            start_ms=segment.start_ms,
            end_ms=segment.start_ms + span,
            text=segment.text[:SNIPPET_TEXT_CHARS],
            name=names.get(voice),
        )
        for voice, (span, segment) in sorted(longest.items())
    ][:MAX_SNIPPETS]


@dataclass(frozen=True)
class Slot:
    """Where a snippet is heard in the reel: from `start_s` to `end_s` (whole seconds)."""

    snippet: Snippet
    start_s: int
    end_s: int

    @property
    def length_s(self) -> int:
        return self.end_s - self.start_s


def slots(chosen: Sequence[Snippet], gap_s: int = GAP_S) -> list[Slot]:
    """Each snippet's place in the reel: in order, each rounded up to whole seconds (the reel
    holds that much of the recording from the snippet's start), `gap_s` between two."""
    placed, at = [], 0
    for snippet in chosen:
        length = max(1, math.ceil((snippet.end_ms - snippet.start_ms) / 1000))
        placed.append(Slot(snippet, at, at + length))
        at += length + gap_s
    return placed


def duration_s(placed: Sequence[Slot]) -> int:
    """The reel's length: to the end of its last snippet."""
    return placed[-1].end_s if placed else 0


def parse_answer(text: str, voices: Collection[int]) -> tuple[list[list[int]] | None, list[Issue]]:
    """The groups of two or more `voices` the answer says are one person, each sorted (None:
    the answer has no table), and issues for what was ignored (unknown voices, a voice given
    twice)."""
    persons, issues = answered(text, voices)
    return (None if persons is None else _components(persons)), issues


def answered(text: str, voices: Collection[int]) -> tuple[dict[int, int] | None, list[Issue]]:
    """Each of `voices` the answer's table gives, with the person it says it is (None: the
    answer has no table), and issues for the rows ignored."""
    match = _TABLE.search(text)
    if match is None:
        return None, [Issue(code="voices_unanswered", message=f"no <{TAG}> table in the answer")]
    persons: dict[int, int] = {}
    issues = []
    for line in match.group(1).splitlines():
        cells = [cell.strip() for cell in _CELLS.split(line.strip()) if cell.strip()]
        if len(cells) < 2:
            continue
        voice, person = parse_voice(cells[0]), parse_voice(cells[1])
        if voice is None or person is None:
            continue  # the header, or prose
        if voice not in voices or person not in voices:
            issues.append(_ignored(f"{line.strip()!r} names a voice the transcript does not have"))
        elif voice in persons:
            issues.append(_ignored(f"voice {voice} is given twice; the first answer kept"))
        else:
            persons[voice] = person
    return persons, issues


def _components(pairs: dict[int, int]) -> list[list[int]]:
    """The voices linked by the pairs, as groups of two or more (a chain 7→1→3 is one group)."""
    parent: dict[int, int] = {}

    def root(voice: int) -> int:
        while parent.get(voice, voice) != voice:
            voice = parent[voice]
        return voice

    for voice, person in pairs.items():
        a, b = root(voice), root(person)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, set[int]] = {}
    for voice in {*pairs, *pairs.values()}:
        groups.setdefault(root(voice), set()).add(voice)
    return sorted(sorted(group) for group in groups.values() if len(group) > 1)


def _ignored(message: str) -> Issue:
    return Issue(code="voices_answer_ignored", message=message)
