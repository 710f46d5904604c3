"""`python -m functions live-check` against the stand-in, through the same code a user with a key
runs: every request kind accepted, and a refusal makes it fail, printed verbatim."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

import standin
from functions.core.catalog import catalog
from functions.core.settings import Settings
from functions.transcribe import live_check

KINDS = ("single", "clip", "continuation")


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
    calls = [c for c in stand_in.calls() if "generateContent" in str(c.get("method"))]
    assert len(calls) == len(KINDS)
    uploads = [c for c in stand_in.calls() if c.get("method") == "upload"]
    assert len(uploads) <= 1, "the sample is uploaded once"


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
    assert not [c for c in stand_in.calls() if "generateContent" in str(c.get("method"))]


def test_the_ceiling_counts_every_request_at_list_prices() -> None:
    settings = Settings(gemini_mode="developer", gemini_api_key="x")
    with live_check.SAMPLE.open("rb") as reader:
        media = live_check.probe(reader, None, live_check.SAMPLE.stat().st_size)
    single = live_check.single_ask(media, settings)
    price = catalog().get(single.plan.model).price  # type: ignore[union-attr]
    assert price is not None
    expected = (
        (single.plan.estimated_input_tokens or 0) * price.input
        + live_check.OUTPUT_CAP * price.output
    ) / 1e6
    assert live_check.ceiling_usd([single], audio_only=False) == pytest.approx(expected)
    assert single.plan.max_output_tokens == live_check.OUTPUT_CAP
