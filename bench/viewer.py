"""The web viewer opening a 1,000-segment transcript, in Chromium against the local stack.

The transcript goes through the real pipeline: the stand-in is given a 1,000-row answer for a
silent WAV, which is uploaded for one user. Each round then opens the transcription's page in a
fresh browser context (no cache, no Firestore state) and reads two figures from the page:
documents received from Firestore (`window.tabscribe.reads`, counted per snapshot) and the time
from navigation start to the `transcript-painted` mark (every segment on screen).
"""

from __future__ import annotations

import random
import statistics

from bench.pipeline import register_response, silence
from bench.report import Metric, main
from stack.follow import upload
from stack.local import ROOT, LocalStack
from stack.web import CHROMIUM, CHROMIUM_ARGS

SEGMENTS = 1_000
STEP_MS = 600
ROUNDS = 5
OWNER = "bench-viewer"
# The page's performance marks (web/src): the first document and pages snapshots, all rows painted.
MARKS = "Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name, m.startTime]))"
DATA_MARKS = ("transcript-document", "transcript-pages")
WORDS = [
    "we",
    "can",
    "see",
    "how",
    "the",
    "model",
    "and",
    "data",
    "work",
    "in",
    "practice",
    "when",
    "people",
    "speak",
]


def compact_answer() -> str:
    """1,000 rows for three named speakers, in the compact format (docs/format.md)."""
    rng = random.Random(7)
    rows = ["<TRANSCRIPT>", "start\tvoice\ttext"]
    for i in range(SEGMENTS):
        ms = i * STEP_MS
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 24)))
        rows.append(
            f"{ms // 60_000:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}\t{1 + i % 3}\t{words}."
        )
    rows += ["</TRANSCRIPT>", "<SPEAKERS>", "voice\tname\tcompany\tposition\trole\tevidence"]
    rows += [f"{v}\tSpeaker {v}\tAcme\tEngineer\tPanelist\t00:0{v}" for v in (1, 2, 3)]
    return "\n".join([*rows, "</SPEAKERS>"])


def measure(stack: LocalStack) -> tuple[list[float], list[float], list[int]]:
    from playwright.sync_api import sync_playwright

    assert stack.viewer is not None and stack.viewer.built, "web/dist missing: `make web`"
    paints: list[float] = []
    renders: list[float] = []
    reads: list[int] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(stack.viewer.url(OWNER))
        item = page.locator("li.doc", has_text="talk-1000.wav")
        item.locator(".badge", has_text="completed").wait_for(timeout=120_000)
        fragment = f"/t/{item.get_attribute('data-id')}"
        page.goto(stack.viewer.url(OWNER, fragment))  # until the store's last write (exports)
        page.get_by_role("link", name="WebVTT").wait_for(timeout=60_000)
        for _ in range(ROUNDS):
            context = browser.new_context()
            tab = context.new_page()
            tab.goto(stack.viewer.url(OWNER, fragment))
            tab.locator("#app[data-painted]").wait_for(state="attached", timeout=30_000)
            assert tab.locator("ol.transcript > li").count() == SEGMENTS
            marks = tab.evaluate(MARKS)
            paints.append(marks["transcript-painted"])
            renders.append(marks["transcript-painted"] - max(marks[m] for m in DATA_MARKS))
            reads.append(tab.evaluate("window.tabscribe.reads.documents"))
            context.close()
        browser.close()
    return paints, renders, reads


def run() -> list[Metric]:
    stack = LocalStack(workdir=ROOT / ".local" / "bench-viewer")
    stack.start()
    try:
        duration_s = SEGMENTS * STEP_MS // 1000 + 10
        media = stack.workdir / "talk-1000.wav"
        silence(media, duration_s)
        url = stack.env["TABSCRIBE_GEMINI_BASE_URL"]
        register_response(url, media, compact_answer(), duration_s, "bench-viewer-1000")
        upload(media, OWNER, {})
        paints, renders, reads = measure(stack)
    finally:
        stack.stop()
    return [
        Metric(
            "viewer.reads_1000",
            max(reads),
            "docs",
            "documents read to open a 1,000-segment transcript",
            "<= 10",
        ),
        Metric(
            "viewer.paint_1000_ms",
            round(statistics.median(paints)),
            "ms",
            f"navigation → all 1,000 rows painted, median of {ROUNDS} fresh tabs",
            "<= 1000",
        ),
        Metric("viewer.paint_1000_max_ms", round(max(paints)), "ms", "… slowest of them"),
        Metric(
            "viewer.render_1000_ms",
            round(statistics.median(renders)),
            "ms",
            "… of which: last snapshot received → rows painted (median)",
        ),
    ]


if __name__ == "__main__":
    main(run)
