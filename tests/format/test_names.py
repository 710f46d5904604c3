"""When two spellings name one person (functions/format/names.py), and the merge using it."""

from __future__ import annotations

import pytest

from functions.format.merge import merge
from functions.format.names import name_words, same_name
from tests.format.test_merge import clip, codes, who


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dr. Ana Ruiz", "Ana Ruiz"),
        ("Prof. Sir Tim Berners-Lee", "tim berners-lee"),
        ("Mrs Ana Ruiz", "ANA  RUIZ"),
        ("Ana M. Ruiz", "Ana Ruiz"),
        ("A. Ruiz", "Ana Ruiz"),
        ("A. M. Ruiz", "Ana Ruiz"),
        ("Acme Inc.", "Acme"),
        ("Acme Widgets, Ltd", "Acme Widgets LLC"),
        ("Zeta S.A.", "Zeta GmbH"),
        ("Northwind plc", "Northwind Corp."),
    ],
)
def test_names_differing_by_a_title_an_initial_or_a_legal_suffix_are_one(a: str, b: str) -> None:
    assert same_name(a, b) and same_name(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ana Ruiz", "Ana Ortiz"),
        ("Dr. Ana Ruiz", "Dr. Ana Ortiz"),
        ("Ana Ruiz", "Ruiz"),
        ("A. Ruiz", "B. Ruiz"),
        ("A. Ruiz", "Bea Ruiz"),
        ("Ana Ruiz", "Ana Ruiz Ortiz"),
        ("Acme Inc.", "Acme Widgets Inc."),
        ("Ana", "Anabel"),
    ],
)
def test_names_differing_otherwise_stay_apart(a: str, b: str) -> None:
    assert not same_name(a, b) and not same_name(b, a)


def test_a_name_that_is_only_a_title_or_a_suffix_keeps_its_word() -> None:
    assert name_words("Dr.") == ("dr",) and name_words("Inc") == ("inc",)
    assert not same_name("Dr.", "Ana")


def test_the_merge_joins_a_voice_named_with_a_title_in_a_later_clip() -> None:
    first = clip(0, 0, 60, [(1, 1, "Welcome"), (10, 2, "Hi")], [who(1, "Dr. Ana Ruiz"), who(2)])
    second = clip(1, 40, 100, [(30, 1, "Back to you")], [who(1, "Ana M. Ruiz")])
    merged = merge([first, second])
    assert [s.voice for s in merged.segments] == [1, 2, 1]
    assert merged.issues == [] and [s.name for s in merged.speakers] == ["Dr. Ana Ruiz", None]


def test_the_voices_pass_joins_initials_and_refuses_other_names() -> None:
    first = clip(0, 0, 60, [(1, 1, "Welcome"), (10, 2, "Hi")], [who(1, "A. Ruiz"), who(2)])
    second = clip(
        1, 40, 100, [(30, 1, "Back to you"), (40, 2, "Yes")], [who(1), who(2, "Ana Ruiz")]
    )
    third = clip(2, 80, 140, [(30, 1, "Me again")], [who(1, "Ana Ortiz")])
    alone = merge([first, second, third])
    assert len(alone.speakers) == 4  # unconfirmed voice 3 of clip 1; "Ana Ruiz" joined by name
    assert [s.voice for s in alone.segments] == [1, 2, 3, 1, 4]
    joined = merge([first, second, third], same_person=[[1, 4], [2, 3]])
    assert [s.voice for s in joined.segments] == [1, 2, 2, 1, 3]
    assert codes(joined) == ["voices_join_refused"]
