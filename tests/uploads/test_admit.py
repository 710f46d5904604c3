"""The allow-list (decision 0019): open with none; else verified emails it names, by address or
by domain (exactly: a subdomain is another domain)."""

from __future__ import annotations

import pytest

from functions.core.http import Forbidden
from functions.core.settings import Settings
from functions.core.tokens import Caller
from functions.uploads.admit import allowed


def listed(*entries: str) -> tuple[str, ...]:
    return Settings(GOOGLE_CLOUD_PROJECT="p", allowed_users=entries).allowed_users


LISTED = listed("Example.com", " ana@other.org")


def test_the_setting_is_read_as_lower_case_addresses_and_domains() -> None:
    assert LISTED == ("example.com", "ana@other.org")
    for bad in ("@example.com", "a@b@c.org", "localhost"):
        with pytest.raises(ValueError, match="not an email address or domain"):
            listed(bad)


def test_without_a_list_every_signed_in_caller_may_upload() -> None:
    allowed(Caller("anyone", None, False), ())


@pytest.mark.parametrize("email", ["bob@example.com", "ana@other.org"])
def test_a_verified_email_the_list_names_may_upload(email: str) -> None:
    allowed(Caller("u1", email, True), LISTED)


@pytest.mark.parametrize(
    ("caller", "why"),
    [
        (Caller("u1", None, False), "verified email"),
        (Caller("u1", "bob@example.com", False), "verified email"),
        (Caller("u1", "bob@mail.example.com", True), "may not upload"),
        (Caller("u1", "bob@example.com.evil.org", True), "may not upload"),
        (Caller("u1", "eve@other.org", True), "may not upload"),
    ],
)
def test_anyone_else_is_forbidden(caller: Caller, why: str) -> None:
    with pytest.raises(Forbidden, match=why):
        allowed(caller, LISTED)
