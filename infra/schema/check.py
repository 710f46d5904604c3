"""`infra/` checked against the google providers' own schema, offline (decision 0017).

Every `resource` and `data` block of a google type, in the root module and in each local module
it calls: the type exists in the pinned provider; every argument and nested block exists at that
depth and is of its kind (argument or block); a block the schema allows once appears once; the
required ones are present; nothing the provider computes is set. Every reference (`google_x.y.z`,
`data.…`, `var.…`, `local.…`, `module.…`) names something declared, a resource's attribute one the
schema has; module calls pass only the module's variables and all it requires; `moved` blocks
lead from an address no longer declared to one that is.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.schema import provider
from infra.schema.config import Block, Module, all_arguments, read, strings

INFRA = Path(__file__).resolve().parents[1]
CHECKED = ("google", "google-beta")  # the providers whose schema the packages carry

META_ARGUMENTS = {"count", "for_each", "provider", "depends_on"}
META_BLOCKS = {"lifecycle", "provisioner", "connection"}
MODULE_META = {"source", "version", "count", "for_each", "providers", "depends_on"}

_NAME = r"[A-Za-z_][\w-]*"
_INDEX = r"(?:\[[^\]]*\])?"
_REST = r"(?:\[[^\]]*\]|\.\w+)*"  # indexes and attribute names after a resource's name
_REFERENCES = {
    "var": re.compile(rf"(?<![\w.])var\.({_NAME})"),
    "local": re.compile(rf"(?<![\w.])local\.({_NAME})"),
    "module": re.compile(rf"(?<![\w.])module\.({_NAME}){_INDEX}(?:\.({_NAME}))?"),
    "data": re.compile(rf"(?<![\w.])data\.({_NAME})\.({_NAME})({_REST})"),
    "resource": re.compile(rf"(?<![\w.])((?:google|archive|time)_\w+)\.({_NAME})({_REST})"),
}
_TOP = "the resource itself"
_STEP = re.compile(rf"module\.({_NAME}){_INDEX}\.")


@dataclass(frozen=True)
class Finding:
    where: str  # file:line
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def pinned(root: Module) -> dict[str, str]:
    """Provider name -> exact version, from `required_providers` (infra/versions.tf)."""
    versions = {}
    for terraform in root.of("terraform"):
        for required in terraform.nested("required_providers"):
            for name, argument in required.arguments.items():
                versions[name] = str(argument.value["version"])
    return versions


def check(directory: Path = INFRA) -> list[Finding]:
    """The findings in a root module (files named relative to its parent folder)."""
    root = read(directory, relative_to=directory.parent)
    versions = pinned(root)
    schemas = provider.load({name: versions[name] for name in CHECKED})
    return list(Checker(schemas, versions, directory.parent).module(root))


class Checker:
    """Findings in a module and the local modules it calls (each read and checked once)."""

    def __init__(
        self, schemas: dict[str, dict[str, Any]], versions: dict[str, str], base: Path
    ) -> None:
        self.schemas = schemas
        self.versions = versions
        self.base = base
        self.modules: dict[Path, Module] = {}
        self.checked: set[Path] = set()

    # --- a module ----------------------------------------------------------------------------

    def module(self, module: Module) -> Iterator[Finding]:
        for block in module.of("resource") + module.of("data"):
            yield from self.resource(block)
        for call in module.of("module"):
            yield from self.call(module, call)
        yield from self.references(module)
        for moved in module.of("moved"):
            yield from self.moved(module, moved)

    def child(self, module: Module, call: Block) -> Module | None:
        source = str(call.value("source", ""))
        if not source.startswith(("./", "../")):
            return None  # a registry module: not read offline
        path = (module.path / source).resolve()
        if path not in self.modules:
            self.modules[path] = read(path, relative_to=self.base)
        return self.modules[path]

    def call(self, module: Module, call: Block) -> Iterator[Finding]:
        child = self.child(module, call)
        if child is None:
            return
        variables = {block.labels[0]: block for block in child.of("variable")}
        name = f"module.{call.labels[0]}"
        for argument in call.arguments.values():
            if argument.name not in MODULE_META | set(variables):
                yield Finding(
                    call.where(argument.line),
                    f'{name}: "{argument.name}" is not a variable of {child.path.name}'
                    f"{_close(argument.name, variables)}",
                )
        for variable, block in variables.items():
            if "default" not in block.arguments and variable not in call.arguments:
                problem = f'{name}: the required variable "{variable}" is missing'
                yield Finding(call.where(), problem)
        if child.path not in self.checked:
            self.checked.add(child.path)
            yield from self.module(child)

    # --- a resource against the schema -------------------------------------------------------

    def resource(self, block: Block) -> Iterator[Finding]:
        rtype, name = block.labels
        if not rtype.startswith("google_"):
            return  # archive, time: their schemas are not in the packages
        beta = block.value("provider") in ("google-beta", "${google-beta}")
        which = "google-beta" if beta else "google"
        known = self.schemas[which][block.kind]
        label = f"{which} {self.versions[which]}"
        if rtype not in known:
            kind = "data source" if block.kind == "data" else "resource type"
            yield Finding(
                block.where(),
                f"the {label} provider has no {kind} {rtype}{_close(rtype, known)}",
            )
            return
        where = f"{'data.' if block.kind == 'data' else ''}{rtype}.{name}"
        yield from Body(known[rtype], label).check(block, where, top=True)

    # --- references --------------------------------------------------------------------------

    def references(self, module: Module) -> Iterator[Finding]:
        declared = {
            "var": module.names("variable"),
            "local": module.names("locals"),
            "module": module.names("module"),
            "data": module.names("data"),
            "resource": module.names("resource"),
        }
        for block in module.blocks:
            if block.kind in ("moved", "terraform"):
                continue
            for argument in all_arguments(block):
                for text in strings(argument.value):
                    for interpolation in _interpolations(text):
                        for problem in self.reference(module, declared, interpolation):
                            yield Finding(block.where(argument.line), problem)

    def reference(self, module: Module, declared: dict[str, set[str]], text: str) -> Iterator[str]:
        for kind, pattern in _REFERENCES.items():
            for match in pattern.finditer(text):
                if kind in ("var", "local"):
                    name = match.group(1)
                    if name not in declared[kind]:
                        yield f"{kind}.{name} is not declared{_close(name, declared[kind])}"
                elif kind == "module":
                    yield from self.module_output(module, declared, match.group(1), match.group(2))
                else:
                    rtype, name, rest = match.groups()
                    address = f"{rtype}.{name}"
                    prefix = "data." if kind == "data" else ""
                    if address not in declared[kind]:
                        yield f"{prefix}{address} is not declared{_close(address, declared[kind])}"
                    elif rtype.startswith("google_"):
                        attributes = re.sub(
                            r"\[[^\]]*\]", "", rest
                        )  # an index may hold each.value.x
                        yield from self.attribute(kind, address, re.findall(r"\.(\w+)", attributes))

    def module_output(
        self, module: Module, declared: dict[str, set[str]], name: str, output: str | None
    ) -> Iterator[str]:
        if name not in declared["module"]:
            yield f"module.{name} is not declared"
            return
        (call,) = [c for c in module.of("module") if c.labels[0] == name]
        child = self.child(module, call)
        if output and child is not None and output not in child.names("output"):
            yield f"module.{name} has no output {output}{_close(output, child.names('output'))}"

    def attribute(self, kind: str, address: str, names: list[str]) -> Iterator[str]:
        """The attributes read from a resource, through its blocks, exist in its schema."""
        rtype = address.split(".")[0]
        spec = next((s[kind][rtype] for s in self.schemas.values() if rtype in s[kind]), None)
        path = address
        for name in names:
            if spec is None:
                return
            known = set(spec["attributes"]) | set(spec["blocks"]) | set(spec["computed"])
            if path == address:
                known.add("id")
            if name not in known:
                yield f"{path} has no attribute {name}{_close(name, known)}"
                return
            spec = spec["blocks"][name]["body"] if name in spec["blocks"] else None
            path = f"{path}.{name}"

    # --- moved blocks ------------------------------------------------------------------------

    def moved(self, module: Module, moved: Block) -> Iterator[Finding]:
        source, target = (str(moved.value(key, "")).strip("${}") for key in ("from", "to"))
        if _resolve(self, module, source) is not None:
            yield Finding(moved.where(), f"moved from {source}, which is still declared")
        if _resolve(self, module, target) is None:
            yield Finding(moved.where(), f"moved to {target}, which is not declared")


def _resolve(checker: Checker, module: Module, address: str) -> str | None:
    """The address's resource, through the module calls it names; None if not declared."""
    while match := _STEP.match(address):
        calls = [c for c in module.of("module") if c.labels[0] == match.group(1)]
        child = checker.child(module, calls[0]) if calls else None
        if child is None:
            return None
        module, address = child, address[match.end() :]
    resource = re.sub(r"\[[^\]]*\]$", "", address)
    return resource if resource in module.names("resource") else None


class Body:
    """One resource's schema, checked against one block of it at a time."""

    def __init__(self, schema: dict[str, Any], label: str) -> None:
        self.schema = schema
        self.label = label

    def check(
        self, block: Block, path: str, top: bool = False, spec: Any = None, position: str = ""
    ) -> Iterator[Finding]:
        """`path` names the block for a reader, `position` its place in the schema."""
        spec = spec or self.schema
        present = set(block.arguments)
        for argument in block.arguments.values():
            if (top and argument.name in META_ARGUMENTS) or argument.name in spec["attributes"]:
                continue
            problem = self.misplaced(spec, path, position, argument.name, "argument")
            yield Finding(block.where(argument.line), problem)
        counts: Counter[str] = Counter()
        for inner in block.blocks:
            if top and inner.kind in META_BLOCKS:
                continue
            kind, body, dynamic = inner.kind, inner, inner.kind == "dynamic"
            if dynamic:
                kind = inner.labels[0]
                empty = Block("content", [], inner.file, inner.line)
                body = (inner.nested("content") or [empty])[0]
            present.add(kind)
            if kind not in spec["blocks"]:
                yield Finding(inner.where(), self.misplaced(spec, path, position, kind, "block"))
                continue
            nested = spec["blocks"][kind]
            counts[kind] += 0 if dynamic else 1
            if nested["single"] and counts[kind] == 2 and not dynamic:
                problem = f"{path}: the {self.label} schema allows one {kind} block"
                yield Finding(inner.where(), problem)
            inside = f"{position}.{kind}" if position else kind
            yield from self.check(body, f"{path}.{kind}", spec=nested["body"], position=inside)
        for group, what in (("attributes", "argument"), ("blocks", "block")):
            for name, entry in spec[group].items():
                if entry["required"] and name not in present:
                    words = f': "{entry["doc"]}"' if entry["doc"] else ""
                    problem = f'the required {what} "{name}" is missing'
                    yield Finding(block.where(), f"{path}: {problem} ({self.label} schema{words})")

    def misplaced(
        self, spec: dict[str, Any], path: str, position: str, name: str, what: str
    ) -> str:
        if what == "argument" and name in spec["computed"]:
            return f'{path}: "{name}" is computed by the provider ({self.label}): not settable'
        if what == "argument" and name in spec["blocks"]:
            return f'{path}: "{name}" is a block in the {self.label} schema: write {name} {{ … }}'
        if what == "block" and name in spec["attributes"]:
            return f'{path}: "{name}" is an argument in the {self.label} schema: write {name} = …'
        here = sorted(spec["attributes"]) if what == "argument" else sorted(spec["blocks"])
        message = f'{path}: the {self.label} schema has no {what} "{name}" here'
        elsewhere = [p for p in _paths(self.schema, name) if p != (position or _TOP)]
        if elsewhere:
            message += f"; it belongs in {' or '.join(elsewhere)}"
        else:
            message += _close(name, here)
        return message + f"; {what}s here: {', '.join(here) or 'none'}"


def _paths(spec: dict[str, Any], name: str, prefix: str = "") -> Iterator[str]:
    """Where in a resource's schema a name is an argument or a block."""
    if name in spec["attributes"] or name in spec["blocks"]:
        yield prefix or _TOP
    for block, nested in spec["blocks"].items():
        yield from _paths(nested["body"], name, f"{prefix}.{block}" if prefix else block)


def _close(name: str, candidates: Any) -> str:
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    return f' (did you mean "{found[0]}"?)' if found else ""


def _interpolations(text: str) -> Iterator[str]:
    """The `${…}` parts of a serialized value (nested ones included in their outer part; `$${`
    is a literal `${`)."""
    start = text.find("${")
    while start >= 0:
        if start and text[start - 1] == "$":
            start = text.find("${", start + 2)
            continue
        depth, end = 0, start + 1
        while end < len(text):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
            end += 1
        yield text[start + 2 : end]
        start = text.find("${", end)
