"""A Terraform module (the `*.tf` files of one folder) read with python-hcl2, with the line of
every block and argument, so that a finding can name where it is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.rules.base import AttributeRule, BlockRule, BodyRule
from hcl2.utils import SerializationOptions

_OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)


@dataclass(frozen=True)
class Argument:
    name: str
    line: int
    value: Any


@dataclass
class Block:
    """A block: its type (`resource`, `build_config`, …), labels, arguments and nested blocks."""

    kind: str
    labels: list[str]
    file: Path
    line: int
    arguments: dict[str, Argument] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def value(self, name: str, default: Any = None) -> Any:
        argument = self.arguments.get(name)
        return default if argument is None else argument.value

    def nested(self, kind: str) -> list[Block]:
        return [block for block in self.blocks if block.kind == kind]

    def where(self, line: int | None = None) -> str:
        return f"{self.file.as_posix()}:{line or self.line}"


@dataclass
class Module:
    """One folder of `*.tf` files: its top-level blocks, by kind."""

    path: Path
    blocks: list[Block]

    def of(self, kind: str) -> list[Block]:
        return [block for block in self.blocks if block.kind == kind]

    def names(self, kind: str) -> set[str]:
        """Declared names: `type.name` of resources and data sources, else the label."""
        names: set[str] = set()
        for block in self.of(kind):
            if kind == "locals":
                names.update(block.arguments)
            else:
                names.add(".".join(block.labels))
        return names


def read(directory: Path, relative_to: Path | None = None) -> Module:
    blocks: list[Block] = []
    for path in sorted(directory.glob("*.tf")):
        shown = path.relative_to(relative_to) if relative_to else path
        tree = hcl2.parses(path.read_text(encoding="utf-8"))
        blocks.extend(_blocks(tree.body, shown))
    return Module(directory, blocks)


def _blocks(body: BodyRule, file: Path) -> Iterator[Block]:
    for child in body.children:
        if isinstance(child, BlockRule):
            kind, *labels = (str(label.serialize(_OPTIONS)) for label in child.labels)
            block = Block(kind, labels, file, child._meta.line)
            for inner in child.body.children:
                if isinstance(inner, AttributeRule):
                    name = str(inner.identifier.serialize(_OPTIONS))
                    value = inner.expression.serialize(_OPTIONS)
                    block.arguments[name] = Argument(name, inner._meta.line, value)
            block.blocks.extend(_blocks(child.body, file))
            yield block


def strings(value: Any) -> Iterator[str]:
    """Every string inside an argument's value (lists and objects walked)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from strings(key)
            yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)


def all_arguments(block: Block) -> Iterator[Argument]:
    yield from block.arguments.values()
    for inner in block.blocks:
        yield from all_arguments(inner)
