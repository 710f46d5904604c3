"""Pure bookkeeping of one run: pages of segments, speaker statistics, issues, progress; and of
one clip attempt of a long run (`ClipState`, decision 0010).

No I/O: `ledger` loads a `RunState` from the transcription document, feeds it parsed rows in
`seq` order, and writes back `fields()` plus the pages it filled. The same chunks in the same
order always give the same fields and pages (docs/firestore.md shows the result). `clips` keeps
a `ClipState` on the clip's document the same way, and `merging` reads them all back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from functions.core.documents import PAGE_SEGMENTS
from functions.core.messages import ResultChunk
from functions.format.models import Event, Issue, Segment, Speaker
from functions.format.parser import StreamParser, check_voices
from functions.format.rows import Row

PAGE_BYTES = 250_000  # and a byte cap, so a page stays far below Firestore's 1 MiB
SEGMENT_OVERHEAD = 48  # estimated bytes of a stored segment besides its text
MAX_ISSUES = 50  # issues kept on the document; `counts.issues` has the total
MAX_SPEAKERS = 200  # speaker rows kept (model output is untrusted and size-capped)
MAX_EVENTS = 500  # sound events kept on the document (decision 0025): about 30 KB
MAX_CLIP_BYTES = 800_000  # a clip's rows must fit its document (1 MiB)
MAX_ANSWER_CHARS = 20_000  # the voices pass's answer: a row per voice


class Run(BaseModel):
    """One claim of one object generation; a newer generation, then a later attempt, wins."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    generation: str = Field(pattern=r"^[0-9]{1,20}$")
    attempt: int = Field(ge=1)

    @property
    def key(self) -> tuple[int, int]:
        return int(self.generation), self.attempt

    @classmethod
    def of(cls, chunk: ResultChunk) -> Run:
        return cls(generation=chunk.generation, attempt=chunk.attempt)


def current_run(doc: dict[str, Any] | None) -> Run | None:
    """The newest run the document knows of: the transcriber's claim or the store's."""
    runs = []
    for candidate in ((doc or {}).get("run"), ((doc or {}).get("store") or {}).get("run")):
        if isinstance(candidate, dict) and candidate.get("generation") and candidate.get("attempt"):
            runs.append(Run.model_validate(candidate))
    return max(runs, key=lambda r: r.key, default=None)


class VoiceStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segments: int = 0
    talk_ms: int = 0
    first_ms: int = 0


class Cursor(BaseModel):
    """Where the run stands; stored as the document's `store` map (not for apps)."""

    model_config = ConfigDict(extra="forbid")

    run: Run
    next_seq: int = 0
    pages: int = 0  # full pages written: pages/0000 … pages/{pages-1:04d}
    segments: int = 0
    live_bytes: int = 0
    last_start_ms: int | None = None
    last_voice: int | None = None
    voices: dict[str, VoiceStats] = Field(default_factory=dict)
    issues_total: int = 0
    finished: bool = False
    buffered: list[int] = Field(default_factory=list)  # seqs waiting in `pending`


@dataclass(frozen=True)
class Page:
    index: int
    segments: list[dict[str, Any]]

    @property
    def doc_id(self) -> str:
        return page_id(self.index)


def page_id(index: int) -> str:
    return f"{index:04d}"


def stored_segment(segment: Segment) -> dict[str, Any]:
    return {"start_ms": segment.start_ms, "voice": segment.voice, "text": segment.text}


def stored_events(events: list[Event]) -> list[dict[str, Any]]:
    """The sound events as the document keeps them, in time order."""
    return [event.model_dump() for event in sorted(events, key=lambda e: (e.start_ms, e.kind))]


def _segment_bytes(segment: dict[str, Any]) -> int:
    return len(str(segment["text"]).encode()) + SEGMENT_OVERHEAD


class RunState:
    """The run's state between two chunks: the cursor, the growing page, speakers and issues."""

    def __init__(
        self,
        cursor: Cursor,
        live: list[dict[str, Any]] | None = None,
        speakers: dict[int, Speaker] | None = None,
        issues: list[Issue] | None = None,
        events: list[Event] | None = None,
    ) -> None:
        self.cursor = cursor
        self.live = live or []
        self.speakers = speakers or {}  # listed in the model's speaker table
        self.issues = issues or []
        self.events = events  # None: the output has no events table (none was asked for)

    @classmethod
    def fresh(cls, run: Run) -> RunState:
        return cls(Cursor(run=run))

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> RunState:
        """The state the document records (its `store` map must exist)."""
        speaker_fields = set(Speaker.model_fields)
        speakers = {
            int(entry["voice"]): Speaker(**{k: v for k, v in entry.items() if k in speaker_fields})
            for entry in doc.get("speakers") or []
            if not entry.get("placeholder")
        }
        live = (doc.get("live_page") or {}).get("segments") or []
        issues = [Issue(**issue) for issue in doc.get("issues") or []]
        events = doc.get("events")
        events = None if events is None else [Event(**event) for event in events]
        return cls(Cursor.model_validate(doc["store"]), list(live), speakers, issues, events)

    # -- applying a chunk ----------------------------------------------------------------------

    def add(self, rows: list[Row], issues: list[Issue], events_table: bool = False) -> list[Page]:
        """Apply one chunk's parsed rows and issues; return the pages that became full.
        `events_table`: the output has an events table so far (perhaps still empty)."""
        pages: list[Page] = []
        if events_table and self.events is None:
            self.events = []
        for row in rows:
            if isinstance(row, Segment):
                pages += self._add_segment(row)
            elif isinstance(row, Event):
                self._add_event(row)
            else:
                self._add_speaker(row)
        self.add_issues(issues)
        return pages

    def _add_event(self, event: Event) -> None:
        self.events = self.events or []
        if len(self.events) < MAX_EVENTS:
            self.events.append(event)
        else:
            message = f"more than {MAX_EVENTS} sound events; {event.kind} at {event.start_ms} ms"
            self.add_issues([Issue(code="too_many_events", message=message + " dropped")])

    def add_issues(self, issues: list[Issue]) -> None:
        room = MAX_ISSUES - len(self.issues)
        self.issues += issues[: max(room, 0)]
        self.cursor.issues_total += len(issues)

    def _add_segment(self, segment: Segment) -> list[Page]:
        cursor = self.cursor
        if cursor.last_start_ms is not None and cursor.last_voice is not None:
            talk = max(segment.start_ms - cursor.last_start_ms, 0)
            cursor.voices[str(cursor.last_voice)].talk_ms += talk
        if segment.voice is not None:
            stats = cursor.voices.setdefault(
                str(segment.voice), VoiceStats(first_ms=segment.start_ms)
            )
            stats.segments += 1
        cursor.last_start_ms, cursor.last_voice = segment.start_ms, segment.voice
        cursor.segments += 1
        stored = stored_segment(segment)
        size = _segment_bytes(stored)
        pages = []
        if self.live and cursor.live_bytes + size > PAGE_BYTES:
            pages.append(self._close_page())
        self.live.append(stored)
        cursor.live_bytes += size
        if len(self.live) >= PAGE_SEGMENTS:
            pages.append(self._close_page())
        return pages

    def _close_page(self) -> Page:
        page = Page(self.cursor.pages, self.live)
        self.cursor.pages += 1
        self.live, self.cursor.live_bytes = [], 0
        return page

    def _add_speaker(self, speaker: Speaker) -> None:
        if speaker.voice in self.speakers:
            message = f"voice {speaker.voice} listed again; first row kept"
            self.add_issues([Issue(code="duplicate_speaker", message=message)])
        elif len(self.speakers) >= MAX_SPEAKERS:
            message = f"more than {MAX_SPEAKERS} speakers; voice {speaker.voice} dropped"
            self.add_issues([Issue(code="too_many_speakers", message=message)])
        else:
            self.speakers[speaker.voice] = speaker

    def finish(self, duration_ms: int | None) -> list[Page]:
        """End of the run: the last segment's talk time, the cross-table checks, the last page."""
        cursor = self.cursor
        last, voice = cursor.last_start_ms, cursor.last_voice
        if last is not None and voice is not None and duration_ms and duration_ms > last:
            cursor.voices[str(voice)].talk_ms += duration_ms - last
        speaking = [
            Segment(start_ms=stats.first_ms, voice=int(v), text="-")
            for v, stats in cursor.voices.items()
        ]
        _, issues = check_voices(speaking, self.speakers.values())
        self.add_issues(issues)
        cursor.finished = True
        return [self._close_page()] if self.live else []

    # -- the document ----------------------------------------------------------------------

    def speaker_entries(self) -> list[dict[str, Any]]:
        """Listed speakers and voices that speak (placeholders when unlisted), with statistics."""
        voices = sorted(set(self.speakers) | {int(v) for v in self.cursor.voices})
        entries = []
        for voice in voices:
            speaker = self.speakers.get(voice) or Speaker(voice=voice, placeholder=True)
            stats = self.cursor.voices.get(str(voice))
            entries.append(
                {
                    **speaker.model_dump(),
                    "segments": stats.segments if stats else 0,
                    "talk_ms": stats.talk_ms if stats else 0,
                    "first_ms": stats.first_ms if stats else None,
                }
            )
        return entries

    def fields(self, duration_ms: int | None) -> dict[str, Any]:
        """The document fields the store owns while a run is in progress or just finished."""
        cursor = self.cursor
        speakers = self.speaker_entries()
        fraction = None
        if duration_ms and cursor.last_start_ms is not None:
            fraction = round(min(cursor.last_start_ms / duration_ms, 1.0), 4)
        live = None
        if not cursor.finished:  # its run, so an app can tell it from a superseded attempt's
            live = {"index": cursor.pages, "run": cursor.run.model_dump(), "segments": self.live}
        return {
            "store": cursor.model_dump(),
            "progress": {
                "segments": cursor.segments,
                "last_start_ms": cursor.last_start_ms,
                "fraction": fraction,
            },
            "speakers": speakers,
            "counts": {
                "segments": cursor.segments,
                "speakers": len(speakers),
                "issues": cursor.issues_total,
                "pages": cursor.pages,
            },
            "issues": [issue.model_dump() for issue in self.issues],
            "live_page": live,
            **({} if self.events is None else {"events": stored_events(self.events)}),
        }


def recount(segments: list[dict[str, Any]], duration_ms: int | None) -> dict[str, VoiceStats]:
    """Each voice's statistics over a whole stored transcript, as a run that wrote these
    segments would have counted them (the owner's corrections recount after changing voices)."""
    state = RunState.fresh(Run(generation="0", attempt=1))
    for segment in segments:
        state.add([Segment.model_validate(segment)], [])
    state.finish(duration_ms)
    return state.cursor.voices


class ClipState(BaseModel):
    """What the store keeps of one clip attempt: its rows as the model wrote them (the clip's
    voice numbers and timecodes), and how it ended. Stored as the clip document's `store`."""

    model_config = ConfigDict(extra="forbid")

    attempt: int = Field(ge=1)
    next_seq: int = 0
    buffered: list[int] = Field(default_factory=list)
    segments: list[dict[str, Any]] = Field(default_factory=list)
    speakers: list[dict[str, Any]] = Field(default_factory=list)
    events: list[dict[str, Any]] | None = None  # None: no events table in the answer so far
    issues: list[dict[str, Any]] = Field(default_factory=list)
    issues_total: int = 0
    bytes: int = 0
    finished: bool = False
    complete: bool = False
    outcome: str | None = None
    reason: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    timings: dict[str, float] | None = None
    answer: str | None = None  # the voices pass's raw answer (it has no transcript rows)

    def feed(self, chunk: ResultChunk, text: str, parser: StreamParser, voices: bool) -> None:
        """Take a chunk's text: parsed rows, or for the voices pass the raw answer."""
        if voices:
            self.answer = ((self.answer or "") + text)[:MAX_ANSWER_CHARS]
        else:
            rows = parser.feed(text, final=chunk.final)
            if parser.events is not None and self.events is None:
                self.events = []
            self.add(rows, [*parser.issues, *(chunk.issues or [])])

    def add(self, rows: list[Row], issues: list[Issue]) -> None:
        for row in rows:
            if isinstance(row, Speaker):
                self._add_speaker(row)
            elif isinstance(row, Event):
                self.events = self.events or []
                if len(self.events) < MAX_EVENTS:
                    self.events.append(row.model_dump())
            elif self.bytes + len(row.text) <= MAX_CLIP_BYTES:
                self.segments.append(stored_segment(row))
                self.bytes += len(row.text)
            else:
                issues = [*issues, Issue(code="clip_too_large", message="clip rows dropped")]
        self.issues += [i.model_dump() for i in issues][: max(MAX_ISSUES - len(self.issues), 0)]
        self.issues_total += len(issues)

    def _add_speaker(self, speaker: Speaker) -> None:
        if len(self.speakers) < MAX_SPEAKERS and all(
            s["voice"] != speaker.voice for s in self.speakers
        ):
            self.speakers.append(speaker.model_dump())

    def finish(self, chunk: ResultChunk, parser: StreamParser) -> None:
        self.finished, self.complete = True, parser.complete
        self.outcome, self.reason = chunk.outcome, chunk.reason
        self.finish_reason, self.timings = chunk.finish_reason, chunk.timings
        self.usage = chunk.usage.model_dump() if chunk.usage else None
