"""The google and google-beta provider schemas, read from the cdktf packages generated from them.

`@cdktf/provider-google` (and `-beta`) are generated from the provider's own schema. Per resource
and data source they carry, in Terraform's snake_case names:

- in `index.js`, each block's `…ToHclTerraform` mapper (the resource's `synthesizeHclAttributes`):
  every argument and nested block, and whether it is a block (`isBlock`);
- in `index.js`, a comment `// name - computed: true, optional: false, …` on each attribute the
  provider sets and the configuration may not;
- in `index.d.ts`, each block's interface: which arguments are required (no `?`), whether a block
  may appear once (not an array) and the schema's own description.

The extracted schema is cached as JSON keyed by the package and provider versions
(`infra/schema/.cache/`, ignored by git), so only the first run reads the packages.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules" / "@cdktf"
CACHE = HERE / ".cache"
PACKAGES = {"google": "provider-google", "google-beta": "provider-google-beta"}
FORMAT = 2  # of the cached JSON: bump when the extraction changes

_TYPE = re.compile(r'\.tfResourceType = "(\w+)";')
_MAPPER = re.compile(r"^function (\w+)ToHclTerraform\(struct\) \{\n(.*?)^\}\n", re.M | re.S)
_SYNTH = re.compile(r"^    synthesizeHclAttributes\(\) \{\n(.*?)^    \}\n", re.M | re.S)
_ENTRY = re.compile(
    r"^ {8,12}(\w+): \{\s+value: (.*?),\s+isBlock: (true|false),\s+type: \"(\w+)\",", re.M | re.S
)
_NESTED = re.compile(r"\b(\w+)ToHclTerraform\b")
_SOURCE = re.compile(r"(?:struct\.|this\._)(\w+)")
_CLASS = re.compile(r"^class (\w+) extends cdktf\.(\w+) \{\n(.*?)^\}\n", re.M | re.S)
_COMPUTED = re.compile(r"// (\w+) - computed: true, optional: false, required: false")
_INTERFACE = re.compile(r"^export interface (\w+)(?: extends [\w.]+)? \{\n(.*?)^\}\n", re.M | re.S)
_PROPERTY = re.compile(r"/\*\*((?:(?!\*/).)*)\*/\s+readonly (\w+)(\??): ([^;]+);", re.S)


@dataclass(frozen=True)
class Package:
    """One installed cdktf provider package."""

    provider: str  # google or google-beta
    version: str  # of the npm package
    provider_version: str  # of the Terraform provider it was generated from

    @property
    def lib(self) -> Path:
        return MODULES / PACKAGES[self.provider] / "lib"


class SchemaError(Exception):
    """The schema packages are missing or do not match infra/versions.tf."""


def package(provider: str) -> Package:
    path = MODULES / PACKAGES[provider] / "package.json"
    if not path.exists():
        raise SchemaError(f"{path} is missing: run `make infra-check` (npm ci in infra/schema)")
    meta = json.loads(path.read_text(encoding="utf-8"))
    generated = meta["cdktf"]["provider"]
    assert generated["name"].endswith(f"hashicorp/{provider}"), generated
    return Package(provider, meta["version"], generated["version"])


def load(pinned: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The schema of each provider pinned (name -> version), cached; fails when they disagree."""
    schemas = {}
    for provider, version in pinned.items():
        found = package(provider)
        if found.provider_version != version:
            raise SchemaError(
                f"infra/versions.tf pins {provider} {version}, but @cdktf/{PACKAGES[provider]}"
                f"@{found.version} (infra/schema/package-lock.json) is generated from "
                f"{found.provider_version}: install the package generated from {version}"
            )
        schemas[provider] = cached(found)
    return schemas


@functools.cache
def cached(found: Package) -> dict[str, Any]:
    name = f"{PACKAGES[found.provider]}-{found.version}-{found.provider_version}-v{FORMAT}"
    path = CACHE / f"{name}.json"
    if path.exists():
        return dict(json.loads(path.read_text(encoding="utf-8")))
    schema = extract(found.lib)
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(schema, separators=(",", ":")), encoding="utf-8")
    partial.replace(path)
    return schema


def extract(lib: Path) -> dict[str, Any]:
    """{"resource": {type: body}, "data": {type: body}} from every module of a package."""
    schema: dict[str, dict[str, Any]] = {"resource": {}, "data": {}}
    for module in sorted(lib.iterdir()):
        code = module / "index.js"
        if module.name == "provider" or not code.exists():
            continue
        source = code.read_text(encoding="utf-8")
        rtype = _TYPE.search(source)
        if rtype is None:
            continue
        kind = "data" if module.name.startswith("data-") else "resource"
        schema[kind][rtype.group(1)] = module_schema(
            source + _structs(module, "*.js"), _structs(module, "*.d.ts", "index.d.ts")
        )
    return schema


def _structs(module: Path, pattern: str, main: str = "") -> str:
    """The module's own file (`main`) and, for the largest resources, the struct files cdktf
    splits their nested blocks into (`index-structs/structs*.js`)."""
    paths = [module / main] if main else []
    paths += sorted((module / "index-structs").glob(pattern.replace("*", "structs*")))
    return "".join(path.read_text(encoding="utf-8") for path in paths)


def module_schema(source: str, types: str) -> dict[str, Any]:
    """The top block of one resource or data source, with its nested blocks."""
    interfaces = {name: properties(body) for name, body in _INTERFACE.findall(types)}
    computed = {name: _COMPUTED.findall(body) for name, _, body in _CLASS.findall(source)}
    mappers = {name[0].upper() + name[1:]: body for name, body in _MAPPER.findall(source)}
    top = next(
        name
        for name, base, _ in _CLASS.findall(source)
        if base in ("TerraformResource", "TerraformDataSource")
    )
    synth = _SYNTH.search(source)
    assert synth, top

    def struct(entries: str, interface: str, reference: str) -> dict[str, Any]:
        declared = interfaces.get(interface, {})
        attributes: dict[str, Any] = {}
        blocks: dict[str, Any] = {}
        for name, value, is_block, kind in _ENTRY.findall(entries):
            source_name = _SOURCE.search(value)
            prop = declared.get(source_name.group(1) if source_name else "", {})
            entry = {"required": prop.get("required", False), "doc": prop.get("doc", "")}
            if is_block == "true":
                nested = next(n for n in _NESTED.findall(value) if not n.startswith("cdktf"))
                name_of = nested[0].upper() + nested[1:]
                entry["single"] = kind == "struct" or not prop.get("many", True)
                reference_class = f"{name_of}OutputReference"
                entry["body"] = struct(mappers.get(name_of, ""), name_of, reference_class)
                blocks[name] = entry
            else:
                attributes[name] = entry
        return {"attributes": attributes, "blocks": blocks, "computed": computed.get(reference, [])}

    return struct(synth.group(1), f"{top}Config", top)


def properties(body: str) -> dict[str, dict[str, Any]]:
    """camelName -> required, many (an array), the schema's description."""
    found = {}
    for doc, name, optional, kind in _PROPERTY.findall(body):
        words = doc.split("Docs at Terraform Registry")[0]
        words = " ".join(line.strip(" *") for line in words.splitlines()).strip()
        found[name] = {"required": not optional, "many": "[]" in kind, "doc": words[:240]}
    return found
