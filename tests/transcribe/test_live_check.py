"""`python -m functions live-check` against the stand-in, through the same code a user with a key
runs: every request kind accepted, and a refusal makes it fail, printed verbatim."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest

import standin
from functions.batch import live_check as batch_check
from functions.core.catalog import catalog
from functions.core.settings import Settings
from functions.transcribe import live_check

KINDS = ("single", "clip", "continuation", "voices")
MODEL_METHODS = {"generateContent", "streamGenerateContent"}


@pytest.fixture(scope="module")
def stand_in() -> Iterator[standin.StandIn]:
    with standin.start(port=0, token_rate=0) as server:
        yield server


def developer(stand_in: standin.StandIn) -> Settings:
    return Settings(
        gemini_mode="developer", gemini_api_key="live-check-test", gemini_base_url=stand_in.url
    )


def rows(printed: str) -> dict[str, list[str]]:
    return {
        line.split()[0]: line.split()
        for line in printed.splitlines()
        if line.split() and line.split()[0] in KINDS
    }


def test_every_request_kind_is_accepted(stand_in: standin.StandIn) -> None:
    stand_in.reset()
    out = io.StringIO()
    assert live_check.run(developer(stand_in), out=out) == 0, out.getvalue()
    printed = out.getvalue()
    assert f"model {catalog().default}: served" in printed
    for kind, cells in rows(printed).items():
        assert cells[1:3] == ["200", "STOP"], (kind, cells)
        assert int(cells[5]) > 0, f"{kind}: no rows parsed"
    assert set(rows(printed)) == set(KINDS)
    calls = [c for c in stand_in.calls() if c.get("method") in MODEL_METHODS]
    assert [len(c["media"]) for c in calls] == [1, 1, 1, 1]  # one media part each
    single, clip, continuation, voices = (c["media"][0] for c in calls)
    assert single["start_s"] == 0 and single["end_s"] is None  # the whole sample
    assert clip["end_s"] - clip["start_s"] == live_check.CLIP_S
    assert continuation["start_s"] > 0 and continuation["end_s"] is None
    assert voices["mime_type"] == "video/webm" and voices["fps"] == 0.5  # the reel
    assert stand_in.state.files.all() == [], "every upload is deleted at the end"


def test_a_refused_request_fails_the_check(stand_in: standin.StandIn) -> None:
    stand_in.reset()
    stand_in.configure(faults=[{"status": 400, "times": 1}])
    out = io.StringIO()
    assert live_check.run(developer(stand_in), out=out) == 1
    printed = out.getvalue()
    assert rows(printed)["single"][1] == "400"
    assert "refused: " in printed and "INVALID_ARGUMENT" in printed
    assert "failed: single" in printed


def test_nothing_is_sent_over_the_cap(stand_in: standin.StandIn) -> None:
    stand_in.reset()
    out = io.StringIO()
    assert live_check.run(developer(stand_in), max_usd=0.0001, out=out) == 2
    assert "nothing sent" in out.getvalue()
    assert not [c for c in stand_in.calls() if c.get("method") in MODEL_METHODS]


def test_the_ceiling_stays_under_the_cap_at_every_list_price_of_the_default() -> None:
    """Today's and every dated price of the default model: the check never costs more."""
    settings = Settings(gemini_mode="developer", gemini_api_key="x")
    with live_check.SAMPLE.open("rb") as reader:
        media = live_check.probe(reader, None, live_check.SAMPLE.stat().st_size)
    single = live_check.single_ask(media, settings)
    asks = [
        single,
        live_check.clip_ask(media, settings),
        live_check.continuation_ask(single, [], settings),
        live_check.planned_voices(single),
    ]
    assert all(
        a.plan.max_output_tokens == live_check.OUTPUT_CAP for a in asks if a.kind != "continuation"
    )
    default = catalog().get(catalog().default)
    assert default is not None and default.prices
    days = [p.effective or dt.date.today() for p in default.prices]
    for day in days:
        ceiling = live_check.ceiling_usd(asks, audio_only=not media.has_video, day=day)
        assert ceiling is not None and 0 < ceiling <= live_check.MAX_USD, (day, ceiling)
    price = default.price
    assert price is not None
    by_hand = (
        sum(
            ((a.plan.estimated_input_tokens or 0) + a.extra_input_tokens) * price.input
            + a.plan.max_output_tokens * price.output
            for a in asks
        )
        / 1e6
    )
    assert live_check.ceiling_usd(asks, audio_only=False) == pytest.approx(by_hand)


def test_the_batch_row_finds_its_answer_by_its_key(stand_in: standin.StandIn) -> None:
    """`live-check --batch`: the single run as a one-line job of an uploaded JSONL file (never
    inlined requests), followed until it ends, its answer read from the output by its key."""
    stand_in.reset()
    out = io.StringIO()
    assert batch_check.run(developer(stand_in), out=out, poll_s=0.1) == 0, out.getvalue()
    cells = next(line.split() for line in out.getvalue().splitlines() if line.startswith("batch "))
    assert cells[1:3] == ["200", "STOP"] and int(cells[5]) > 0, out.getvalue()
    [job] = stand_in.state.batches.all("developer")
    assert not job.inlined and job.display_name.startswith("live-check-")
    batched = [c for c in stand_in.calls() if c.get("batch")]
    assert len(batched) == 1 and batched[0]["batch"] == job.name
    left = {f.display_name for f in stand_in.state.files.all() if f.source == "UPLOADED"}
    assert left == {job.display_name}  # the sample's copy deleted; the job's input is the job's


def test_a_batch_job_that_does_not_end_in_time_is_cancelled_and_fails_the_check(
    stand_in: standin.StandIn,
) -> None:
    stand_in.reset()
    stand_in.configure(batch_s=60)
    out = io.StringIO()
    assert batch_check.run(developer(stand_in), wait_s=0.5, out=out, poll_s=0.1) == 1
    assert "cancelled" in out.getvalue()
    [job] = stand_in.state.batches.all("developer")
    assert job.cancelled is not None
