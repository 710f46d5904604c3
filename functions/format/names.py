"""When two spellings name one person (docs/format.md, *Merging clips*, rule 5).

Answers vary between requests: one clip names a speaker "Dr. Ana Ruiz", the next "Ana Ruiz", a
third "A. Ruiz"; a company may be "Acme" or "Acme Inc.". Names that differ only by case,
punctuation, a title, an initial or a legal suffix are one person; any other difference keeps
them apart ("Ana Ruiz" is not "Ana Ortiz"). Pure.
"""

from __future__ import annotations

import re

TITLES = frozenset(
    {
        *("dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "mx", "miss", "mister"),
        *("madam", "madame", "sir", "dame", "lord", "lady", "rev", "reverend", "fr", "hon"),
        *("judge", "sr", "sra", "srta", "dott", "herr", "frau", "mme", "mlle"),
    }
)
LEGAL_SUFFIXES = frozenset(
    {
        *("inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "corp"),
        *("corporation", "co", "company", "gmbh", "ag", "kg", "sa", "sas", "sarl", "srl", "spa"),
        *("nv", "bv", "oy", "asa", "pty", "pte"),
    }
)
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_DOTTED = re.compile(r"\b(?:[^\W\d_]\.){2,}")  # S.A., N.V.: one word, not initials


def name_words(name: str) -> tuple[str, ...]:
    """The words that tell a name apart: lower case, without punctuation, leading titles or
    trailing legal suffixes (a name that is nothing else keeps its words)."""
    joined = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), name)
    words = [w.casefold() for w in _WORD.findall(joined)]
    start, end = 0, len(words)
    while start < end - 1 and words[start] in TITLES:
        start += 1
    while end > start + 1 and words[end - 1] in LEGAL_SUFFIXES:
        end -= 1
    return tuple(words[start:end])


def same_name(a: str, b: str) -> bool:
    """Whether `a` and `b` name one person: the same words, middle initials aside, a first
    word's initial standing for the whole word ("Ana M. Ruiz", "A. Ruiz" = "Ana Ruiz")."""
    x, y = name_words(a), name_words(b)
    if x == y:
        return True
    x, y = _without_middle_initials(x), _without_middle_initials(y)
    return len(x) == len(y) > 0 and all(_agree(p, q) for p, q in zip(x, y, strict=True))


def _without_middle_initials(words: tuple[str, ...]) -> tuple[str, ...]:
    if len(words) < 3:
        return words
    return (words[0], *(w for w in words[1:-1] if len(w) > 1), words[-1])


def _agree(p: str, q: str) -> bool:
    """Two words of a name at one place: equal, or one the initial of the other."""
    if p == q:
        return True
    short, long = sorted((p, q), key=len)
    return len(short) == 1 and len(long) > 1 and long.startswith(short)
