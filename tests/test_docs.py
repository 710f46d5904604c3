"""Every relative link in the README and the docs points to a file that exists, and to a heading
of it when it names one; the decision index lists every record."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.paths import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.MULTILINE)


def links(doc: Path) -> list[str]:
    """The link targets of `doc`, code blocks and code spans left out."""
    text = CODE.sub("", FENCE.sub("", doc.read_text("utf-8")))
    return LINK.findall(text)


def anchors(doc: Path) -> set[str]:
    """The anchors GitHub gives the headings of `doc` (lower case, punctuation dropped, spaces to
    hyphens; a repeated one numbered)."""
    slugs: set[str] = set()
    counts: dict[str, int] = {}
    for title in HEADING.findall(FENCE.sub("", doc.read_text("utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        count = counts[slug] = counts.get(slug, 0) + 1
        slugs.add(slug if count == 1 else f"{slug}-{count - 1}")
    return slugs


def broken(doc: Path) -> list[str]:
    found = []
    for target in links(doc):
        if re.match(r"[a-z]+:", target):
            continue  # a URL: not checked offline
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        if not file.exists():
            found.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            found.append(f"{target}: no heading #{anchor}")
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    assert broken(doc) == []


def test_the_checker_sees_a_broken_file_and_a_broken_anchor(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# A heading, with punctuation\n## Twice\n## Twice\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[ok](there.md#a-heading-with-punctuation) [ok](there.md#twice-1) `[code](gone.md)`\n"
        "[file](gone.md) [anchor](there.md#nowhere) ![image](pic.png) [web](https://x.org/y)\n"
    )
    assert broken(doc) == [
        "gone.md: no such file",
        "there.md#nowhere: no heading #nowhere",
        "pic.png: no such file",
    ]


def test_the_decision_index_lists_every_record() -> None:
    index = ROOT / "docs" / "decisions" / "README.md"
    records = {p.name for p in index.parent.glob("[0-9][0-9][0-9][0-9]-*.md")}
    assert records and records == set(links(index))
