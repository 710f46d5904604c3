"""The voices benchmark (`bench/voices.py`) reads the stand-in's authored answers as the stand-in
does: a change of their format breaks this test, not a `make bench` run much later."""

from __future__ import annotations

from bench.voices import SAMPLES, merged_clips, per_person, sample
from functions.format.merge import merge


def test_the_benchmark_reads_each_long_sample_s_authored_answer_and_its_clips() -> None:
    for name in SAMPLES:
        found = sample(name)
        assert found.entry.authored is not None and found.entry.text.startswith("<TRANSCRIPT>")
        answers = merged_clips(found)
        assert len(answers) > 1  # the default plan cuts both long samples into clips
        assert per_person(found, merge(answers)) > 1.0  # what the voices pass is measured on
