"""Regenerate the bundled sample media (samples/) and their authored stand-in responses.

    python scripts/make_samples.py                 # all samples
    python scripts/make_samples.py podcast         # some of them

Each sample is a script: speakers (name, company, position, role, and an espeak-ng voice with
its own pitch and speed) and dialogue lines. Every line is synthesised with espeak-ng, the lines
are laid on a timeline with short pauses (so each line's start is known exactly), mixed into one
track and encoded with ffmpeg; videos get a background per speaker and a lower-third name title
(ffmpeg drawtext) when a speaker first talks. The script then writes
standin/responses/<sample>.json: the transcript rows and the speakers the model would answer
(starts to the second, as MM:SS timecodes give them), the media's SHA-256 and its duration
(ffprobe); the stand-in writes them out in the compact format itself. What is written by hand in
a response (`events`, `translations`, `chapters`, `summary`: HAND_WRITTEN) is kept.

Deterministic: the same script and tools give the same text. Media bytes can differ between
ffmpeg or espeak-ng versions; the response is always written from the file just produced, so the
committed pair matches. Developers run this; CI only uses the committed files.

Needs (Debian): apt-get install espeak-ng ffmpeg fonts-dejavu-core. See docs/samples.md.
"""

from __future__ import annotations

import array
import hashlib
import itertools
import json
import re
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.core.settings import Settings  # noqa: E402
from functions.transcribe.clips import ClipRange, plan_for  # noqa: E402

SAMPLES = ROOT / "samples"
RESPONSES = ROOT / "standin" / "responses"
HAND_WRITTEN = ("events", "translations", "chapters", "summary")  # kept when a response is redone
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # fonts-dejavu-core
RATE = 22050  # espeak-ng output rate
LEAD_S, SAME_GAP_S, TURN_GAP_S, TAIL_S = 0.6, 0.25, 0.5, 1.0
TITLE_S = 4.5  # how long a lower third stays on screen
MIN_GAP_S = 1.0  # long samples: the shortest pause between two lines


@dataclass(frozen=True)
class Person:
    voice: int
    name: str | None  # None: never named (`?` in the speaker table)
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
    opus: bool = False  # Opus (in Ogg, or with VP9 in WebM) instead of AAC (with H.264 in MP4)
    titles: bool = True  # video: lower thirds (too small to read at a tiny resolution)


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
    length_s: float | None = None  # long samples: the lines spread over this length (`spread`)
    hidden: int | None = None  # long samples: the unnamed voice kept out of clip overlaps


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

# --- conference (long video) ----------------------------------------------------------------

ESPEAK_BASES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc",
                "en-gb-x-gbclan", "en-gb-x-gbcwmd")  # fmt: skip
ESPEAK_VARIANTS = ("m1", "f2", "m3", "f4", "m7", "f1", "m2", "f5", "m4", "f3", "m6", "m5")


def crowd(first_voice: int, role: str, people: tuple[tuple[str, str, str], ...]) -> list[Person]:
    """Named people (name, company, position) with voices spread over espeak-ng's accents,
    variants and pitches, so that neighbours sound different."""
    return [
        Person(
            first_voice + n, name, company, position, role,
            f"{ESPEAK_BASES[n % 8]}+{ESPEAK_VARIANTS[(n * 5) % 12]}",
            25 + (n * 17) % 60, 160 + (n * 7) % 30, f"0x{0x30 + (n * 29) % 80:02x}3040",
        )
        for n, (name, company, position) in enumerate(people)
    ]  # fmt: skip


CONFERENCE_PEOPLE = (
    Person(1, "Helen Marsh", "Open Archives Forum", "Programme Chair", "Chair",
           "en-gb-x-rp+f2", 60, 170, "0x203040"),
    Person(2, "Dr. Kofi Mensah", "Riverside University", "Professor of Acoustics", "Speaker",
           "en-029+m3", 35, 165, "0x233b2a"),
    Person(3, "Ingrid Holm", "Nordlys Broadcasting", "Head of Archives", "Speaker",
           "en-gb-scotland+f4", 70, 170, "0x3b2340"),
    Person(4, "Rafael Duarte", "Sounding Board Labs", "Chief Technology Officer", "Speaker",
           "en-us+m7", 30, 175, "0x40302a"),
    Person(5, None, None, None, "Stage manager", "en-us-nyc+m2", 45, 180, "0x101010"),
    *crowd(6, "Audience member", (
        ("Priya Nair", "Harbour Daily", "Reporter"),
        ("Lukas Brandt", "Fjord Robotics", "Engineer"),
        ("Grace Lin", "City Film Archive", "Archivist"),
        ("Omar Haddad", "Cedar Records", "Sound Engineer"),
        ("Yuki Tanaka", "Kestrel Museum", "Curator"),
        ("Elena Petrova", "Danube Radio", "Producer"),
        ("Samuel Osei", "Accra Media Lab", "Researcher"),
        ("Chloe Martin", "Lyon Library", "Librarian"),
        ("Diego Alvarez", "Pampas Television", "Editor"),
        ("Hannah Weiss", "Alpine Studios", "Director"),
        ("Arjun Mehta", "Monsoon Software", "Developer"),
        ("Fatima Zahra", "Atlas University", "Lecturer"),
        ("Niall Byrne", "Liffey Podcasts", "Host"),
        ("Sofia Rossi", "Tiber Press", "Journalist"),
        ("Mateus Costa", "Lisbon Film School", "Teacher"),
        ("Aisha Bello", "Niger Delta Archive", "Conservator"),
        ("Tom Becker", "Rhine Broadcasting", "Engineer"),
        ("Mei Chen", "Pearl River Studios", "Producer"),
        ("Jonas Berg", "Baltic Sound", "Technician"),
        ("Laura Kim", "Han River Media", "Analyst"),
        ("Pedro Santos", "Amazonia Radio", "Presenter"),
        ("Ingrid Olsen", "Fjell Archive", "Archivist"),
        ("Victor Dubois", "Seine Records", "Founder"),
        ("Nadia Karim", "Nile Institute", "Historian"),
        ("Ben Carter", "Thames Transcripts", "Manager"),
        ("Rosa Flores", "Andes Heritage Trust", "Director"),
    )),
)  # fmt: skip
CONFERENCE_HIDDEN = 5  # the stage manager: never named, never inside a clip overlap
CONFERENCE_HIDDEN_LINES = (
    "Sorry to interrupt. Could the owner of a blue van by the loading bay please move it?",
    "Microphone check. One, two. Thank you, carry on.",
    "Five minutes left for this session, please.",
    "A quick reminder: lunch is served in the east hall.",
    "Would the last rows please switch off their phones? Thank you.",
    "The lift on the left is out of order. Please use the stairs.",
)

# (speaker voice, talk title, [(topic, claim, example, lesson)])
CONFERENCE_TALKS = (
    (
        2,
        "Listening to old tape",
        (
            (
                "magnetic tape",
                "Tape remembers more than we think",
                "a reel from nineteen sixty two still held a clear interview",
                "never throw away a reel before you play it",
            ),
            (
                "hiss",
                "Hiss is not the enemy of speech",
                "removing all hiss also removed the consonants",
                "clean gently, and keep the original",
            ),
            (
                "speed",
                "Old machines ran at the wrong speed",
                "a mayor's speech sounded like a cartoon until we slowed it down",
                "measure the speed before you transcribe",
            ),
            (
                "mould",
                "Mould eats the oxide layer",
                "we baked a reel for eight hours to save it",
                "store tape cool and dry",
            ),
            (
                "splices",
                "Every splice hides a decision",
                "an editor had cut a whole question from a famous interview",
                "document every cut you find",
            ),
            (
                "labels",
                "Labels lie more often than tape does",
                "a box marked choir held a council meeting",
                "trust the sound, not the box",
            ),
            (
                "copies",
                "A copy of a copy loses a little each time",
                "the fifth generation copy had lost every name",
                "go back to the oldest copy",
            ),
            (
                "time",
                "Time is running out for magnetic media",
                "half of our reels will be unplayable in twenty years",
                "digitise the rarest tapes first",
            ),
        ),
    ),
    (
        3,
        "Ten thousand hours of radio",
        (
            (
                "scale",
                "Ten thousand hours is a lot of listening",
                "one person would need five years to hear it all",
                "let machines do the first pass",
            ),
            (
                "presenters",
                "Presenters rarely say their own name",
                "a host of thirty years named himself only on his last show",
                "look for names in the credits and the letters",
            ),
            (
                "guests",
                "Guests are introduced once and then forgotten",
                "a minister spoke for an hour after a single introduction",
                "keep the evidence of every introduction",
            ),
            (
                "music",
                "Music is most of the archive",
                "our speech detector counted songs as conversation",
                "separate music before you transcribe",
            ),
            (
                "phone calls",
                "Listeners on the phone are the hardest audio",
                "callers in the seventies sound like they are underwater",
                "accept lower accuracy for callers",
            ),
            (
                "dialects",
                "Our archive speaks nine dialects",
                "the system wrote a fishing village's words as nonsense",
                "train on your own voices",
            ),
            (
                "privacy",
                "Old broadcasts name private people",
                "a caller from nineteen eighty asked us to remove her name",
                "have a clear takedown process",
            ),
            (
                "access",
                "Nobody can search what nobody can find",
                "our first public search had twelve users a day",
                "put the transcripts next to the sound",
            ),
        ),
    ),
    (
        4,
        "Search that listens",
        (
            (
                "queries",
                "People search for who said it, not for words",
                "most queries named a person and a topic",
                "index speakers as well as words",
            ),
            (
                "voices",
                "The same voice must keep the same number",
                "one host became three speakers in a long recording",
                "match voices across the whole file",
            ),
            (
                "long files",
                "Long files must be cut into pieces",
                "a ten hour hearing did not fit in one request",
                "let the pieces overlap a little",
            ),
            (
                "overlaps",
                "Overlaps let you stitch the pieces together",
                "the same sentence appears at the end of one piece and the start of the next",
                "use the overlap to match the voices",
            ),
            (
                "silence",
                "Some voices never speak in an overlap",
                "a stage manager spoke three times, always in the middle of a piece",
                "keep such voices apart rather than guess",
            ),
            (
                "names",
                "A name found once applies everywhere",
                "the chair named a speaker at the start, and the name followed her all day",
                "carry names through the matched voices",
            ),
            (
                "speed",
                "Users want the first page in seconds",
                "parallel pieces turned forty minutes into three",
                "work on the pieces at the same time",
            ),
            (
                "trust",
                "Every result needs its evidence",
                "editors clicked the evidence link more than any other button",
                "show where each name came from",
            ),
        ),
    ),
)
CONFERENCE_QUESTIONS = (  # (question, first answer, second answer), asked in turn by the audience
    (
        "How do you decide which tapes to save first?",
        "We look at how rare the recording is.",
        "And at how fast the tape is falling apart.",
    ),
    (
        "Do you ever restore a voice that is completely lost?",
        "No. We only recover what is still on the tape.",
        "Inventing speech would break trust.",
    ),
    (
        "What equipment do you need to start?",
        "A good tape machine, a clean room, and patience.",
        "The software is the easy part.",
    ),
    (
        "Can students help with this work?",
        "Yes, and they are wonderful at it.",
        "Half of our team started as students.",
    ),
    (
        "How long does one reel take?",
        "About three hours, from cleaning to a checked transcript.",
        "Badly damaged reels take days.",
    ),
    (
        "Do you share your recordings with other archives?",
        "Always, when the rights allow it.",
        "Sharing is how tapes survive.",
    ),
    (
        "What was your most surprising find?",
        "A lost radio play from nineteen fifty five.",
        "The author's family cried when they heard it.",
    ),
    (
        "How do you handle presenters who never say their name?",
        "We search the programme listings of the time.",
        "When we find nothing, the name stays unknown.",
    ),
    (
        "Is music a problem for the transcription?",
        "It was, until we separated it first.",
        "Now the speech system only hears speech.",
    ),
    (
        "What accuracy do you get on phone callers?",
        "About eighty percent on old calls.",
        "Good enough to search, not to quote.",
    ),
    (
        "How do you treat dialect words?",
        "We keep the speaker's own words.",
        "A glossary explains them to readers.",
    ),
    (
        "Who decides what is private?",
        "A small panel, with a lawyer on it.",
        "We remove names when people ask us to.",
    ),
    (
        "How many people use the public search now?",
        "About four thousand a day.",
        "Teachers are our biggest group.",
    ),
    (
        "Would you do anything differently?",
        "I would start with the search, not the scanning.",
        "Users tell you what matters.",
    ),
    (
        "How do you keep voice numbers consistent?",
        "We match voices in the overlaps between pieces.",
        "Then we renumber them for the whole file.",
    ),
    (
        "What if a voice never appears in an overlap?",
        "Then we keep it as its own voice.",
        "Guessing would merge two people.",
    ),
    (
        "How big should the overlap be?",
        "Twenty seconds works well for us.",
        "Long enough for a sentence or two.",
    ),
    (
        "Does cutting a file cost more money?",
        "A little, because the overlaps are counted twice.",
        "About three percent more.",
    ),
    (
        "How fast is the first page?",
        "Usually under a minute.",
        "The first piece is often back first.",
    ),
    (
        "Do names ever go wrong?",
        "Rarely, and only when the evidence was wrong.",
        "That is why we show the evidence.",
    ),
    (
        "Can the system work live?",
        "Not yet for names.",
        "Live voices get numbers first, names later.",
    ),
    (
        "What will you build next?",
        "Search across many archives at once.",
        "One question, every archive.",
    ),
    (
        "Will the panel share their slides?",
        "Yes, all three talks will be online tonight.",
        "With the transcripts, of course.",
    ),
    (
        "What should a small archive do tomorrow?",
        "Count your tapes and check their condition.",
        "Then call one of us.",
    ),
    (
        "Is there funding for this work?",
        "Some, from foundations and universities.",
        "Never enough, but it is growing.",
    ),
    (
        "What is the one thing we should remember?",
        "Keep the evidence.",
        "Everything else can be fixed later.",
    ),
)


def conference() -> tuple[tuple[int, str], ...]:
    """The session: the chair opens, three talks each with questions, a panel, the close; the
    stage manager's interjections are placed by the timeline (`spread`)."""
    lines: list[tuple[int, str]] = sentences(
        1,
        """Good morning and welcome to the Open Archives
        Forum. I'm Helen Marsh, and I chair the programme this year. We have three talks this
        morning, questions after each one, and a panel at the end. Please say your name when you
        ask a question.""",
    )
    audience = iter(range(6, 6 + len(CONFERENCE_QUESTIONS)))
    questions = iter(CONFERENCE_QUESTIONS)
    people = {p.voice: p for p in CONFERENCE_PEOPLE}
    for n, (voice, title, points) in enumerate(CONFERENCE_TALKS):
        speaker = people[voice]
        lines.append((1, f"Our {ORDINALS[n]} speaker is {speaker.name}, {speaker.position} at "
                         f"{speaker.company}. The talk is called {title}."))  # fmt: skip
        lines.append((voice, f"Thank you, Helen. Good morning, everyone. I'm {speaker.name}."))
        for k, (topic, claim, example, lesson) in enumerate(points):
            lines += [(voice, f"Point {ORDINALS[k]}: {topic}."), (voice, f"{claim}.")]
            lines += [(voice, f"For example, {example}."), (voice, f"The lesson: {lesson}.")]
        lines.append((voice, "That is all from me. Thank you for listening."))
        lines.append((1, "Thank you. We have time for some questions."))
        lines += qa_round(people, voice, audience, questions, 7)
    lines.append((1, "Let me invite all three speakers back for the panel."))
    lines += qa_round(people, 0, audience, questions, len(CONFERENCE_QUESTIONS) - 21)
    lines += sentences(
        1,
        """That brings our morning to a close. Thank you to our speakers, and
        to all of you for your questions. Lunch is served in the east hall.""",
    )
    return tuple(lines) + tuple((CONFERENCE_HIDDEN, text) for text in CONFERENCE_HIDDEN_LINES)


def qa_round(
    people: dict[int, Person],
    speaker: int,
    audience: Iterator[int],
    questions: Iterator[tuple[str, str, str]],
    count: int,
) -> list[tuple[int, str]]:
    """`count` audience members each give their name and ask; `speaker` answers (0: the three
    speakers of the panel in turn)."""
    lines = []
    for k in range(count):
        asker = people[next(audience)]
        question, answer, more = next(questions)
        who = speaker or (2, 3, 4)[k % 3]
        lines += [(1, "Yes, the person in the middle." if k % 2 else "Over there, on the left.")]
        lines += [(asker.voice, f"Hello, I'm {asker.name}, {asker.position} at {asker.company}.")]
        lines += [(asker.voice, question), (who, answer), (who, more)]
    return lines


# --- radio marathon (long audio) ------------------------------------------------------------

RADIO_PEOPLE = (
    Person(1, "Maggie Doyle", "Harbour FM", "Presenter", "Host", "en-gb+f2", 65, 170, ""),
    Person(2, "Ben Achebe", "Harbour FM", "Presenter", "Co-host", "en-us+m3", 40, 170, ""),
    Person(3, "Oliver Grant", "Harbour FM", "Newsreader", "Newsreader",
           "en-gb-x-rp+m7", 30, 160, ""),
    Person(4, None, None, None, "Station announcer", "en-us-nyc+m1", 50, 175, ""),
    *crowd(5, "Caller", (
        ("Sofia Marquez", "Westbridge General Hospital", "Nurse"),
        ("Dev Patel", "Patel's Bakery", "Baker"),
        ("Ruth Adams", "Eastfield Primary School", "Teacher"),
        ("Karl Jensen", "Jensen Boatyard", "Boat Builder"),
        ("Amina Yusuf", "Harbour Council", "Planning Officer"),
        ("George Walsh", "Walsh and Sons", "Plumber"),
        ("Li Wei", "Quayside Clinic", "Dentist"),
        ("Helga Brandt", "Northpoint Library", "Librarian"),
        ("Marcus Reid", "Harbour Fire Station", "Firefighter"),
        ("Olivia Turner", "Turner Florists", "Florist"),
        ("Jamal Hassan", "City Buses", "Driver"),
        ("Erin Murphy", "Seaview Care Home", "Care Worker"),
        ("Paolo Ricci", "Ricci's Cafe", "Owner"),
        ("Hana Novak", "Harbour University", "Student"),
        ("Frank Osei", "Dockside Garage", "Mechanic"),
        ("Ivy Chen", "Lantern Theatre", "Actor"),
        ("Sean O'Brien", "Harbour Rowing Club", "Coach"),
        ("Maria Lopez", "Sunrise Pharmacy", "Pharmacist"),
        ("Tariq Aziz", "Aziz Electrics", "Electrician"),
        ("Nora Lindqvist", "Harbour Orchestra", "Violinist"),
        ("Peter Kowalski", "Kowalski Builders", "Builder"),
        ("Grace Mwangi", "Harbour Food Bank", "Volunteer"),
        ("Luca Moretti", "Moretti Ice Cream", "Owner"),
        ("Anna Schmidt", "Harbour Vets", "Vet"),
        ("Rahul Singh", "Harbour Cricket Club", "Captain"),
        ("Claire Dubois", "French Lessons at Home", "Tutor"),
        ("Kwame Mensah", "Harbour Post Office", "Postman"),
        ("Julia Novak", "Bright Smile Nursery", "Manager"),
        ("Henry Clarke", "Harbour Pier Trust", "Chairman"),
        ("Yara Haddad", "Harbour Dance School", "Dancer"),
    )),
)  # fmt: skip
RADIO_HIDDEN = 4  # the station announcer: never named, never inside a clip overlap
RADIO_HIDDEN_LINES = (
    "You're listening to Harbour FM, ninety eight point four. The night appeal continues.",
    "Harbour FM. Your station, all night long.",
    "This is Harbour FM. Lines are open, and every pound helps.",
    "Harbour FM, ninety eight point four. Stay with us.",
    "You're listening to the Harbour FM night appeal.",
    "Harbour FM. Music, news and the night appeal.",
    "This is Harbour FM. The phones are open until six.",
)
RADIO_SONGS = (  # (song, artist): played between the talk (silence in the file)
    ("Blue Harbour", "The Tidewaters"), ("Night Shift", "Marla Jones"),
    ("Lighthouse", "Northern Lines"), ("Paper Boats", "Ada and the Anchors"),
    ("Slow Tide", "The Quayside Band"), ("Gulls", "Finn Carver"),
    ("Moonlit Pier", "Sunday Harbour"), ("Rope and Sail", "The Deckhands"),
    ("Fog Horn Blues", "Lily Marsh"), ("Last Ferry", "The Crossings"),
    ("Salt Air", "Jonah Reed"), ("Harbour Lights", "The Moorings"),
    ("Morning Catch", "Tess Grey"), ("Anchor Down", "The Boatmen"),
    ("Sea Glass", "Iris Vale"), ("Coming Home", "The Harbour Choir"),
)  # fmt: skip
RADIO_NEWS = (  # three bulletins of three headlines
    ("The council has approved a new footbridge over the river.",
     "Fishing boats stayed in port today because of high winds.",
     "The harbour museum will open late on Fridays this summer."),
    ("Firefighters rescued a dog from the old quarry this evening.",
     "The city buses will run all night during the festival.",
     "Harbour United won their match three goals to one."),
    ("Volunteers planted two hundred trees along the coast road.",
     "The ferry timetable changes from Monday.",
     "Tomorrow will be dry, with sunshine by the afternoon."),
)  # fmt: skip
RADIO_REASONS = (
    "the food bank helped my neighbour last winter",
    "my mum spent a month at the hospice",
    "the night shelter kept my cousin safe",
    "our street does a collection every year",
    "I listen to you every night on my shift",
    "the children at school asked me to",
)


def radio() -> tuple[tuple[int, str], ...]:
    """Three hours of the night appeal: an opening, then per hour news, callers who give their
    names and pledge, songs (silence in the file) and the running total; the station announcer's
    idents are placed by the timeline (`spread`)."""
    lines: list[tuple[int, str]] = [
        (1, "Good evening, this is the Harbour FM night appeal. I'm Maggie Doyle."),
        (2, "And I'm Ben Achebe. We're here until six in the morning, raising money for the "
            "harbour food bank and the night shelter."),
    ]  # fmt: skip
    people = {p.voice: p for p in RADIO_PEOPLE}
    callers = iter(range(5, len(RADIO_PEOPLE) + 1))
    songs = itertools.cycle(RADIO_SONGS)
    total = 0
    for hour in range(3):
        host = 1 + hour % 2
        lines.append((host, "Time for the news. Here's Oliver Grant."))
        lines.append((3, "Thank you. This is Oliver Grant with the Harbour FM news."))
        lines += [(3, headline) for headline in RADIO_NEWS[hour]]
        lines.append((3, "That's the news. Back to the night appeal."))
        for call in range(10):
            caller = people[next(callers)]
            amount = 10 * (1 + (hour * 10 + call) * 7 % 10)
            total += amount
            host = 1 + (hour + call) % 2
            lines += [
                (host, "We have a caller on line one. Hello, you're on Harbour FM."),
                (caller.voice, f"Hi, I'm {caller.name}. I'm a {caller.position.lower()} at "
                               f"{caller.company}."),  # type: ignore[union-attr]
                (caller.voice, f"I'd like to pledge {amount} pounds, because "
                               f"{RADIO_REASONS[(hour + call) % len(RADIO_REASONS)]}."),
                (host, f"Thank you, {caller.name.split()[0]}. That takes us to {total:,} pounds."),  # type: ignore[union-attr]
            ]  # fmt: skip
            song, artist = next(songs)
            lines.append((3 - host, f"Here's {song} by {artist}."))
            lines.append((3 - host, f"That was {song}. The phones are still ringing."))
    lines += [
        (1, f"We've reached {total:,} pounds. Thank you, everyone who called."),
        (2, "Stay with us. The night appeal goes on until six."),
    ]
    return tuple(lines) + tuple((RADIO_HIDDEN, text) for text in RADIO_HIDDEN_LINES)


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
        Sample(
            "conference",
            "conference.webm",
            "Hundred-minute conference session: a chair, three talks with questions from 26 named "
            "audience members, a panel, and an unnamed stage manager (synthetic speech).",
            CONFERENCE_PEOPLE,
            conference(),
            Encoding(
                "64x36", fps=1, crf=50, audio_rate=16000, audio_kbps=6, opus=True, titles=False
            ),
            length_s=6000.0,
            hidden=CONFERENCE_HIDDEN,
        ),
        Sample(
            "radio",
            "radio.ogg",
            "Three-hour radio night appeal: two hosts, a newsreader, 30 named callers, songs "
            "(silence) and an unnamed station announcer (synthetic speech).",
            RADIO_PEOPLE,
            radio(),
            Encoding(None, fps=0, crf=0, audio_rate=16000, audio_kbps=6, opus=True),
            length_s=10800.0,
            hidden=RADIO_HIDDEN,
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


def mix(sample: Sample, work: Path) -> tuple[list[int], list[int], float]:
    """Write work/mix.wav; return each line's start and end (ms) and the track length (s)."""
    people = {p.voice: p for p in sample.people}
    clips = [
        synthesise(people[voice], text, work / f"line{index}.wav")
        for index, (voice, text) in enumerate(sample.lines)
    ]
    lengths = [len(clip) for clip in clips]
    offsets, total = spread(sample, lengths) if sample.length_s else in_turn(sample, lengths)
    with wave.open(str(work / "mix.wav"), "wb") as w:
        w.setparams((1, 2, RATE, 0, "NONE", "not compressed"))
        written = 0
        for offset, clip in sorted(zip(offsets, clips, strict=True), key=lambda pair: pair[0]):
            write_silence(w, offset - written)
            w.writeframes(clip.tobytes())
            written = offset + len(clip)
        write_silence(w, total - written)
    starts = [offset * 1000 // RATE for offset in offsets]
    ends = [(offset + n) * 1000 // RATE for offset, n in zip(offsets, lengths, strict=True)]
    return starts, ends, total / RATE


def write_silence(w: wave.Wave_write, frames: int) -> None:
    for chunk in range(0, frames, RATE * 60):
        w.writeframes(bytes(min(RATE * 60, frames - chunk) * 2))


def in_turn(sample: Sample, lengths: list[int]) -> tuple[list[int], int]:
    """Lines one after the other (0.6 s lead-in, short pauses, 1 s at the end): (offsets in
    frames, total frames)."""
    position = int(LEAD_S * RATE)
    offsets = []
    previous = None
    for (voice, _), length in zip(sample.lines, lengths, strict=True):
        if previous is not None:
            position += int((SAME_GAP_S if voice == previous else TURN_GAP_S) * RATE)
        offsets.append(position)
        position += length
        previous = voice
    return offsets, position + int(TAIL_S * RATE)


def default_clips(duration_s: float) -> list[ClipRange]:
    """The clip plan of the product's default settings."""
    return plan_for(duration_s, Settings.model_construct())


def overlaps_of(clips: list[ClipRange]) -> list[tuple[float, float]]:
    """(start, end) seconds that two consecutive clips share."""
    return [(later.start_s, earlier.end_s) for earlier, later in itertools.pairwise(clips)]


def spread(sample: Sample, lengths: list[int]) -> tuple[list[int], int]:
    """A long sample's timeline: the hidden voice's lines in the middle of clips spread over the
    plan; the others in order with varied pauses that fill `length_s`, one starting inside each
    clip overlap so that voices can be matched across clips. (offsets, total) in frames."""
    assert sample.length_s is not None
    seconds = [n / RATE for n in lengths]
    clips = default_clips(sample.length_s)
    hidden = [i for i, (voice, _) in enumerate(sample.lines) if voice == sample.hidden]
    starts = [0.0] * len(sample.lines)
    for k, i in enumerate(hidden):  # clips 1 … last, evenly; a little off the middle
        clip = clips[1 + k * (len(clips) - 2) // max(1, len(hidden) - 1)]
        starts[i] = (clip.start_s + clip.end_s) / 2 + (k * 37) % 60 - 30
    reserved = sorted((starts[i], starts[i] + seconds[i]) for i in hidden)
    pending = overlaps_of(clips)  # overlaps no line starts in yet
    flow = [i for i in range(len(sample.lines)) if i not in hidden]
    speech_left, end = sum(seconds[i] for i in flow), LEAD_S - MIN_GAP_S
    for k, i in enumerate(flow):
        room = sample.length_s - TAIL_S - end - speech_left
        room -= sum(b - a + 2 * MIN_GAP_S for a, b in reserved if a > end)
        left = len(flow) - k
        varied = room / left * (0.5 + (k * 7) % 11 / 10)  # 0.5 to 1.5 times the mean pause
        start = end + max(MIN_GAP_S, min(varied, room - MIN_GAP_S * (left - 1)))
        if pending and start >= pending[0][1] - 3:  # it would pass an overlap: start inside it
            start = max(end + MIN_GAP_S, pending[0][0] + 1)
        for a, b in reserved:  # keep clear of the hidden voice
            if start < b + MIN_GAP_S and start + seconds[i] + MIN_GAP_S > a:
                start = b + MIN_GAP_S
        if pending and pending[0][0] <= start < pending[0][1]:
            pending.pop(0)
        starts[i], end = start, start + seconds[i]
        speech_left -= seconds[i]
    assert end < sample.length_s - TAIL_S / 2, f"{sample.name}: the lines do not fit"
    return [round(t * RATE) for t in starts], round(sample.length_s * RATE)


def check_clips(
    sample: Sample, starts: list[int], ends: list[int], evidence: dict[int, int], duration_s: float
) -> list[int]:
    """Assert the hard case and its counterparts under the default clip plan of the encoded
    length: the hidden voice never starts or runs within a clip overlap and speaks in several
    clips; someone else starts inside every overlap; every named person's evidence lies in a
    clip where they speak. Returns the clips the hidden voice speaks in."""
    clips = default_clips(duration_s)
    overlaps = [(a * 1000, b * 1000) for a, b in overlaps_of(clips)]

    def clips_of(ms: int) -> set[int]:
        return {c.index for c in clips if c.start_ms <= ms < c.end_ms}

    spans = list(zip(starts, ends, (voice for voice, _ in sample.lines), strict=True))
    hidden = [(start, end) for start, end, voice in spans if voice == sample.hidden]
    for start, end in hidden:
        assert all(end <= a or start >= b for a, b in overlaps), f"hidden voice at {start} ms"
    hidden_clips = sorted(set().union(*(clips_of(start) for start, _ in hidden)))
    assert len(hidden_clips) >= 3, hidden_clips
    for a, b in overlaps:
        assert any(a <= start < b and v != sample.hidden for start, _, v in spans), (a, b)
    for voice, line in evidence.items():
        speaking = set().union(*(clips_of(start) for start, _, v in spans if v == voice))
        assert clips_of(starts[line]) & speaking, f"voice {voice} is named outside its clips"
    return hidden_clips


def named_first(
    people: tuple[Person, ...], lines: tuple[tuple[int, str], ...]
) -> tuple[tuple[int, int], ...]:
    """(voice, first line that says the person's name): spoken evidence."""
    return tuple(
        (p.voice, next(i for i, (_, text) in enumerate(lines) if p.name in text))
        for p in people
        if p.name
    )


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
    for person in sample.people if sample.encoding.titles else ():
        first = next(i for i, (voice, _) in enumerate(sample.lines) if voice == person.voice)
        begin, end = starts[first] / 1000, starts[first] / 1000 + TITLE_S
        details = ", ".join(x for x in (person.position, person.company) if x)
        filters += [
            f"drawbox=x=0:y=ih*0.68:w=iw:h=ih*0.26:color=black@0.7:t=fill"
            f":enable='between(t,{begin:.3f},{end:.3f})'",
            text(f"name{person.voice}.txt", person.name or "", "h/11", "w/25", "h*0.7", begin, end),
            text(f"role{person.voice}.txt", details, "h/16", "w/25", "h*0.82", begin, end),
        ]
    return ",\n".join(filters)


# --- encoding and the response --------------------------------------------------------------


def encode(sample: Sample, starts: list[int], length: float, work: Path, out: Path) -> None:
    enc = sample.encoding
    audio = ["-b:a", f"{enc.audio_kbps}k", "-ac", "1", "-ar", str(enc.audio_rate)]
    common = ["-fflags", "+bitexact", "-map_metadata", "-1"]
    if enc.opus:  # speech codec mode, long frames: silence costs the least that way
        audio = ["-c:a", "libopus", *audio, "-application", "voip", "-frame_duration", "120"]
        video = ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", str(enc.crf), "-threads", "1"]
    else:
        audio = ["-c:a", "aac", *audio]
        video = ["-c:v", "libx264", "-preset", "veryslow", "-crf", str(enc.crf), "-tune"]
        video += ["stillimage", "-pix_fmt", "yuv420p"]
        common += ["-movflags", "+faststart"]
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
        command += [*video, "-g", str(enc.fps * 10)]
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
        starts, ends, length = mix(sample, work)
        order = sorted(range(len(starts)), key=starts.__getitem__)  # long samples: by time
        lines = tuple(sample.lines[i] for i in order)
        introductions = named_first(sample.people, lines) if sample.length_s else ()
        sample = replace(sample, lines=lines, introductions=sample.introductions + introductions)
        starts, ends = [starts[i] for i in order], [ends[i] for i in order]
        encode(sample, starts, length, work, out)
    evidence = {}
    for person in sample.people:
        first = next(i for i, (voice, _) in enumerate(sample.lines) if voice == person.voice)
        evidence[person.voice] = first  # the lower third appears when they first talk
    evidence.update(dict(sample.introductions))
    duration = duration_of(out)
    if sample.hidden is not None:
        del evidence[sample.hidden]
        hidden_clips = check_clips(sample, starts, ends, evidence, duration)
        print(f"{sample.name}: the unnamed voice {sample.hidden} speaks in clips {hidden_clips}")
    rows = [
        {"start_ms": _second(start), "voice": voice, "text": line}
        for start, (voice, line) in zip(starts, sample.lines, strict=True)
    ]
    speakers = [
        {
            "voice": p.voice,
            "name": p.name,
            "company": p.company,
            "position": p.position,
            "role": p.role,
            "evidence_ms": _evidence_ms(evidence, starts, p),
        }
        for p in sample.people
    ]
    response = {
        "name": sample.name,
        "description": sample.description + " See docs/samples.md.",
        "media": f"../samples/{sample.file}",
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "duration_s": duration,
        "has_video": sample.encoding.size is not None,
        "rows": rows,
        "speakers": speakers,
    }
    path = RESPONSES / f"{sample.name}.json"
    before = json.loads(path.read_text("utf-8")) if path.exists() else {}
    response.update({key: before[key] for key in HAND_WRITTEN if key in before})
    path.write_text(response_json(response), "utf-8")
    return response


def _second(ms: int) -> int:
    """A start as an `MM:SS` timecode gives it: rounded down to the second."""
    return ms // 1000 * 1000


def _evidence_ms(evidence: dict[int, int], starts: list[int], person: Person) -> int | None:
    return _second(starts[evidence[person.voice]]) if person.voice in evidence else None


def response_json(response: dict[str, object]) -> str:
    """Two-space JSON, one row (or speaker, or translated row) a line."""
    fields = [f"  {json.dumps(key)}: {_json_value(value, '  ')}" for key, value in response.items()]
    return "{\n" + ",\n".join(fields) + "\n}\n"


def _json_value(value: object, indent: str) -> str:
    """A list one item a line; a dict of lists (translations) one list a key."""
    inner = indent + "  "
    if isinstance(value, list):
        items = ",\n".join(inner + json.dumps(item, ensure_ascii=False) for item in value)
        return f"[\n{items}\n{indent}]"
    if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
        items = ",\n".join(
            f"{inner}{json.dumps(k)}: {_json_value(v, inner)}" for k, v in value.items()
        )
        return f"{{\n{items}\n{indent}}}"
    return json.dumps(value, ensure_ascii=False)


def main(names: list[str]) -> None:
    SAMPLES.mkdir(exist_ok=True)
    for name in names or list(SAMPLES_BY_NAME):
        began = time.monotonic()
        response = make(SAMPLES_BY_NAME[name])
        size = (SAMPLES / SAMPLES_BY_NAME[name].file).stat().st_size
        lines = len(SAMPLES_BY_NAME[name].lines)
        took = time.monotonic() - began
        print(f"{name}: {response['duration_s']} s, {size:,} bytes, {lines} segments, {took:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
