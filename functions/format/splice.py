"""A continuation's answer spliced onto the output of the run it continues (decision 0013).

A run cut off (`MAX_TOKENS`, the output cap, the time budget, a repetition loop) has published
its complete rows; a continuation request covers the rest of the run's range from a little before
the last of them, the continuation point. Its answer is parsed alone, with its own timecodes and
voice IDs: `Splice` turns its rows into the run's, and `Writer` writes them as the run's output
would go on, so the store reads one run.

1. Timecodes. The answer counts time from its media part's start (relative) or the recording's
   (absolute): the reading under which more of its first rows pair with the run's last rows
   (rule 3) wins; with no difference among the first `HOLD_ROWS` rows, the reading more of them
   fit (merge rule 2), a tie read relative.
2. Rows starting more than 2 s outside the run's range are dropped (`continuation_row_outside`).
3. The overlap. A row that is one utterance with one of the run's last rows (merge rule 4: starts
   at most 3 s apart, word similarity at least 0.6) is dropped and votes for its voice; another
   row starting before the point is dropped too (the run covered that time); the rest is kept.
4. Voices. A voice is the run's voice its pairs vote for (one to one, most votes first); else its
   own ID — the prompt gave it the run's IDs to keep — unless a vote gave that ID to another
   voice: then the next ID above every one in use. Votes count until a row starts past the
   overlap (or the speaker table begins), so kept rows wait until then.
5. Speakers. The answer lists every voice, the run's earlier ones too: the speaker table lost in
   the cut is recovered. A voice the run already listed is skipped.
6. A run whose transcript table was closed (only its speaker table was cut) keeps its transcript:
   the continuation's transcript rows only vote; its speaker table is kept.
7. Sound events (decision 0025): the continuation's, in the run's range and timecodes, when the
   run wrote no events table; a run that began one keeps its own alone (the continuation hears
   only the end of the range, so it cannot tell which of the run's events are missing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from functions.format.merge import (
    EDGE_TOLERANCE_MS,
    MATCH_WINDOW_MS,
    fits,
    utterance_match,
    words,
)
from functions.format.models import Event, Issue, Segment, Speaker
from functions.format.parser import ParserState, StreamParser
from functions.format.rows import Row
from functions.format.tables import (
    COLUMNS,
    Table,
    clock,
    event_line,
    open_tag,
    segment_line,
    speaker_line,
)

HOLD_ROWS = 12  # rows held at most while the pairs cannot tell how the answer counts time


class Cut(BaseModel):
    """Where a cut-off run stands: what its continuation needs to go on from it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_ms: int = Field(ge=0, description="the run's range in media time")
    end_ms: int = Field(gt=0)
    offset_ms: int = Field(ge=0, description="the run's timecodes are media time minus this")
    point_ms: int = Field(ge=0, description="media time: the start of the run's last row")
    rows: list[Segment] = Field(description="the run's last rows so far, media time")
    voices: list[int] = Field(description="every voice the run used")
    state: ParserState = Field(description="the run's output after its last published line")

    @property
    def transcript_closed(self) -> bool:
        return Table.TRANSCRIPT in self.state.seen and self.state.table is not Table.TRANSCRIPT


class Splice:
    """The continuation's rows, as they stream, made the run's (the module's rules)."""

    def __init__(self, cut: Cut, media_start_ms: int) -> None:
        self.cut, self.media_start_ms = cut, media_start_ms
        self.offset: int | None = None if media_start_ms else 0  # answer time + offset = media
        self._held: list[Row] = []  # before the reading is known
        self._kept: list[Row] = []  # waiting for the voices
        self._tail = [(row, words(row.text)) for row in cut.rows]
        self._paired: set[int] = set()  # tail rows already paired
        self._votes: Counter[tuple[int, int]] = Counter()
        self._voices: dict[int, int] | None = None  # answer voice → run voice, once known
        self._listed = set(cut.state.listed)
        self._outside = 0

    def feed(self, rows: Sequence[Row]) -> list[Row]:
        """The run's rows that the answer's `rows` (in stream order) make ready."""
        self._held += rows
        return self._release(final=False)

    def finish(self) -> list[Row]:
        """The answer ended: every row still waiting."""
        return self._release(final=True)

    @property
    def issues(self) -> list[Issue]:
        """What the splice dropped so far (rule 2)."""
        if not self._outside:
            return []
        message = f"{self._outside} continuation row(s) outside the run's range dropped"
        return [Issue(code="continuation_row_outside", message=message)]

    # -- the reading -----------------------------------------------------------------------

    def _release(self, final: bool) -> list[Row]:
        if self.offset is None:
            self.offset = self._reading(final)
            if self.offset is None:
                return []
        held, self._held = self._held, []
        for row in held:
            self._take(row)
        if final:
            self._settle()
        if self._voices is None:
            return []
        ready, self._kept = self._kept, []
        return [out for row in ready if (out := self._out(row)) is not None]

    def _reading(self, final: bool) -> int | None:
        """The offset of the answer's timecodes, once the held rows tell (rule 1)."""
        starts = [row.start_ms for row in self._held if isinstance(row, Segment)]
        relative, absolute = self._pairs_at(self.media_start_ms), self._pairs_at(0)
        if relative != absolute:
            return self.media_start_ms if relative > absolute else 0
        if not final and len(starts) < HOLD_ROWS and not self._speakers_began():
            return None
        fit_relative, fit_absolute = fits(starts, self.media_start_ms, self.cut.end_ms)
        return 0 if fit_absolute > fit_relative else self.media_start_ms

    def _pairs_at(self, offset: int) -> int:
        used: set[int] = set()
        for row in self._held:
            if isinstance(row, Segment):
                match = self._match(row.start_ms + offset, words(row.text), used)
                if match is not None:
                    used.add(match)
        return len(used)

    def _speakers_began(self) -> bool:
        return any(not isinstance(row, Segment) for row in self._held)

    # -- the overlap and the voices ----------------------------------------------------------

    def _take(self, row: Row) -> None:
        if isinstance(row, Event):
            self._take_event(row)
            return
        if isinstance(row, Speaker):
            self._settle()
            self._kept.append(row)
            return
        assert self.offset is not None
        at = row.start_ms + self.offset
        if not self.cut.start_ms - EDGE_TOLERANCE_MS <= at <= self.cut.end_ms + EDGE_TOLERANCE_MS:
            self._outside += 1
            return
        if self._voices is None and at <= self.cut.point_ms + MATCH_WINDOW_MS:
            match = self._match(at, words(row.text), self._paired)
            if match is not None:
                self._paired.add(match)
                voice = self._tail[match][0].voice
                if row.voice is not None and voice is not None:
                    self._votes[voice, row.voice] += 1
                return
        elif self._voices is None:
            self._settle()
        if at >= self.cut.point_ms and not self.cut.transcript_closed:
            self._kept.append(row.model_copy(update={"start_ms": at}))

    def _take_event(self, event: Event) -> None:
        """Rule 7: the event in media time, if the run has no events table and it is in range."""
        assert self.offset is not None
        at = event.start_ms + self.offset
        if Table.EVENTS in self.cut.state.seen:
            return
        if not self.cut.start_ms - EDGE_TOLERANCE_MS <= at <= self.cut.end_ms + EDGE_TOLERANCE_MS:
            self._outside += 1
            return
        end = None if event.end_ms is None else min(event.end_ms + self.offset, self.cut.end_ms)
        self._kept.append(event.model_copy(update={"start_ms": at, "end_ms": end}))

    def _match(self, at: int, row_words: list[str], used: set[int]) -> int | None:
        """The tail row most like an answer row at `at` (media time), if one is one utterance."""
        found = []
        for n, (row, tail_words) in enumerate(self._tail):
            if n not in used:
                match = utterance_match(row.start_ms, tail_words, at, row_words)
                if match is not None:
                    found.append((match, n))
        return min(found)[1] if found else None

    def _settle(self) -> None:
        """The overlap has passed: the votes decide the voices (rule 4)."""
        if self._voices is not None:
            return
        voices: dict[int, int] = {}
        for (run_voice, voice), _ in sorted(self._votes.items(), key=lambda i: (-i[1], i[0])):
            if voice not in voices and run_voice not in voices.values():
                voices[voice] = run_voice
        self._voices = voices

    def _voice(self, voice: int | None) -> int | None:
        assert self._voices is not None
        if voice is None or voice in self._voices:
            return None if voice is None else self._voices[voice]
        taken = set(self._voices.values())
        if voice not in taken:
            self._voices[voice] = voice
        else:
            self._voices[voice] = max({*self.cut.voices, *taken}) + 1
        return self._voices[voice]

    def _out(self, row: Row) -> Row | None:
        """The row in the run's timecodes and voices (None: a speaker the run listed)."""
        if isinstance(row, Event):
            start = max(row.start_ms - self.cut.offset_ms, 0)
            end = None if row.end_ms is None else row.end_ms - self.cut.offset_ms
            return row.model_copy(
                update={"start_ms": start, "end_ms": end if end and end > start else None}
            )
        voice = self._voice(row.voice)
        if isinstance(row, Segment):
            start = max(row.start_ms - self.cut.offset_ms, 0)
            return row.model_copy(update={"start_ms": start, "voice": voice})
        assert voice is not None and self.offset is not None
        if voice in self._listed:
            return None
        self._listed.add(voice)
        evidence = None
        if row.evidence_ms is not None:
            evidence = row.evidence_ms + self.offset - self.cut.offset_ms
        if evidence is None or evidence < 0:
            return row.model_copy(update={"voice": voice, "evidence_ms": None, "evidence": None})
        return row.model_copy(
            update={"voice": voice, "evidence_ms": evidence, "evidence": clock(evidence)}
        )


_TABLE_OF = {Segment: Table.TRANSCRIPT, Speaker: Table.SPEAKERS, Event: Table.EVENTS}


class Writer:
    """Writes rows in the compact format as the continuation of an output that stopped at
    `state` (after a complete line), each piece with the parser state before it."""

    def __init__(self, state: ParserState, with_hours: bool) -> None:
        if state.table is not None:  # go on in the canonical columns, whatever the run's were
            state = state.model_copy(update={"columns": COLUMNS[state.table], "delimiter": "\t"})
        self._parser = StreamParser(state=state)
        self.with_hours = with_hours

    def state(self) -> ParserState:
        return self._parser.state()

    def write(self, rows: Sequence[Row]) -> tuple[ParserState, str]:
        """(the state before, the text) of `rows`; empty text for none."""
        before = self.state()
        table, lines = before.table, []
        for row in rows:
            wanted = _TABLE_OF[type(row)]
            if table is not wanted:
                lines += [*([] if table is None else [f"</{table.value}>"]), open_tag(wanted)]
                table = wanted
            if isinstance(row, Segment):
                lines.append(segment_line(row.start_ms, row.voice, row.text, self.with_hours))
            elif isinstance(row, Event):
                lines.append(event_line(row.start_ms, row.end_ms, row.kind, self.with_hours))
            else:
                fields = (row.name, row.company, row.position, row.role, row.evidence_ms)
                lines.append(speaker_line(row.voice, *fields, self.with_hours))
        return before, self._feed(lines)

    def close(self) -> tuple[ParserState, str]:
        """Close the open table and add any table never written (empty): a whole output."""
        before = self.state()
        lines = [] if before.table is None else [f"</{before.table.value}>"]
        for table in (Table.TRANSCRIPT, Table.SPEAKERS):
            if table not in before.seen:
                lines += [open_tag(table), f"</{table.value}>"]
        return before, self._feed(lines)

    def _feed(self, lines: list[str]) -> str:
        text = "".join(f"{line}\n" for line in lines)
        self._parser.feed(text)
        return text
