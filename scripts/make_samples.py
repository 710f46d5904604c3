"""Regenerate the bundled sample media (samples/) and their authored stand-in responses.

    python scripts/make_samples.py                 # all samples
    python scripts/make_samples.py podcast         # some of them

Each sample is a script: speakers (name, company, position, role, and an espeak-ng voice with
its own pitch and speed) and dialogue lines. Every line is synthesised with espeak-ng, the lines
are laid on a timeline with short pauses (so each line's start is known exactly), mixed into one
track and encoded with ffmpeg; videos get a background per speaker and a lower-third name title
(ffmpeg drawtext) when a speaker first talks. The script then writes
standin/responses/<sample>.json: the transcript and speaker tables the model would answer
(functions.format.tables.render_output), the media's SHA-256 and its duration (ffprobe).

Deterministic: the same script and tools give the same text. Media bytes can differ between
ffmpeg or espeak-ng versions; the response is always written from the file just produced, so the
committed pair matches. Developers run this; CI only uses the committed files.

Needs (Debian): apt-get install espeak-ng ffmpeg fonts-dejavu-core. See docs/samples.md.
"""

from __future__ import annotations

import array
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.format.tables import render_output  # noqa: E402

SAMPLES = ROOT / "samples"
RESPONSES = ROOT / "standin" / "responses"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # fonts-dejavu-core
RATE = 22050  # espeak-ng output rate
LEAD_S, SAME_GAP_S, TURN_GAP_S, TAIL_S = 0.6, 0.25, 0.5, 1.0
TITLE_S = 4.5  # how long a lower third stays on screen


@dataclass(frozen=True)
class Person:
    voice: int
    name: str
    company: str | None
    position: str | None
    role: str
    espeak: str  # voice+variant
    pitch: int
    speed: int
    colour: str  # background of the speaker's shots (video)


@dataclass(frozen=True)
class Encoding:
    size: str | None  # None: audio only
    fps: int
    crf: int
    audio_rate: int
    audio_kbps: int


@dataclass(frozen=True)
class Sample:
    name: str
    file: str
    description: str
    people: tuple[Person, ...]
    lines: tuple[tuple[int, str], ...]  # (voice, text): one transcript segment each
    encoding: Encoding
    introductions: tuple[tuple[int, int], ...] = ()  # audio: (voice, line that names them)
    slides: tuple[tuple[int, str], ...] = ()  # video: (first line, title shown at the top)


def sentences(voice: int, paragraph: str) -> list[tuple[int, str]]:
    """One line per sentence of a paragraph."""
    return [(voice, s) for s in re.split(r"(?<=[.?!])\s+", " ".join(paragraph.split())) if s]


# --- interview ------------------------------------------------------------------------------

INTERVIEW_PEOPLE = (
    Person(1, "Daniel Price", "City Notes", "Host", "Interviewer", "en-gb+m3", 40, 160, "0x1f3a5f"),
    Person(
        2, "Marta Silva", "Rooftop Hives Cooperative", "Founder", "Interviewee",
        "en-us+f2", 65, 165, "0x5f3a1f",
    ),
)  # fmt: skip
INTERVIEW_LINES = (
    (1, "Welcome to City Notes. Today we are on a roof in the middle of town."),
    (1, "My guest keeps forty thousand bees up here."),
    (2, "Thanks, Daniel. Forty thousand on a quiet day, anyway."),
    (1, "Why put beehives on top of an office building?"),
    (2, "Because the city is full of flowers. Parks, balconies, street trees."),
    (2, "Bees fly three kilometres for food, so a roof is a perfect base."),
    (1, "Do the people working downstairs ever complain?"),
    (2, "At first, yes. Now they queue up for the honey every autumn."),
    (1, "How much honey does one roof produce?"),
    (2, "About sixty kilos in a good year. Every jar tastes a little different."),
    (1, "And what should a listener do if they want to start?"),
    (2, "Take a course, find a mentor, and plant something that flowers."),
    (1, "Marta Silva, thank you for showing us around."),
    (2, "My pleasure. Mind the bees on your way out."),
)

# --- podcast --------------------------------------------------------------------------------

PODCAST_PEOPLE = (
    Person(1, "Sam Okoro", "The Build Log", "Host", "Host", "en-us+m1", 45, 170, ""),
    Person(2, "Jordan Blake", "The Build Log", "Co-host", "Co-host", "en-gb+f4", 70, 160, ""),
    Person(
        3, "Lena Sorensen", "Northgate Engineering", "Structural Engineer", "Guest",
        "en-gb-scotland+m7", 30, 150, "",
    ),
)  # fmt: skip
PODCAST_LINES = (
    (1, "Hello and welcome to The Build Log. I'm Sam Okoro."),
    (1, "With me as always is my co-host, Jordan Blake."),
    (2, "Hi everyone. Today's episode is all about bridges."),
    (1, "And our guest is Lena Sorensen, a structural engineer at Northgate Engineering."),
    (3, "Thanks for having me. I could talk about bridges all day."),
    (2, "Lena, what is the first thing you check on an old bridge?"),
    (3, "The joints. Water gets in, freezes, and slowly pries the steel apart."),
    (1, "So winter is the real enemy?"),
    (3, "Winter and salt. Salt is the quiet killer of bridges."),
    (2, "That's a great place to stop. Thanks, Lena."),
)

# --- keynote --------------------------------------------------------------------------------

KEYNOTE_PEOPLE = (
    Person(
        1, "Tom Reyes", "Open Media Summit", "Conference Chair", "Moderator",
        "en-gb+m3", 38, 175, "0x203040",
    ),
    Person(
        2, "Dr. Amara Okafor", "Lumen Speech Systems", "Chief Scientist", "Keynote speaker",
        "en-us+f2", 62, 175, "0x233b2a",
    ),
    Person(3, "Priya Nair", "Harbour Daily", "Reporter", "Audience member",
           "en-gb+f4", 75, 175, "0x3b2340"),
    Person(4, "Lukas Brandt", "Fjord Robotics", "Engineer", "Audience member",
           "en-us+m7", 30, 170, "0x40302a"),
    Person(5, "Grace Lin", "City Film Archive", "Archivist", "Audience member",
           "en-us+f5", 55, 175, "0x2a3a40"),
)  # fmt: skip

ORDINALS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
# (slide title, lesson, summary, body)
LESSONS = (
    (
        "Bad audio",
        "the audio is never as good as you think",
        "plan for bad audio",
        """Every demo uses a studio microphone. Real recordings come from phones in pockets. They
        come from meeting rooms with humming air conditioners. They come from windy streets and
        echoing halls. Our first models were trained on clean speech. They fell apart in the first
        real meeting. So we collected the worst audio we could find. Crowded cafes, busy kitchens,
        and long car journeys. We mixed in noise on purpose during training. Accuracy on clean
        speech dropped a tiny bit. Accuracy on real speech improved enormously. We also stopped
        asking people to speak clearly. People never do, and they should not have to. Today, half of
        our training audio is deliberately awful. Our test sets are even worse. That is where the
        real users are.""",
    ),
    (
        "Who spoke",
        "who spoke matters as much as what was said",
        "never guess a name",
        """A transcript without speakers is a wall of words. Readers want to know who promised what.
        Separating voices sounds easy until people interrupt each other. And in real meetings,
        people interrupt all the time. We learned to label voices first, and names later. A voice
        label is just a number. One, two, three. Names come from evidence, not from guessing. When a
        system guesses a name wrongly, trust collapses. A wrong name is far worse than an unknown
        name. So our system says unknown more often than you might expect. Customers complained at
        first. Then they realised they could trust every name they saw. Trust is slow to build. It
        is very quick to lose. One wrong name in a court record is a disaster.""",
    ),
    (
        "Evidence",
        "names come from the screen and from the conversation",
        "keep the evidence",
        """Where does the evidence for a name come from? In video, it is often a title on the
        screen. Broadcasters call that a lower third. In audio, it is usually an introduction. The
        host says, my guest today is, and then a name. Sometimes people introduce themselves. We
        record the moment where the evidence appears. That timecode lets an editor check a name in
        seconds. Editors told us this was the feature they valued most. It turned a black box into
        something they could verify. It also made our own debugging much faster. When a name was
        wrong, we could see why at once. Usually the evidence was there, and we had misread it.
        Sometimes there was no evidence at all.""",
    ),
    (
        "Timecodes",
        "timecodes are a promise",
        "long media find the bugs that short media hide",
        """Every segment in a transcript has a start time. People use those times to cut video and
        to quote. If the times drift, every quote points to the wrong moment. We once shipped a bug
        that drifted one second per hour. Nobody noticed it in short clips. In a three hour hearing,
        the last quote was three seconds off. A journalist caught it. She was absolutely right to
        complain. We fixed it the same week. Now we test timecodes on long recordings every single
        day. The test takes an hour to run. It has caught four more bugs since then. Every one of
        them would have reached a customer.""",
    ),
    (
        "Long media",
        "long recordings are a different problem",
        "design for the longest file, not the average one",
        """A five minute clip fits comfortably in one request. A ten hour archive does not. Long
        recordings have to be cut into pieces. But every cut can split a sentence, or a speaker. So
        the pieces overlap a little, and we stitch them carefully. Voice labels must stay the same
        across the pieces. Speaker one in the first hour must still be speaker one at the end. That
        sounds simple. It took us two years to get right. Along the way we learned to save progress
        after every piece. A failure in hour nine should not cost you hours one to eight. Retries
        became cheap. Outages became boring. Boring is exactly what you want.""",
    ),
    (
        "Streaming",
        "show results while the work is still running",
        "stream early, and stream often",
        """Nobody likes staring at a spinning wheel for twenty minutes. Early on, our users waited
        for the whole transcript. Then we started streaming results as they arrived. The first lines
        appeared within seconds. Users began reading while the rest was still being written. Some
        started correcting names before the end. The total time was the same. But it felt twice as
        fast. A progress bar that moves is worth more than speed you cannot see. We now show a first
        line as fast as we possibly can. Everything else can follow. People forgive a long wait they
        can watch.""",
    ),
    (
        "Compact output",
        "compact output saves real money",
        "every character counts",
        """Models are billed by the token. Our early output format repeated every field name on
        every line. A large part of what we paid for was punctuation and labels. We switched to
        simple tables with one header row. Each line became one segment. Each segment was complete
        as soon as its line arrived. Our output costs fell by about a quarter. And a response cut
        off in the middle still kept every finished line. Simple formats are also easier to repair
        when something goes wrong. Models do make small formatting mistakes. A lenient reader fixes
        most of them. A strict format would have thrown the whole answer away.""",
    ),
    (
        "Metrics",
        "measure what your users care about",
        "measure the experience, not just the words",
        """Word error rate is the number everybody quotes. It is useful. But it is not the whole
        story. Users care whether the names are right. They care whether the quote they copy is
        exact. They care whether the times line up with the video. So we built tests for each of
        those things. Some of our biggest improvements barely moved the word error rate. They
        changed everything for the people using the product. Pick the three numbers your users would
        name. Put them on a dashboard. Look at it every morning.""",
    ),
    (
        "Privacy",
        "privacy is part of the product",
        "treat every recording as if it were your own",
        """Recordings are personal, even when they are public. Meetings contain salaries, health
        details, and family news. We delete the media as soon as the transcript is ready. We keep
        our logs free of what people actually said. Customers choose where their data lives. These
        choices cost us some convenience. They also won us our most careful customers. Hospitals,
        courts, and newsrooms trust us now. They did not trust us five years ago. Privacy was the
        reason they changed their minds.""",
    ),
    (
        "The last errors",
        "the hard part is the last few percent",
        "help people fix the last errors quickly",
        """Getting to ninety five percent accuracy took three years. Each percent after that took
        another year. The last errors are names, numbers, and jargon. They are also the errors
        people notice first. That is why human review still matters. Our tools now point reviewers
        to the doubtful parts. A reviewer checks ten lines, not a thousand. Review that used to take
        a day now takes a coffee break. The machine does the listening. The person makes the final
        call. That partnership is the real product.""",
    ),
)


def keynote() -> tuple[tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]:
    """The talk (lines) and its slides, from the lesson table and a few phrase templates."""
    lines = sentences(
        1,
        """Good morning, everyone, and welcome back to the Open Media Summit. I'm Tom Reyes, and I
        chair the programme this year. Our opening keynote needs very little introduction. She has
        spent ten years teaching machines to listen. Please welcome the chief scientist of Lumen
        Speech Systems, Doctor Amara Okafor.""",
    )
    lines += sentences(
        2,
        """Thank you, Tom, and good morning. It is lovely to see so many of you here. Ten years ago,
        my team transcribed its first hour of audio. It took a week, and the result was mostly
        wrong. Last year we transcribed about a million hours. Most of it was right, and the rest
        taught us a lot. Let me show you how we got there.""",
    )
    slides = [(0, "Open Media Summit"), (len(lines), "Ten years")]
    for year in range(1, 11):  # a slide of numbers, read out: about a million hours in year ten
        hours = float(f"{10 ** (2 * (year - 1) / 3):.2g}")
        amount = "exactly one hour" if year == 1 else f"{hours:,.0f} hours"
        error = round(40 / (1 + 0.45 * (year - 1)), 1)
        lines.append((2, f"In year {ORDINALS[year - 1]}, we transcribed {amount}."))
        lines.append((2, f"Our word error rate that year was {error:g} percent."))
    lines += sentences(
        2,
        """The curve looks smooth on a slide. It did not feel smooth at the time. Today I want to
        share ten lessons from that journey. Some are technical, and some are about people. None of
        them are secrets. We learned each one the hard way. Let's begin.""",
    )
    for number, (title, lesson, summary, body) in enumerate(LESSONS, start=1):
        slides.append((len(lines), f"{number}. {title}"))
        lines.append((2, f"Lesson {ORDINALS[number - 1]}: {lesson}."))
        lines += sentences(2, body)
        lines.append((2, f"So that is lesson {ORDINALS[number - 1]}: {summary}."))
    slides.append((len(lines), "Thank you"))
    lines += sentences(
        2,
        """Let me finish with where we are heading. Soon, every recording will be searchable by
        default. You will ask who said something, and when. And you will get an answer, with the
        evidence. The machines will listen. But people will still decide what matters. Thank you
        very much.""",
    )
    slides.append((len(lines), "Questions"))
    qa = [
        (1, "Thank you, Amara. We have a few minutes for questions. Please say who you are."),
        (3, "Hi, I'm Priya Nair, a reporter with the Harbour Daily."),
        (3, "How do you handle speakers who never say their name?"),
        (2, "Good question, Priya. We leave them unknown. The transcript still separates "
            "their voice. An editor can add the name later, and it applies everywhere."),
        (4, "Lukas Brandt, I build robots at Fjord Robotics. Does any of this work live?"),
        (2, "Partly. Streaming recognition is easy now. Naming speakers live is much harder, "
            "because the evidence may come later. We show a voice number first, and a name "
            "once we are sure."),
        (5, "Grace Lin, from the City Film Archive. What about old tapes with terrible sound?"),
        (2, "Those are my favourite. Old tapes are exactly why lesson one exists. Send us your "
            "worst recordings, and we will learn from them."),
        (1, "We are out of time, I'm afraid. Please join me in thanking Doctor Amara Okafor."),
    ]  # fmt: skip
    for voice, text in qa:
        lines += sentences(voice, text)
    return tuple(lines), tuple(slides)


KEYNOTE_LINES, KEYNOTE_SLIDES = keynote()

SAMPLES_BY_NAME = {
    s.name: s
    for s in (
        Sample(
            "interview",
            "interview.mp4",
            "Two-speaker video interview with lower-third name titles (synthetic speech).",
            INTERVIEW_PEOPLE,
            INTERVIEW_LINES,
            Encoding("320x180", fps=5, crf=30, audio_rate=22050, audio_kbps=32),
        ),
        Sample(
            "podcast",
            "podcast.m4a",
            "Three-voice audio podcast; the host introduces everyone by name (synthetic speech).",
            PODCAST_PEOPLE,
            PODCAST_LINES,
            Encoding(None, fps=0, crf=0, audio_rate=22050, audio_kbps=32),
            introductions=((1, 0), (2, 1), (3, 3)),
        ),
        Sample(
            "keynote",
            "keynote.mp4",
            "Ten-minute keynote with slides, lower thirds and a Q&A (synthetic speech).",
            KEYNOTE_PEOPLE,
            KEYNOTE_LINES,
            Encoding("160x90", fps=2, crf=32, audio_rate=16000, audio_kbps=16),
            slides=KEYNOTE_SLIDES,
        ),
    )
}


# --- audio ----------------------------------------------------------------------------------


def synthesise(person: Person, text: str, path: Path) -> array.array[int]:
    """One line as 16-bit mono samples at RATE, leading and trailing silence trimmed."""
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            person.espeak,
            "-p",
            str(person.pitch),
            "-s",
            str(person.speed),
            "-w",
            str(path),
            text,
        ],
        check=True,
    )
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2)
        samples = array.array("h", w.readframes(w.getnframes()))
    loud = [i for i, x in enumerate(samples) if abs(x) > 300]
    margin = RATE // 50
    return samples[max(0, loud[0] - margin) : loud[-1] + margin] if loud else samples


def mix(sample: Sample, work: Path) -> tuple[list[int], float]:
    """Write work/mix.wav; return each line's start (ms) and the track length (s)."""
    people = {p.voice: p for p in sample.people}
    track = array.array("h", bytes(int(LEAD_S * RATE) * 2))
    starts = []
    previous = None
    for index, (voice, text) in enumerate(sample.lines):
        if previous is not None:
            gap = SAME_GAP_S if voice == previous else TURN_GAP_S
            track.extend(array.array("h", bytes(int(gap * RATE) * 2)))
        starts.append(len(track) * 1000 // RATE)
        track.extend(synthesise(people[voice], text, work / f"line{index}.wav"))
        previous = voice
    track.extend(array.array("h", bytes(int(TAIL_S * RATE) * 2)))
    with wave.open(str(work / "mix.wav"), "wb") as w:
        w.setparams((1, 2, RATE, 0, "NONE", "not compressed"))
        w.writeframes(track.tobytes())
    return starts, len(track) / RATE


# --- video ----------------------------------------------------------------------------------


def video_filters(sample: Sample, starts: list[int], length: float, work: Path) -> str:
    """The drawbox/drawtext chain: speaker shots, a figure, slide titles and lower thirds."""
    people = {p.voice: p for p in sample.people}
    ends = [s / 1000 for s in starts[1:]] + [length]
    filters = []
    shot_start = 0
    for i, (voice, _) in enumerate(sample.lines):  # a shot: a run of lines by one speaker
        if i + 1 < len(sample.lines) and sample.lines[i + 1][0] == voice:
            continue
        begin = 0.0 if shot_start == 0 else starts[shot_start] / 1000
        when = f"enable='between(t,{begin:.3f},{ends[i]:.3f})'"
        colour = people[voice].colour
        filters += [
            f"drawbox=x=0:y=0:w=iw:h=ih:color={colour}:t=fill:{when}",
            f"drawbox=x=iw*0.42:y=ih*0.22:w=iw*0.16:h=iw*0.16:color=0xd8b89a:t=fill:{when}",
            f"drawbox=x=iw*0.32:y=ih*0.22+iw*0.18:w=iw*0.36:h=ih:color=0x101418:t=fill:{when}",
        ]
        shot_start = i + 1

    def text(name: str, value: str, size: str, x: str, y: str, begin: float, end: float) -> str:
        (work / name).write_text(value, "utf-8")
        return (
            f"drawtext=fontfile={FONT}:textfile={work / name}:expansion=none:fontcolor=white"
            f":fontsize={size}:x={x}:y={y}:enable='between(t,{begin:.3f},{end:.3f})'"
        )

    bounds = [*(starts[line] / 1000 for line, _ in sample.slides[1:]), length][: len(sample.slides)]
    for n, ((line, title), end) in enumerate(zip(sample.slides, bounds, strict=True)):
        begin = 0.0 if n == 0 else starts[line] / 1000
        filters.append(text(f"slide{n}.txt", title, "h/9", "(w-tw)/2", "h/20", begin, end))
    for person in sample.people:
        first = next(i for i, (voice, _) in enumerate(sample.lines) if voice == person.voice)
        begin, end = starts[first] / 1000, starts[first] / 1000 + TITLE_S
        details = ", ".join(x for x in (person.position, person.company) if x)
        filters += [
            f"drawbox=x=0:y=ih*0.68:w=iw:h=ih*0.26:color=black@0.7:t=fill"
            f":enable='between(t,{begin:.3f},{end:.3f})'",
            text(f"name{person.voice}.txt", person.name, "h/11", "w/25", "h*0.7", begin, end),
            text(f"role{person.voice}.txt", details, "h/16", "w/25", "h*0.82", begin, end),
        ]
    return ",\n".join(filters)


# --- encoding and the response --------------------------------------------------------------


def encode(sample: Sample, starts: list[int], length: float, work: Path, out: Path) -> None:
    enc = sample.encoding
    audio = ["-c:a", "aac", "-b:a", f"{enc.audio_kbps}k", "-ac", "1", "-ar", str(enc.audio_rate)]
    common = ["-fflags", "+bitexact", "-map_metadata", "-1", "-movflags", "+faststart"]
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    if enc.size is None:
        command += ["-i", str(work / "mix.wav"), *audio, *common, str(out)]
    else:
        (work / "graph.txt").write_text(
            f"[0:v]{video_filters(sample, starts, length, work)}[v]", "utf-8"
        )
        source = f"color=c=black:s={enc.size}:r={enc.fps}:d={length:.3f}"
        command += ["-f", "lavfi", "-i", source, "-i", str(work / "mix.wav")]
        command += ["-filter_complex_script", str(work / "graph.txt"), "-map", "[v]", "-map", "1:a"]
        command += ["-c:v", "libx264", "-preset", "veryslow", "-crf", str(enc.crf), "-tune"]
        command += ["stillimage", "-pix_fmt", "yuv420p", "-g", str(enc.fps * 10)]
        command += ["-flags:v", "+bitexact", *audio, "-flags:a", "+bitexact", "-shortest"]
        command += [*common, str(out)]
    subprocess.run(command, check=True)


def duration_of(path: Path) -> float:
    probe = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"]
    return round(float(subprocess.run([*probe, str(path)], capture_output=True, check=True,
                                      text=True).stdout), 3)  # fmt: skip


def make(sample: Sample) -> dict[str, object]:
    out = SAMPLES / sample.file
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        starts, length = mix(sample, work)
        encode(sample, starts, length, work, out)
    evidence = {}
    for person in sample.people:
        first = next(i for i, (voice, _) in enumerate(sample.lines) if voice == person.voice)
        evidence[person.voice] = first  # the lower third appears when they first talk
    evidence.update(dict(sample.introductions))
    text = render_output(
        [(start, voice, line) for start, (voice, line) in zip(starts, sample.lines, strict=True)],
        [
            (p.voice, p.name, p.company, p.position, p.role, starts[evidence[p.voice]])
            for p in sample.people
        ],
    )
    response = {
        "name": sample.name,
        "description": sample.description + " See docs/samples.md.",
        "media": f"../samples/{sample.file}",
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "duration_s": duration_of(out),
        "has_video": sample.encoding.size is not None,
        "text": text,
    }
    path = RESPONSES / f"{sample.name}.json"
    path.write_text(json.dumps(response, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return response


def main(names: list[str]) -> None:
    SAMPLES.mkdir(exist_ok=True)
    for name in names or list(SAMPLES_BY_NAME):
        response = make(SAMPLES_BY_NAME[name])
        size = (SAMPLES / SAMPLES_BY_NAME[name].file).stat().st_size
        lines = len(SAMPLES_BY_NAME[name].lines)
        print(f"{name}: {response['duration_s']} s, {size:,} bytes, {lines} segments")


if __name__ == "__main__":
    main(sys.argv[1:])
