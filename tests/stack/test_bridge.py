"""The bridge's pure parts: header encoding of any object name, the retry schedule."""

from __future__ import annotations

import urllib.request

from stack.bridge import RetryPolicy, shown
from stack.events import header_value, storage_event


def test_any_object_name_makes_a_valid_header() -> None:
    name = 'uploads/ané/my "talk"\n100%.mp4'
    encoded = header_value(f"objects/{name}")
    assert encoded == "objects/uploads/an%C3%A9/my%20%22talk%22%0A100%25.mp4"
    headers, _ = storage_event({"bucket": "b", "name": name})
    urllib.request.Request("http://127.0.0.1/", b"{}", headers)  # would raise on a bad header
    assert shown(name) == 'uploads/ané/my "talk"\\n100%.mp4'


def test_the_retry_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=8, max_age_s=60, first_delay_s=1, max_delay_s=10)
    assert [policy.delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
