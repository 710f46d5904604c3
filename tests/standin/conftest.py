from __future__ import annotations

from collections.abc import Iterator

import pytest

import standin
from tests.standin.sdk import CLIP, CLIP_ANSWER, GS_URI


@pytest.fixture(scope="module")
def server() -> Iterator[standin.StandIn]:
    with standin.start(port=0, chunk_chars=100) as stand_in:
        yield stand_in


@pytest.fixture
def stand_in(server: standin.StandIn) -> standin.StandIn:
    server.reset()
    server.register(
        **CLIP_ANSWER, duration_s=10, has_video=True, media=CLIP, uri=GS_URI, name="clip"
    )
    return server
