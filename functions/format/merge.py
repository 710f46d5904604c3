"""One transcript from the answers of a long media's clips (docs/format.md, *Merging clips*).

Long media is transcribed as clips that overlap (`functions.transcribe.clips`), each clip's answer
parsed alone, with the clip's own voice numbers. `merge` joins them; pure and deterministic.

1. Order and frontier. Clips are taken in index order (every clip of the plan: one not started yet
   is unfinished and empty). Merging stops after the first unfinished clip, the frontier: its rows
   so far are merged, later clips wait. So the transcript only grows, in time order, as clips
   finish, and earlier voice numbers stay stable.
2. Relative or absolute timecodes. Per clip, count the rows whose start fits the relative range
   [0, length + 2 s] and those that fit the absolute one [start - 2 s, end + 2 s]: the larger
   count wins, a tie is read relative (clip 0 can never tell). Absolute start = clip start +
   relative start.
3. Rows starting more than 2 s outside their clip are dropped (`clip_row_outside`).
4. Each overlap covered once. Between consecutive clips a and b the cut is the midpoint of their
   overlap (for an a that was cut off: no later than its last row, no earlier than b's start).
   Rows of a and b in the overlap are paired when they are one utterance: starts at most 3 s
   apart and word similarity (difflib ratio of the lower-case words) at least 0.6, best pairs
   first. A pair is kept once: a's row if the pair's mean start is before the cut, else b's.
   Other rows are kept by their own start: a keeps those before the cut, b the rest.
5. One voice per person, assigned clip by clip. A clip's voice is an earlier person when (a) the
   pairs of the overlap with the previous clip vote for (person, voice), assigned one to one, most
   votes first, or else (b) it has the person's name (`functions.format.names.same_name`: case,
   punctuation, titles, initials and legal suffixes aside). Otherwise it is a
   new person; an unnamed one that spoke in no checkable overlap (a gap before its clip, or the
   previous clip cut off earlier) is unconfirmed when earlier persons exist.
5b. `same_person`: the voices pass's answer (`functions.format.voices`), groups of voice numbers
   (as a merge of the same clips without it numbers them) that are one person: each group
   becomes the person of its lowest number, unless two of its persons carry different names
   (`voices_join_refused`). The pass heard every voice, so none stays unconfirmed; without an
   answer (None), unconfirmed persons are flagged `voice_unconfirmed`.
6. Voices are numbered 1, 2, 3… by first speech in the merged rows, then persons listed in a
   speaker table who never speak in them, in clip order. Rows with no voice keep none.
7. A person's fields are the first known value in clip order; evidence timecodes are made
   absolute like the rows. A voice matched by the overlap whose name differs from the person's
   keeps the person's first name (`speaker_name_conflict`).
8. A gap clip (terminal: blocked, invalid…) adds `clip_gap`; its neighbours keep their whole
   overlap with it. A cut-off clip adds `clip_cut_off` naming what may be missing. Either makes
   the transcript incomplete, as does an unfinished clip. Each clip's parse issues are carried,
   their messages prefixed `clip N: `.
9. `covered_ms`, for progress: the end of the last settled clip's keep-range, or the frontier's
   last kept row if later.
10. Sound events (decision 0025), when any clip has an events table: each clip's events read as
   its rows (rule 2), kept when they start in the clip's keep range, their ends capped at the
   clip's end; events of one kind that overlap or nearly touch (`EVENT_JOIN_MS`) are one event,
   from the first start to the last end, so an event heard in an overlap is counted once.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from functions.format.models import Event, Issue, Segment, Speaker
from functions.format.names import same_name
from functions.format.tables import clock

EDGE_TOLERANCE_MS = 2_000  # a row may start this far outside its clip (rounding, drift)
MATCH_WINDOW_MS = 3_000  # one utterance's starts in two clips differ by at most this
MATCH_SIMILARITY = 0.6  # and the difflib ratio of their words is at least this
EVENT_JOIN_MS = 1_000  # two events of one kind this close are one (rule 10)
_FIELDS = ("name", "company", "position", "role")
_WORD = re.compile(r"\w+")
Timecodes = Literal["relative", "absolute"]


@dataclass(frozen=True)
class ClipAnswer:
    """One clip's parsed answer: `index` in the plan, its range within the whole media, its rows
    (with the clip's own voice numbers; timecodes relative to the clip or absolute)."""

    index: int
    start_ms: int
    end_ms: int
    segments: Sequence[Segment]
    speakers: Sequence[Speaker]
    complete: bool = True  # False: the output was cut off (MAX_TOKENS, budget…)
    finished: bool = True  # False: still streaming
    gap: str | None = None  # the clip ended terminally: why (its range is not transcribed)
    issues: Sequence[Issue] = ()  # the clip's parse issues
    events: Sequence[Event] | None = None  # None: the answer has no events table

    @property
    def settled(self) -> bool:
        """No more rows will come: finished, or a gap."""
        return self.finished or self.gap is not None

    @property
    def cut_off(self) -> bool:
        return self.settled and self.gap is None and not self.complete


@dataclass(frozen=True)
class ClipReport:
    """What the merge made of one clip."""

    index: int
    timecodes: Timecodes | None  # None for a gap
    voice_map: dict[int, int]  # clip voice → merged voice
    kept: int  # rows in the merged transcript
    outside: int  # rows dropped as outside the clip
    gap: str | None
    keep_start_ms: int  # the part of the media this clip transcribes
    keep_end_ms: int


@dataclass(frozen=True)
class Merged:
    segments: list[Segment]  # absolute starts, merged voice numbers, time order
    speakers: list[Speaker]  # one per merged voice
    complete: bool  # False if a clip was cut off, is a gap or is not finished
    issues: list[Issue]
    clips: list[ClipReport]  # one per merged clip
    covered_ms: int  # the transcript covers the media from 0 up to here
    unconfirmed: list[int] = field(default_factory=list)  # voices flagged `voice_unconfirmed`
    events: list[Event] | None = None  # None: no clip has an events table (rule 10)


class _Row(NamedTuple):
    at_ms: int  # absolute start
    voice: int | None
    text: str


@dataclass
class _Clip:
    """A clip being merged: its rows placed in the whole media, and what the merge decides."""

    answer: ClipAnswer
    timecodes: Timecodes | None
    rows: list[_Row]  # within the clip's range, in stream order
    speakers: dict[int, Speaker]  # evidence made absolute
    outside: list[int]  # absolute starts of the rows dropped as outside the clip
    keep: list[bool] = field(default_factory=list)  # per row: in the merged transcript
    voices: dict[int, int] = field(default_factory=dict)  # clip voice → person

    @property
    def kept_rows(self) -> list[_Row]:
        return [row for row, keep in zip(self.rows, self.keep, strict=True) if keep]

    def person_of(self, row: _Row) -> int | None:
        return None if row.voice is None else self.voices[row.voice]

    @property
    def reach_ms(self) -> int:
        """Up to where the clip transcribed: its end, or its last row when it was cut off."""
        if not self.answer.cut_off:
            return self.answer.end_ms
        return max((row.at_ms for row in self.rows), default=self.answer.start_ms - 1)


@dataclass(frozen=True)
class _Seam:
    """Where clip a hands over to the next clip b."""

    cut: int
    a_keeps: dict[int, bool]  # a's rows paired with b's: whether a keeps them (else b does)
    b_keeps: dict[int, bool]
    pairs: list[tuple[int, int]]  # (row of a, row of b): one utterance
    checked_until: int  # b's voices speaking up to here could be matched with a's


def merge(
    clips: Sequence[ClipAnswer], same_person: Sequence[Sequence[int]] | None = None
) -> Merged:
    """The clips' answers as one transcript (the module's rules); `same_person`: rule 5b.
    Raises ValueError if the clips are not a plan (`check_plan`)."""
    ordered = sorted(clips, key=lambda clip: clip.index)
    check_plan(ordered)
    merged_count = next((n + 1 for n, c in enumerate(ordered) if not c.settled), len(ordered))
    placed = _place_all(ordered[:merged_count])
    following = [*ordered[1:], None]
    seams = [
        _seam(clip, after, placed[n + 1] if n + 1 < merged_count else None) if after else None
        for n, (clip, after) in enumerate(zip(placed, following, strict=False))
    ]
    people, issues = _People(), []
    for n, clip in enumerate(placed):
        before = seams[n - 1] if n else None
        clip.keep = _kept(clip.rows, before, seams[n])
        issues += _clip_issues(clip, following[n])
        if clip.answer.gap is None:
            issues += _assign_voices(clip, placed[n - 1] if n else None, before, people)
    kept = sorted(((r, clip) for clip in placed for r in clip.kept_rows), key=lambda k: k[0].at_ms)
    numbers = _numbers([clip.person_of(row) for row, clip in kept], people)
    if same_person is not None:
        issues += _join(people, placed, numbers, same_person)
        numbers = _numbers([clip.person_of(row) for row, clip in kept], people)
        people.unconfirmed.clear()
    issues += [people.unconfirmed[p] for p in numbers if p in people.unconfirmed]
    ranges = [_keep_range(c, seams[n - 1] if n else None, seams[n]) for n, c in enumerate(placed)]
    return Merged(
        segments=_segments(kept, numbers),
        speakers=[_speaker(number, people.rows[person]) for person, number in numbers.items()],
        complete=bool(ordered) and all(c.finished and c.complete and not c.gap for c in ordered),
        issues=issues,
        clips=[_report(clip, numbers, keep) for clip, keep in zip(placed, ranges, strict=True)],
        covered_ms=_covered(placed, ranges),
        unconfirmed=sorted(numbers[p] for p in people.unconfirmed if p in numbers),
        events=_events(placed, ranges),
    )


def check_plan(clips: Sequence[ClipAnswer]) -> None:
    """Raise ValueError unless the clips, in index order, are a plan: indexes 0, 1, 2…; each clip
    starting after the previous one starts, no later than it ends, and ending after it; clips
    that are not neighbours never overlapping."""
    for position, clip in enumerate(clips):
        if clip.index != position:
            raise ValueError(f"clip indexes must be 0, 1, 2…: {clip.index} at position {position}")
        if not 0 <= clip.start_ms < clip.end_ms:
            raise ValueError(f"clip {clip.index}: its start must be before its end")
    for a, b in itertools.pairwise(clips):
        if not a.start_ms < b.start_ms <= a.end_ms < b.end_ms:
            raise ValueError(
                f"clip {b.index} must start after clip {a.index} starts and no later than it "
                "ends, and end after it ends"
            )
    for a, c in zip(clips, clips[2:], strict=False):
        if c.start_ms < a.end_ms:
            raise ValueError(f"clip {c.index} overlaps clip {a.index}: only neighbours may")


# -- placing each clip's rows in the whole media ----------------------------------------------


def _place_all(answers: Sequence[ClipAnswer]) -> list[_Clip]:
    return [_place(answer, _timecodes(answer)) for answer in answers]


def _timecodes(answer: ClipAnswer) -> Timecodes | None:
    """How the clip's rows count time (`reading`). None for a gap."""
    if answer.gap is not None:
        return None
    return reading([s.start_ms for s in answer.segments], answer.start_ms, answer.end_ms)


def reading(starts: Sequence[int], start_ms: int, end_ms: int) -> Timecodes:
    """How the rows of a part [start_ms, end_ms] of the media count time: the reading more of
    them fit, relative to the part's start or absolute; a tie is read relative."""
    relative, absolute = fits(starts, start_ms, end_ms)
    return "absolute" if absolute > relative else "relative"


def fits(starts: Sequence[int], start_ms: int, end_ms: int) -> tuple[int, int]:
    """How many starts fit the part as relative timecodes, and how many as absolute ones."""
    length, tolerance = end_ms - start_ms, EDGE_TOLERANCE_MS
    low, high = start_ms - tolerance, end_ms + tolerance
    return sum(s <= length + tolerance for s in starts), sum(low <= s <= high for s in starts)


def _place(answer: ClipAnswer, timecodes: Timecodes | None) -> _Clip:
    if timecodes is None:  # a gap: nothing of it is merged
        return _Clip(answer, None, [], {}, [])
    offset = 0 if timecodes == "absolute" else answer.start_ms
    low, high = answer.start_ms - EDGE_TOLERANCE_MS, answer.end_ms + EDGE_TOLERANCE_MS
    rows, outside = [], []
    for segment in answer.segments:
        at = segment.start_ms + offset
        if low <= at <= high:
            rows.append(_Row(at, segment.voice, segment.text))
        else:
            outside.append(at)
    speakers = {speaker.voice: _absolute_evidence(speaker, offset) for speaker in answer.speakers}
    return _Clip(answer, timecodes, rows, speakers, outside)


def _absolute_evidence(speaker: Speaker, offset: int) -> Speaker:
    if speaker.evidence_ms is None or not offset:
        return speaker
    at = speaker.evidence_ms + offset
    return speaker.model_copy(update={"evidence_ms": at, "evidence": clock(at)})


# -- the overlaps: pairs and cuts --------------------------------------------------------------


def _seam(a: _Clip, b_answer: ClipAnswer, b: _Clip | None) -> _Seam | None:
    """The hand-over from a to the next clip (`b` None: not merged yet, so no pairs). None when
    either is a gap: the other keeps its whole overlap."""
    if a.answer.gap is not None or b_answer.gap is not None:
        return None
    middle = (b_answer.start_ms + a.answer.end_ms) // 2
    cut = min(middle, max(b_answer.start_ms, a.reach_ms + 1))
    b_rows = [] if b is None else b.rows
    pairs = _pairs(a.rows, b_rows, b_answer.start_ms, a.answer.end_ms)
    a_keeps = {i: a.rows[i].at_ms + b_rows[j].at_ms < 2 * cut for i, j in pairs}  # mean < cut
    b_keeps = {j: not a_keeps[i] for i, j in pairs}
    return _Seam(cut, a_keeps, b_keeps, pairs, min(a.answer.end_ms, a.reach_ms))


def _pairs(
    a_rows: list[_Row], b_rows: list[_Row], overlap_start: int, overlap_end: int
) -> list[tuple[int, int]]:
    """Rows of a and b that are one utterance, one to one, the most similar (then closest) first."""
    left = [i for i, row in enumerate(a_rows) if row.at_ms >= overlap_start - MATCH_WINDOW_MS]
    right = [j for j, row in enumerate(b_rows) if row.at_ms <= overlap_end + MATCH_WINDOW_MS]
    a_words = {i: words(a_rows[i].text) for i in left}
    b_words = {j: words(b_rows[j].text) for j in right}
    candidates = []
    for i in left:
        for j in right:
            match = utterance_match(a_rows[i].at_ms, a_words[i], b_rows[j].at_ms, b_words[j])
            if match is not None:
                candidates.append((*match, i, j))
    pairs, used_a, used_b = [], set(), set()
    for _, _, i, j in sorted(candidates):
        if i not in used_a and j not in used_b:
            pairs.append((i, j))
            used_a.add(i)
            used_b.add(j)
    return pairs


def utterance_match(
    a_ms: int, a_words: list[str], b_ms: int, b_words: list[str]
) -> tuple[float, int] | None:
    """(-similarity, distance) of two rows that are one utterance (rule 4), else None: a sort
    key, the best match first."""
    distance = abs(a_ms - b_ms)
    if distance > MATCH_WINDOW_MS:
        return None
    alike = similarity(a_words, b_words)
    return (-alike, distance) if alike >= MATCH_SIMILARITY else None


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def similarity(a: list[str], b: list[str]) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _kept(rows: list[_Row], before: _Seam | None, after: _Seam | None) -> list[bool]:
    """Per row, whether the clip keeps it: a paired row as its pair decides, any other one by its
    start between the cuts."""
    start = before.cut if before else -math.inf
    end = after.cut if after else math.inf
    return [
        (before is None or before.b_keeps.get(n, row.at_ms >= start))
        and (after is None or after.a_keeps.get(n, row.at_ms < end))
        for n, row in enumerate(rows)
    ]


def _keep_range(clip: _Clip, before: _Seam | None, after: _Seam | None) -> tuple[int, int]:
    start, end = clip.answer.start_ms, clip.answer.end_ms
    if clip.answer.gap is not None:
        return start, end
    return max(start, before.cut) if before else start, min(end, after.cut) if after else end


# -- voices and speakers -----------------------------------------------------------------------


class _People:
    """The persons found so far: each one's speaker rows in clip order, and who is named what."""

    def __init__(self) -> None:
        self.rows: list[list[Speaker]] = []
        self._named: list[tuple[str, int]] = []  # each name as first given, and its person
        self.unconfirmed: dict[int, Issue] = {}  # person → why it may be an earlier one

    def new(self) -> int:
        self.rows.append([])
        return len(self.rows) - 1

    def named(self, name: str | None) -> int | None:
        if name is None:
            return None
        return next((person for known, person in self._named if same_name(known, name)), None)

    def name(self, person: int) -> str | None:
        return next((row.name for row in self.rows[person] if row.name is not None), None)

    def listed(self, person: int) -> bool:
        """Some speaker table lists the person (not only the parser's placeholder)."""
        return any(not row.placeholder for row in self.rows[person])

    def add(self, person: int, speaker: Speaker | None, clip_index: int) -> list[Issue]:
        """Add a speaker row to the person; an issue if its name is not the person's."""
        if speaker is None:
            return []
        known = self.name(person)
        self.rows[person].append(speaker)
        if speaker.name is None:
            return []
        if known is None:
            self._named.append((speaker.name, person))
            return []
        if same_name(known, speaker.name):
            return []
        message = (
            f"clip {clip_index}: voice {speaker.voice} is named {speaker.name!r} but the overlap "
            f"matches it with {known!r}; {known!r} kept"
        )
        return [Issue(code="speaker_name_conflict", message=message)]


def _assign_voices(
    clip: _Clip, previous: _Clip | None, seam: _Seam | None, people: _People
) -> list[Issue]:
    """Map each of the clip's voices to a person: the overlap's votes, then names, else new."""
    index, earlier = clip.answer.index, len(people.rows)
    clip.voices = _voted(seam, previous, clip) if seam and previous else {}
    issues = []
    for voice in sorted(clip.voices):
        issues += people.add(clip.voices[voice], clip.speakers.get(voice), index)
    checked_until = seam.checked_until if seam else -1
    checked = {row.voice for row in clip.rows if row.at_ms <= checked_until}
    speaking = {row.voice for row in clip.rows if row.voice is not None}
    for voice in sorted((clip.speakers.keys() | speaking) - clip.voices.keys()):
        speaker = clip.speakers.get(voice)
        name = speaker.name if speaker else None
        person = people.named(name)
        if person is None:
            person = people.new()
            if earlier and name is None and voice in speaking and voice not in checked:
                message = (
                    f"clip {index}: voice {voice} spoke in no overlap with an earlier clip and "
                    "has no name; counted as a new person"
                )
                people.unconfirmed[person] = Issue(code="voice_unconfirmed", message=message)
        clip.voices[voice] = person
        issues += people.add(person, speaker, index)
    return issues


def _join(
    people: _People, clips: list[_Clip], numbers: dict[int, int], groups: Sequence[Sequence[int]]
) -> list[Issue]:
    """Rule 5b: each group of voice numbers becomes the person of its lowest number."""
    person_of = {number: person for person, number in numbers.items()}
    alias: dict[int, int] = {}
    issues = []
    for group in groups:
        persons = [person_of[number] for number in sorted(group) if number in person_of]
        for person in persons[1:]:
            keep, other = people.name(persons[0]), people.name(person)
            if keep and other and not same_name(keep, other):
                message = (
                    f"voices {numbers[persons[0]]} ({keep}) and {numbers[person]} ({other}) were "
                    "answered as one person; kept apart, their names differ"
                )
                issues.append(Issue(code="voices_join_refused", message=message))
                continue
            people.rows[persons[0]] += people.rows[person]
            people.rows[person] = []
            alias[person] = persons[0]
    for clip in clips:
        clip.voices = {voice: alias.get(person, person) for voice, person in clip.voices.items()}
    return issues


def _voted(seam: _Seam, previous: _Clip, clip: _Clip) -> dict[int, int]:
    """The clip's voices the overlap's pairs match with earlier persons: one to one, the most
    votes first (ties: the lower person, then the lower voice)."""
    votes: Counter[tuple[int, int]] = Counter()
    for i, j in seam.pairs:
        earlier, voice = previous.rows[i].voice, clip.rows[j].voice
        if earlier is not None and voice is not None:
            votes[previous.voices[earlier], voice] += 1
    matched: dict[int, int] = {}
    for (person, voice), _ in sorted(votes.items(), key=lambda item: (-item[1], item[0])):
        if voice not in matched and person not in matched.values():  # a handful of voices
            matched[voice] = person
    return matched


def _numbers(speaking: list[int | None], people: _People) -> dict[int, int]:
    """Person → voice number: by first speech (`speaking`: the rows' persons in time order), then
    the listed persons who never speak, in order of appearance."""
    order = dict.fromkeys(person for person in speaking if person is not None)
    order.update(dict.fromkeys(p for p in range(len(people.rows)) if people.listed(p)))
    return {person: number for number, person in enumerate(order, 1)}


def _speaker(voice: int, rows: list[Speaker]) -> Speaker:
    """One person's speaker: each field's first known value; placeholder if never listed."""
    fields = {
        f: next((getattr(r, f) for r in rows if getattr(r, f) is not None), None) for f in _FIELDS
    }
    evidence = next((row for row in rows if row.evidence is not None), None)
    return Speaker(
        voice=voice,
        **fields,
        evidence=evidence.evidence if evidence else None,
        evidence_ms=evidence.evidence_ms if evidence else None,
        placeholder=all(row.placeholder for row in rows),
    )


# -- the result --------------------------------------------------------------------------------


def _segments(kept: list[tuple[_Row, _Clip]], numbers: dict[int, int]) -> list[Segment]:
    """The kept rows as segments. Each ends where the next starts, but not after its clip's end;
    the last one at its clip's end, unless that clip was cut off or is unfinished."""
    segments = []
    for n, (row, clip) in enumerate(kept):
        following = kept[n + 1][0].at_ms if n + 1 < len(kept) else math.inf
        clip_end = clip.answer.end_ms if clip.answer.finished and clip.answer.complete else None
        end = min(following, clip_end if clip_end is not None else math.inf)
        person = clip.person_of(row)
        voice = None if person is None else numbers[person]
        end_ms = int(end) if row.at_ms < end < math.inf else None
        segments.append(Segment(start_ms=row.at_ms, voice=voice, text=row.text, end_ms=end_ms))
    return segments


def _clip_issues(clip: _Clip, following: ClipAnswer | None) -> list[Issue]:
    answer, prefix = clip.answer, f"clip {clip.answer.index}"
    if answer.gap is not None:
        message = (
            f"{prefix} ({_span(answer.start_ms, answer.end_ms)}) not transcribed: {answer.gap}"
        )
        return [Issue(code="clip_gap", message=message)]
    issues = [i.model_copy(update={"message": f"{prefix}: {i.message}"}) for i in answer.issues]
    if clip.outside:
        message = (
            f"{prefix}: {len(clip.outside)} row(s) starting outside the clip "
            f"({_span(answer.start_ms, answer.end_ms)}) dropped, the first at "
            f"{clock(max(clip.outside[0], 0))}"
        )
        issues.append(Issue(code="clip_row_outside", message=message))
    if answer.cut_off:
        handover = answer.end_ms if following is None or following.gap else following.start_ms
        reach = max(clip.reach_ms, answer.start_ms)
        rest = (
            f"{_span(reach, handover)} may be missing"
            if reach < handover
            else "the next clip covers the rest"
        )
        issues.append(Issue(code="clip_cut_off", message=f"{prefix}: output cut off; {rest}"))
    return issues


def _report(clip: _Clip, numbers: dict[int, int], keep: tuple[int, int]) -> ClipReport:
    return ClipReport(
        index=clip.answer.index,
        timecodes=clip.timecodes,
        voice_map={v: numbers[p] for v, p in sorted(clip.voices.items()) if p in numbers},
        kept=sum(clip.keep),
        outside=len(clip.outside),
        gap=clip.answer.gap,
        keep_start_ms=keep[0],
        keep_end_ms=keep[1],
    )


def _covered(clips: list[_Clip], ranges: list[tuple[int, int]]) -> int:
    """The end of the last settled clip's keep-range, or the frontier's last kept row if later."""
    settled = [end for clip, (_, end) in zip(clips, ranges, strict=True) if clip.answer.settled]
    covered = settled[-1] if settled else 0
    if clips and not clips[-1].answer.settled:
        covered = max([covered, *(row.at_ms for row in clips[-1].kept_rows)])
    return covered


def _events(clips: list[_Clip], ranges: list[tuple[int, int]]) -> list[Event] | None:
    """Rule 10: each clip's events in its keep range, one event per overlapping run of a kind."""
    if all(clip.answer.events is None for clip in clips):
        return None
    placed = []
    for clip, (keep_start, keep_end) in zip(clips, ranges, strict=True):
        if clip.timecodes is None:
            continue
        offset = 0 if clip.timecodes == "absolute" else clip.answer.start_ms
        for event in clip.answer.events or ():
            start = event.start_ms + offset
            if keep_start <= start < keep_end:
                end = None if event.end_ms is None else event.end_ms + offset
                end = None if end is None else min(end, clip.answer.end_ms)
                placed.append(Event(start_ms=start, end_ms=end, kind=event.kind))
    joined: list[Event] = []
    for event in sorted(placed, key=lambda e: (e.kind, e.start_ms)):
        last = joined[-1] if joined and joined[-1].kind == event.kind else None
        if last is None or event.start_ms > (last.end_ms or last.start_ms) + EVENT_JOIN_MS:
            joined.append(event)
            continue
        ends = [end for end in (last.end_ms, event.end_ms) if end is not None]
        joined[-1] = last.model_copy(update={"end_ms": max(ends, default=None)})
    return sorted(joined, key=lambda e: (e.start_ms, e.kind))


def _span(start_ms: int, end_ms: int) -> str:
    return f"{clock(start_ms)} to {clock(end_ms)}"
