"""Offline checks of the Terraform in `infra/` (the google provider cannot be downloaded here, so
`terraform validate` / `plan` cannot run; these tests read the configuration instead).

- `terraform fmt -check` (needs only the terraform binary);
- checkov over `infra/` with no failed check (skips only inline, with a reason);
- the wiring, read from the HCL with python-hcl2: trigger, retries, identities, roles, push
  subscription and dead letters, entry points, environment variable names, source packaging.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions
from pydantic import AliasChoices

from functions.core.documents import BATCH_LINES, BATCHES, DELETIONS, EXPIRE_AT
from functions.core.settings import Settings
from tests.paths import ROOT

REPO = ROOT
INFRA = REPO / "infra"
REF = re.compile(r'^\$\{([A-Za-z0-9_."\-\[\]]+)\}$')
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
FINALIZED = "google.cloud.storage.object.v1.finalized"
MESSAGE_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
# The watchdog's functions: entry point, runtime account, topic of its Pub/Sub trigger.
WATCH_FUNCTIONS = {
    "transcribe_redrive": ("transcribe_redrive", "transcribe", "redrive"),
    "watch_dead_letter": ("watch_dead_letter", "watch", "dead_letter"),
    "watch_sweep": ("watch_sweep", "watch", "sweep"),
}

Body = dict[str, Any]


# --- Reading the HCL ---------------------------------------------------------------------------


class Config:
    """All `infra/*.tf` files, parsed, indexed by block kind, type and name."""

    def __init__(self, directory: Path) -> None:
        options = SerializationOptions(
            with_comments=False, explicit_blocks=False, strip_string_quotes=True
        )
        self.text: dict[str, str] = {}
        self.resources: dict[tuple[str, str], Body] = {}
        self.data: dict[tuple[str, str], Body] = {}
        self.variables: dict[str, Body] = {}
        self.locals: dict[str, Any] = {}
        self.terraform: list[Body] = []
        self.calls: dict[str, Body] = {}  # module calls, by name
        self.modules: dict[str, dict[tuple[str, str], Body]] = {}  # modules/<name>: resources
        for path in sorted(directory.glob("modules/*/*.tf")):
            name = path.relative_to(directory).as_posix()
            self.text[name] = path.read_text(encoding="utf-8")
            parsed = hcl2.loads(self.text[name], serialization_options=options)
            found = self.modules.setdefault(path.parent.name, {})
            for entry in parsed.get("resource", []):
                for rtype, named in entry.items():
                    found.update({(rtype, name): body for name, body in named.items()})
        for path in sorted(directory.glob("*.tf")):
            self.text[path.name] = path.read_text(encoding="utf-8")
            parsed = hcl2.loads(self.text[path.name], serialization_options=options)
            for kind, index in (("resource", self.resources), ("data", self.data)):
                for entry in parsed.get(kind, []):
                    for rtype, named in entry.items():
                        for name, body in named.items():
                            assert (rtype, name) not in index, f"duplicate {kind} {rtype}.{name}"
                            index[(rtype, name)] = body
            for entry in parsed.get("variable", []):
                self.variables.update(entry)
            for entry in parsed.get("locals", []):
                self.locals.update(entry)
            self.terraform.extend(parsed.get("terraform", []))
            for entry in parsed.get("module", []):
                self.calls.update(entry)

    def of_type(self, rtype: str) -> dict[str, Body]:
        return {name: body for (t, name), body in self.resources.items() if t == rtype}

    def resource(self, rtype: str, name: str) -> Body:
        assert (rtype, name) in self.resources, f"missing resource {rtype}.{name}"
        return self.resources[(rtype, name)]

    def grants(self) -> dict[tuple[str, str], Body]:
        """Every `*_iam_member` grant; a for_each one's instances under `name["key"]`, each with
        the values of its entry in the resource's local map in place of `each.value.x`."""
        found: dict[tuple[str, str], Body] = {}
        for (rtype, name), body in self.resources.items():
            if not rtype.endswith("_iam_member"):
                continue
            if "for_each" not in body:
                found[(rtype, name)] = body
                continue
            for key, entry in self.grant_entries(body).items():
                fields = {k: instance(v, entry) for k, v in body.items() if k != "for_each"}
                found[(rtype, f'{name}["{key}"]')] = fields
        return found

    def grant_entries(self, body: Body) -> dict[str, Body]:
        """The entries of the local map a for_each grant resource grants."""
        return dict(self.locals[ref(body["for_each"]).removeprefix("local.")])

    def grant(self, rtype: str, name: str) -> Body:
        """The grant `name`, or the instance of a for_each grant keyed `name`."""
        found = {
            n.removeprefix('grant["').removesuffix('"]'): b
            for (t, n), b in self.grants().items()
            if t == rtype
        }
        assert name in found, f"missing grant {rtype} {name}"
        return found[name]

    def function(self, name: str) -> Body:
        """An entry of local.functions as its module instance gets it (its `like` merged in)."""
        entry = self.locals["functions"][name]
        like = self.locals["function_kinds"].get(entry.get("like"), {})
        return {**like, **entry}

    def default(self, expression: str) -> Any:
        """The default of `${var.x}`, which must exist."""
        name = ref(expression).removeprefix("var.")
        assert name in self.variables, f"{expression} is not a variable"
        return self.variables[name].get("default")

    def all_text(self) -> str:
        return "\n".join(self.text.values())


def ref(value: Any) -> str:
    """`${google_x.y.z}` -> `google_x.y.z`; anything else fails the test."""
    match = REF.match(value) if isinstance(value, str) else None
    assert match, f"expected a plain reference, got {value!r}"
    return match.group(1)


def instance(value: Any, entry: Body) -> Any:
    """A for_each resource's argument for one entry: `each.value.x` replaced by the entry's x."""
    if not isinstance(value, str):
        return value
    whole = re.fullmatch(r"\$\{each\.value\.(\w+)\}", value)
    if whole:
        return entry[whole.group(1)]
    return re.sub(r"each\.value\.(\w+)", lambda m: json.dumps(entry[m.group(1)]), value)


def dynamic_blocks(body: Body, name: str, over: str = "") -> Body:
    """The one `dynamic "name"` block of a body (of those named so, the one whose for_each
    mentions `over`)."""
    found = [
        entry[name]
        for entry in body.get("dynamic", [])
        if name in entry and over in entry[name]["for_each"]
    ]
    assert len(found) == 1, f"expected one dynamic {name} block over {over!r}"
    return dict(found[0])


def block(body: Body, name: str) -> Body:
    """The single nested block `name` of a body."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one {name} block"
    assert isinstance(blocks[0], dict)
    return blocks[0]


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config(INFRA)


@pytest.fixture(scope="module")
def functions(cfg: Config) -> dict[str, Body]:
    """The two pipeline functions' entries of local.functions (the watchdog's are checked at the
    end of this file, the upload function's in test_infra_uploads.py, the reads function's in
    test_infra_reads.py, the deletion function's in test_infra_deletion.py)."""
    found = cfg.locals["functions"]
    corrections = {"corrections", "corrections_carry"}  # test_infra_corrections.py
    assert set(found) - {"batch_poll"} == {  # batch_poll: test_infra_batch.py
        "transcribe",
        "store",
        "transcribe_clip",
        "uploads",
        "reads",
        "deletion",
    } | corrections | set(WATCH_FUNCTIONS)
    assert cfg.calls["function"]["for_each"] == "${local.functions}"
    return {name: cfg.function(name) for name in ("transcribe", "store")}


@pytest.fixture(scope="module")
def module(cfg: Config) -> Body:
    """modules/function's function, which every entry of local.functions instantiates."""
    return cfg.modules["function"][("google_cloudfunctions2_function", "this")]


# --- terraform fmt and checkov -------------------------------------------------------------------


def test_terraform_fmt_check() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        # A developer machine may lack terraform; CI machines have it, so there a skip would hide
        # an unchecked format.
        if os.environ.get("CI"):
            pytest.fail("terraform binary not installed, but CI is set: install terraform 1.11")
        pytest.skip("terraform binary not installed")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", "infra"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}"


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    """One checkov run per session over infra/ (no network: --skip-download)."""
    checkov = Path(os.environ.get("TABSCRIBE_CHECKOV", REPO / ".venv-infra" / "bin" / "checkov"))
    if not checkov.exists():
        pytest.fail(f"{checkov} not found: run `make infra-venv` (or set TABSCRIBE_CHECKOV)")
    command = [str(checkov), "-d", "infra", "--framework", "terraform", "--compact"]
    result = subprocess.run(
        [*command, "--skip-download", "-o", "json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    assert result.returncode in (0, 1), f"checkov crashed:\n{result.stderr[-4000:]}"
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    return dict(terraform)


def test_checkov_reports_no_failed_checks(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert summary["failed"] == 0 and not failed, "\n".join(failed)
    assert summary["parsing_errors"] == 0
    # It really looked at the configuration.
    assert summary["resource_count"] >= 40
    assert summary["passed"] >= 40


def test_checkov_skips_are_inline_with_a_reason(
    cfg: Config, checkov_report: dict[str, Any]
) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    for check in skipped:
        reason = check["check_result"].get("suppress_comment") or ""
        assert len(reason) >= 40, (
            f"{check['check_id']} on {check['resource']} skipped without reason"
        )
    inline = re.findall(r"#checkov:skip=(CKV2?_[A-Z]+_\d+):(.*)", cfg.all_text())
    # A skip in a for_each resource stands for each of its instances.
    reasons = {(c["check_id"], c["check_result"]["suppress_comment"].strip()) for c in skipped}
    assert reasons == {(check, reason.strip()) for check, reason in inline}, (
        "every skip must be an inline #checkov:skip=ID:reason"
    )
    assert all(len(reason.strip()) >= 40 for _, reason in inline)


# --- Trigger and functions -----------------------------------------------------------------------


def test_transcribe_trigger_is_upload_bucket_finalize_with_retries(
    cfg: Config, functions: dict[str, Body], module: Body
) -> None:
    trigger = functions["transcribe"]["trigger"]
    assert cfg.locals[ref(trigger["event_type"]).removeprefix("local.")] == FINALIZED
    assert trigger["retry_policy"] == "RETRY_POLICY_RETRY"
    assert ref(trigger["bucket"]) == 'google_storage_bucket.this["uploads"].name'
    assert "uploads" in cfg.locals["buckets"]
    (dynamic,) = module["dynamic"]
    content = dynamic["event_trigger"]["content"][0]
    (filters,) = content["dynamic"]
    assert filters["event_filters"]["content"][0]["attribute"] == "bucket"
    # Explicit trigger identity (it would default to the Compute Engine default account).
    assert content["service_account_email"] == "${var.trigger_account}"
    trigger_account = ref(cfg.calls["function"]["trigger_account"])
    assert trigger_account == 'google_service_account.this["trigger"].email'
    # store is fed by the push subscription, not by a trigger of its own.
    assert "trigger" not in functions["store"]


def test_results_never_go_to_the_triggering_bucket(cfg: Config) -> None:
    env = cfg.locals["common_env"]
    assert ref(env["TABSCRIBE_RESULTS_BUCKET"]) == 'google_storage_bucket.this["results"].name'
    assert cfg.locals["buckets"]["uploads"]["name"] != cfg.locals["buckets"]["results"]["name"]
    assert cfg.default("${var.input_prefix}") == "uploads/"
    assert cfg.default("${var.output_prefix}") == "results/"


def test_one_distinct_service_account_per_function(cfg: Config, functions: dict[str, Body]) -> None:
    runtime = {name: ref(body["account"]) for name, body in functions.items()}
    assert runtime == {
        "transcribe": 'google_service_account.this["transcribe"].email',
        "store": 'google_service_account.this["store"].email',
    }
    assert cfg.resource("google_service_account", "this")["for_each"] == (
        "${local.service_accounts}"
    )
    accounts = cfg.locals["service_accounts"]
    trigger = ref(cfg.calls["function"]["trigger_account"])
    push = ref(cfg.calls["push"]["push_account"])
    builds = {ref(cfg.calls["function"]["build"]["account"])}
    used = [*runtime.values(), trigger, push]
    assert len(set(used)) == len(used), "runtime, trigger and push identities must all differ"
    assert builds == {'google_service_account.this["build"].id'}
    # The ids are the keys: distinct.
    assert cfg.resource("google_service_account", "this")["account_id"] == (
        "${var.name_prefix}-${each.key}"
    )
    for name in {*(u.split('"')[1] for u in used), "build"}:
        assert name in accounts


def test_no_default_service_accounts(cfg: Config) -> None:
    text = cfg.all_text()
    assert "compute@developer.gserviceaccount.com" not in text
    assert "appspot.gserviceaccount.com" not in text
    assert "@cloudbuild.gserviceaccount.com" not in text
    for key, value in walk(cfg.resources):
        if key in {"service_account_email", "service_account"}:
            assert ref(value).startswith("google_service_account."), value


def test_no_primitive_or_authoritative_roles(cfg: Config) -> None:
    roles = [value for key, value in walk(list(cfg.grants().values())) if key == "role"]
    assert len(roles) >= 15
    for role in roles:
        assert isinstance(role, str) and role.startswith("roles/"), f"role must be literal: {role}"
        assert role not in PRIMITIVE_ROLES
    assert not re.search(r"roles/(owner|editor|viewer)\b", cfg.all_text())
    # Authoritative bindings/policies would remove grants made by others in the project.
    for rtype, _ in cfg.resources:
        assert not re.search(r"_iam_(binding|policy)$", rtype), rtype


def test_every_grant_says_why(cfg: Config) -> None:
    """A comment above each grant resource, or above each entry of the map a for_each one grants."""
    keys = {
        key
        for (rtype, _), body in cfg.resources.items()
        if rtype.endswith("_iam_member") and "for_each" in body
        for key in cfg.grant_entries(body)
    }
    grants = 0
    for name, text in cfg.text.items():
        lines = text.splitlines()
        for number, line in enumerate(lines):
            entry = re.match(r"\s*(\w+)\s*=\s*\{", line)
            if re.match(r'resource "google_\w+_iam_member"', line) or (entry and entry[1] in keys):
                grants += 1
                above = lines[number - 1].strip() if number else ""
                if "for_each" in lines[number + 1]:
                    continue  # its entries say why
                assert above.startswith("#"), f"{name}:{number + 1}: grant without a comment"
    assert grants >= 15 + len(keys) // 2


def test_function_runtime_roles_are_least_privilege(cfg: Config) -> None:
    def grants_of(account: str) -> set[tuple[str, str]]:
        member = f"${{local.account.{account}}}"
        found = set()
        for body in cfg.grants().values():
            if body.get("member") == member:
                target = next(
                    (body[k] for k in ("bucket", "topic", "secret_id", "name") if k in body),
                    "project",
                )
                found.add((body["role"], target))
        return found

    assert grants_of("transcribe") == {
        ("roles/storage.objectViewer", '${google_storage_bucket.this["uploads"].name}'),
        ("roles/storage.objectUser", '${google_storage_bucket.this["results"].name}'),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["results"].name}'),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["clips"].name}'),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["events"].name}'),  # enriched
        ("roles/datastore.user", "project"),
        ("roles/aiplatform.user", "project"),
        (
            "roles/secretmanager.secretAccessor",
            "${google_secret_manager_secret.gemini_api_key[0].secret_id}",
        ),
    }
    assert grants_of("store") == {
        ("roles/datastore.user", "project"),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["events"].name}'),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["clips"].name}'),  # voices, enrich
        ("roles/storage.objectUser", '${google_storage_bucket.this["results"].name}'),
    }
    assert grants_of("trigger") == {("roles/eventarc.eventReceiver", "project")}
    assert grants_of("watch") == {
        ("roles/datastore.user", "project"),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["events"].name}'),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["redrive"].name}'),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["clips"].name}'),  # enrichments
        ("roles/storage.objectViewer", '${google_storage_bucket.this["uploads"].name}'),
    }
    assert grants_of("corrections") == {  # test_infra_corrections.py
        ("roles/datastore.user", "project"),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["events"].name}'),
        ("roles/storage.objectUser", '${google_storage_bucket.this["results"].name}'),
    }
    assert grants_of("push") == set()
    # Who calls each function: its one invoker, granted run.invoker on it by modules/function.
    invokers = {name: cfg.function(name)["invoker"] for name in cfg.locals["functions"]}
    assert invokers == {
        "transcribe": "${local.account.trigger}",
        "transcribe_redrive": "${local.account.trigger}",
        "watch_dead_letter": "${local.account.trigger}",
        "watch_sweep": "${local.account.trigger}",
        "batch_poll": "${local.account.trigger}",
        "store": "${local.account.push}",
        "transcribe_clip": "${local.account.push}",
        "uploads": "allUsers",  # test_infra_uploads.py
        "reads": "allUsers",  # test_infra_reads.py
        "corrections": "allUsers",  # test_infra_corrections.py
        "corrections_carry": "${local.account.trigger}",
        "deletion": "allUsers",  # test_infra_deletion.py
    }
    grant = cfg.modules["function"][("google_cloud_run_v2_service_iam_member", "invoker")]
    assert (grant["role"], grant["member"]) == ("roles/run.invoker", "${var.function.invoker}")
    assert ref(grant["name"]) == "google_cloudfunctions2_function.this.name"
    # Mode-specific grants exist only in their mode.
    assert cfg.resource("google_project_iam_member", "transcribe_aiplatform_user")["count"] == (
        "${local.developer_mode ? 0 : 1}"
    )
    assert cfg.resource("google_secret_manager_secret_iam_member", "transcribe_api_key")[
        "count"
    ] == ("${local.developer_mode ? 1 : 0}")


def test_service_agents_are_ready_before_the_functions(
    cfg: Config, functions: dict[str, Body]
) -> None:
    gcs = cfg.resource("google_project_iam_member", "gcs_agent_pubsub_publisher")
    assert gcs["role"] == "roles/pubsub.publisher"
    assert "data.google_storage_project_service_account.gcs.email_address" in gcs["member"]
    assert ("google_storage_project_service_account", "gcs") in cfg.data
    sleep = cfg.resource("time_sleep", "service_agents_ready")
    assert "${google_project_iam_member.gcs_agent_pubsub_publisher}" in sleep["depends_on"]
    assert "${google_project_iam_member.eventarc_agent}" in sleep["depends_on"]
    assert "${time_sleep.service_agents_ready}" in cfg.calls["function"]["depends_on"]


def test_build_account_reads_the_function_sources(cfg: Config) -> None:
    own = cfg.grant("google_storage_bucket_iam_member", "build_source_reader")
    assert (own["role"], ref(own["bucket"])) == (
        "roles/storage.objectViewer",
        'google_storage_bucket.this["source"].name',
    )
    # Cloud Functions builds from its own copy in gcf-v2-sources-*: a project-level grant, but
    # conditioned on those buckets only.
    copies = cfg.resource("google_project_iam_member", "build_gcf_sources_reader")
    assert copies["role"] == "roles/storage.objectViewer"
    assert copies["member"] == "${local.account.build}"
    assert block(copies, "condition")["expression"] == (
        'resource.name.startsWith("projects/_/buckets/gcf-v2-sources-")'
    )


def test_pubsub_agent_mints_the_push_and_trigger_tokens(cfg: Config) -> None:
    accounts = {
        ref(body["service_account_id"])
        for (rtype, _), body in cfg.grants().items()
        if rtype == "google_service_account_iam_member"
        and body["role"] == "roles/iam.serviceAccountTokenCreator"
        and body["member"] == "${local.agent.pubsub}"
    }
    # The push subscription to store and Eventarc's storage trigger both push with OIDC tokens.
    assert accounts == {
        'google_service_account.this["push"].name',
        'google_service_account.this["trigger"].name',
    }


def test_entry_points_exist_in_main_py(functions: dict[str, Body]) -> None:
    entry_points = {name: body["entry_point"] for name, body in functions.items()}
    assert entry_points == {"transcribe": "transcribe_upload", "store": "store_transcription"}
    main_py = (REPO / "main.py").read_text(encoding="utf-8")
    for entry_point in entry_points.values():
        assert re.search(rf"^def {entry_point}\b", main_py, re.MULTILINE), (
            f"main.py does not define {entry_point}"
        )


def test_functions_are_internal_sized_and_bounded(
    cfg: Config, functions: dict[str, Body], module: Body
) -> None:
    service = block(module, "service_config")
    assert block(module, "build_config")["runtime"] == "python311"
    assert service["min_instance_count"] == 0 and service["max_instance_request_concurrency"] == 1
    assert service["ingress_settings"] == "${var.function.ingress}"
    defaults = (INFRA / "modules/function/variables.tf").read_text(encoding="utf-8")
    assert 'ingress       = optional(string, "ALLOW_INTERNAL_ONLY")' in defaults
    for name in cfg.locals["functions"]:
        assert cfg.function(name).get("ingress", "ALLOW_INTERNAL_ONLY") == (
            "ALLOW_ALL"
            if name in ("uploads", "reads", "corrections", "deletion")
            else "ALLOW_INTERNAL_ONLY"
        )
    transcribe, store = functions["transcribe"], functions["store"]
    assert cfg.default(transcribe["timeout"]) == 540
    assert 60 <= cfg.default(store["timeout"]) <= 300
    assert transcribe["max_instances"] == "${var.gemini_max_concurrent_requests}"


# --- Environment ---------------------------------------------------------------------------------


def accepted_env_names() -> set[str]:
    prefix = str(Settings.model_config.get("env_prefix", "")).upper()
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(f"{prefix}{field_name}".upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            assert isinstance(alias, AliasChoices), f"{field_name}: unexpected alias {alias!r}"
            names.update(str(choice).upper() for choice in alias.choices)
    return names


def env_of(cfg: Config, function: Body) -> dict[str, Any]:
    """The environment of an entry of local.functions, its locals merged."""
    expression = function["env"]
    match = re.fullmatch(r"\$\{(?:merge\(((?:local\.\w+(?:, )?)+)\)|(local\.\w+))\}", expression)
    assert match, f"environment_variables must be a local or merge locals: {expression}"
    env: dict[str, Any] = {}
    for name in re.findall(r"local\.(\w+)", match.group(1) or match.group(2)):
        assert isinstance(cfg.locals[name], dict)
        env.update(cfg.locals[name])
    return env


def test_environment_names_are_settings_fields(cfg: Config, functions: dict[str, Body]) -> None:
    accepted = accepted_env_names()
    assert {"GOOGLE_CLOUD_PROJECT", "TABSCRIBE_RESULTS_TOPIC", "GEMINI_API_KEY"} <= accepted
    common = {
        "GOOGLE_CLOUD_PROJECT",
        "TABSCRIBE_INPUT_PREFIX",
        "TABSCRIBE_OUTPUT_PREFIX",
        "TABSCRIBE_RESULTS_BUCKET",
        "TABSCRIBE_RESULTS_TOPIC",
        "TABSCRIBE_CLIPS_TOPIC",
        "TABSCRIBE_EVENTS_TOPIC",
        "TABSCRIBE_FIRESTORE_DATABASE",
        "TABSCRIBE_LOG_LEVEL",
    }
    # Only the transcriber talks to Gemini (and gets the API key in developer mode), and only it
    # has a time budget.
    gemini = {
        "TABSCRIBE_LOCATION",
        "TABSCRIBE_GEMINI_MODE",
        "TABSCRIBE_MODEL",
        "TABSCRIBE_TIME_BUDGET_S",
    }
    # The daily caps (decision 0019): the transcriber checks what the upload function reserved.
    caps = {"TABSCRIBE_CAP_USER_MEDIA_H", "TABSCRIBE_CAP_USER_USD", "TABSCRIBE_CAP_PROJECT_USD"}
    # Batch mode (decision 0032): the transcriber adds requests to batches.
    batch = {"TABSCRIBE_BATCH_PREFIXES", "TABSCRIBE_BATCH_MAX", "TABSCRIBE_BATCH_WAIT_S"}
    expected = {"transcribe": common | gemini | caps | batch, "store": common}
    for name, body in functions.items():
        env = env_of(cfg, body)
        assert set(env) == expected[name], name
        assert set(env) <= accepted, set(env) - accepted
    # Topics are passed as short ids, from the topic resources.
    env = cfg.locals["common_env"]
    assert ref(env["TABSCRIBE_RESULTS_TOPIC"]) == 'google_pubsub_topic.this["results"].name'
    assert ref(env["TABSCRIBE_EVENTS_TOPIC"]) == 'google_pubsub_topic.this["events"].name'
    assert ref(env["TABSCRIBE_CLIPS_TOPIC"]) == 'google_pubsub_topic.this["clips"].name'


def resolve(cfg: Config, value: Any, variables: dict[str, Any]) -> str:
    """An environment value as the function would see it: `${var.x}` and `${tostring(var.x - n)}`
    from the variable (given or default), any other reference or interpolation a placeholder."""
    text = str(value)
    if match := re.fullmatch(r"\$\{var\.(\w+)\}", text):
        name = match.group(1)
        return str(variables[name] if name in variables else cfg.variables[name]["default"])
    if match := re.fullmatch(r"\$\{jsonencode\(var\.(\w+)\)\}", text):
        name = match.group(1)
        return json.dumps(variables.get(name, cfg.variables[name]["default"]))
    if match := re.fullmatch(r"\$\{tostring\(var\.(\w+) - (\d+)\)\}", text):
        return str(cfg.variables[match.group(1)]["default"] - int(match.group(2)))
    return "placeholder-value" if "${" in text else text


def secret_env_names(function: Body, gemini_mode: str) -> set[str]:
    """Names of the function's Secret Manager environment variables in this mode."""
    secrets = function.get("secrets")
    if secrets is None:
        return set()
    match = re.fullmatch(r"\$\{local\.developer_mode \? \{(\w+) = [^}]+\} : \{\}\}", secrets)
    assert match, secrets
    return {match.group(1)} if gemini_mode == "developer" else set()


@pytest.mark.parametrize("gemini_mode", ["vertex", "developer"])
@pytest.mark.parametrize("name", ["transcribe", "store"])
def test_each_function_starts_with_its_environment(
    cfg: Config,
    functions: dict[str, Body],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    gemini_mode: str,
) -> None:
    """Settings validates at import time: a function whose environment it rejects never starts
    (e.g. developer mode without GEMINI_API_KEY)."""
    variables = {"project_id": "my-project", "gemini_mode": gemini_mode}
    env = {
        key: resolve(cfg, value, variables) for key, value in env_of(cfg, functions[name]).items()
    }
    for secret in secret_env_names(functions[name], gemini_mode):
        env[secret] = "placeholder-secret"
    for variable in accepted_env_names():
        monkeypatch.delenv(variable, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.project == "my-project"
    if name == "transcribe":
        assert settings.gemini_mode == gemini_mode
        assert settings.model == cfg.default("${var.gemini_model}")
        assert settings.time_budget_s == 480


def test_api_key_only_from_secret_manager_in_developer_mode(
    cfg: Config, functions: dict[str, Body], module: Body
) -> None:
    assert "secrets" not in functions["store"]
    assert secret_env_names(functions["transcribe"], "developer") == {"GEMINI_API_KEY"}
    assert secret_env_names(functions["transcribe"], "vertex") == set()
    assert "GEMINI_API_KEY" in accepted_env_names()
    assert (
        "google_secret_manager_secret.gemini_api_key[0].secret_id"
        in (functions["transcribe"]["secrets"])
    )
    (dynamic,) = block(module, "service_config")["dynamic"]
    secret = dynamic["secret_environment_variables"]
    assert secret["for_each"] == "${var.function.secrets}"
    (content,) = secret["content"]
    assert content["key"] == "${secret_environment_variables.key}"
    assert content["secret"] == "${secret_environment_variables.value}"
    assert cfg.resource("google_secret_manager_secret", "gemini_api_key")["count"] == (
        "${local.developer_mode ? 1 : 0}"
    )
    assert "google_secret_manager_secret_version" not in {t for t, _ in cfg.resources}
    assert "TABSCRIBE_GEMINI_API_KEY" not in cfg.all_text()


def test_the_clip_function_is_the_transcriber_on_the_clips_topic(
    cfg: Config, functions: dict[str, Body]
) -> None:
    """transcribe_clip: the transcriber's code, identity, environment and timeout (decision 0010);
    its own instance cap; fed by its push subscription (checked with the store's above)."""
    clip = cfg.function("transcribe_clip")
    transcribe = functions["transcribe"]
    assert clip["entry_point"] == "transcribe_clip"
    assert re.search(r"^def transcribe_clip\b", (REPO / "main.py").read_text(), re.MULTILINE)
    for key in ("account", "timeout", "memory", "secrets", "env"):
        assert clip[key] == transcribe[key], key
    assert clip["max_instances"] == "${var.gemini_max_concurrent_clips}"
    assert "trigger" not in clip


def test_time_budget_is_below_the_timeout(cfg: Config, functions: dict[str, Body]) -> None:
    body = functions["transcribe"]
    timeout = body["timeout"]
    budget = env_of(cfg, body)["TABSCRIBE_TIME_BUDGET_S"]
    match = re.fullmatch(r"\$\{tostring\((var\.\w+) - (\d+)\)\}", budget)
    assert match, budget
    assert f"${{{match.group(1)}}}" == timeout, "budget not derived from the timeout"
    assert int(match.group(2)) >= 15
    transcribe_timeout = cfg.default(functions["transcribe"]["timeout"])
    assert transcribe_timeout - 60 == 480


# --- Pub/Sub ------------------------------------------------------------------------------------


PUSH_SUBSCRIPTIONS = [  # (subscription, its topic, the function it pushes to)
    ("store", "results", "store"),
    ("clip", "clips", "transcribe_clip"),
]


@pytest.fixture(scope="module")
def push_module(cfg: Config) -> Body:
    """modules/push_subscription's subscription, which every push subscription instantiates."""
    return cfg.modules["push_subscription"][("google_pubsub_subscription", "this")]


@pytest.mark.parametrize(("name", "topic", "function"), PUSH_SUBSCRIPTIONS)
def test_push_subscriptions_with_oidc_retry_and_dead_letter(
    cfg: Config, push_module: Body, name: str, topic: str, function: str
) -> None:
    call = cfg.calls["push"]
    assert call["for_each"] == "${local.push_subscriptions}"
    sub = cfg.locals["push_subscriptions"][name]
    assert ref(sub["topic"]) == f'google_pubsub_topic.this["{topic}"].id'
    assert sub["function"] == function and function in cfg.locals["functions"]
    assert call["endpoint"] == "${module.function[each.value.function].uri}"
    push = block(push_module, "push_config")
    assert push["push_endpoint"] == "${var.endpoint}"
    oidc = block(push, "oidc_token")
    assert oidc == {"service_account_email": "${var.push_account}", "audience": "${var.endpoint}"}
    assert ref(call["push_account"]) == 'google_service_account.this["push"].email'

    assert 10 <= cfg.default(sub["timeout"]) <= 600
    assert call["ack_deadline_seconds"] == "${each.value.timeout}"
    assert push_module["ack_deadline_seconds"] == "${var.ack_deadline_seconds}"
    assert sub["timeout"] == cfg.function(function)["timeout"], (
        "the ack deadline is the push timeout: keep it equal to the function's"
    )
    retry = block(push_module, "retry_policy")
    assert retry["minimum_backoff"] == "10s" and retry["maximum_backoff"] == "600s"

    dead_letter = block(push_module, "dead_letter_policy")
    assert dead_letter["dead_letter_topic"] == "${var.dead_letter_topic}"
    assert ref(call["dead_letter_topic"]) == 'google_pubsub_topic.this["dead_letter"].id'
    assert 5 <= cfg.default(call["max_delivery_attempts"]) <= 100
    assert block(push_module, "expiration_policy")["ttl"] == ""
    # its function is called by the push identity only (modules/function's invoker grant)
    assert cfg.function(function)["invoker"] == "${local.account.push}"


def test_pubsub_agent_can_dead_letter(cfg: Config) -> None:
    agent = "${local.agent.pubsub}"
    agents = cfg.locals["agent"]  # each service agent's member
    assert (
        "google_project_service_identity.this" in agents
        and "serviceAccount:${agent.email}" in agents
    )
    publisher = cfg.grant("google_pubsub_topic_iam_member", "dead_letter_publisher_pubsub_agent")
    assert publisher["role"] == "roles/pubsub.publisher"
    assert ref(publisher["topic"]) == 'google_pubsub_topic.this["dead_letter"].name'
    assert agent in publisher["member"]
    assert agent in cfg.calls["push"]["pubsub_agent"]
    subscriber = cfg.modules["push_subscription"][
        ("google_pubsub_subscription_iam_member", "dead_letter_ack")
    ]
    assert subscriber["role"] == "roles/pubsub.subscriber"
    assert ref(subscriber["subscription"]) == "google_pubsub_subscription.this.name"
    assert subscriber["member"] == "${var.pubsub_agent}"


def test_dead_letters_are_kept(cfg: Config) -> None:
    holders = [
        body
        for body in cfg.of_type("google_pubsub_subscription").values()
        if body["topic"] == '${google_pubsub_topic.this["dead_letter"].id}'
    ]
    assert len(holders) == 1
    assert holders[0]["message_retention_duration"] == "604800s"
    assert block(holders[0], "expiration_policy")["ttl"] == ""
    assert "push_config" not in holders[0]


# --- Storage ------------------------------------------------------------------------------------


def test_buckets_are_private_versioned_and_logged(cfg: Config) -> None:
    """One resource makes every bucket: what it sets, it sets on each."""
    body = cfg.resource("google_storage_bucket", "this")
    assert body["for_each"] == "${local.buckets}"
    buckets = cfg.locals["buckets"]
    assert set(buckets) == {"uploads", "results", "source", "logs"}
    names = {bucket["name"] for bucket in buckets.values()}
    assert names == {"uploads", "results", "source", "access-logs"}
    assert body["name"] == "${var.project_id}-${var.name_prefix}-${each.value.name}"
    assert body["uniform_bucket_level_access"] is True
    assert body["public_access_prevention"] == "enforced"
    assert block(body, "versioning")["enabled"] is True
    assert body["location"] == "${var.region}"
    (noncurrent,) = body["lifecycle_rule"]
    assert block(noncurrent, "condition")["days_since_noncurrent_time"] == (
        '${lookup(each.value, "noncurrent_days", var.noncurrent_version_retention_days)}'
    )
    assert block(noncurrent, "action")["type"] == "Delete"
    # Every bucket logs to the log bucket, but the log bucket itself.
    logging = dynamic_blocks(body, "logging")
    assert logging["for_each"] == '${lookup(each.value, "logged", true) ? [each.key] : []}'
    assert logging["content"][0]["log_bucket"] == "${local.log_bucket_name}"
    assert cfg.locals["log_bucket_name"].endswith("-${local.buckets.logs.name}")
    assert [key for key, bucket in buckets.items() if bucket.get("logged", True) is False] == [
        "logs"
    ]
    # Results expire after results_retention_days, under output_prefix, live versions.
    expire = dynamic_blocks(body, "lifecycle_rule", "expire")
    assert block(expire["content"][0], "condition") == {
        "age": "${lifecycle_rule.value.age}",
        "matches_prefix": '${lookup(lifecycle_rule.value, "prefix", null)}',
        "with_state": '${lookup(lifecycle_rule.value, "state", null)}',
    }
    assert buckets["results"]["expire"] == {
        "age": "${var.results_retention_days}",
        "prefix": ["${var.output_prefix}"],
        "state": "LIVE",
    }


def test_source_archive_is_content_hashed(cfg: Config, module: Body) -> None:
    obj = cfg.resource("google_storage_bucket_object", "source")
    assert obj["name"] == "source-${data.archive_file.source.output_md5}.zip"
    assert ref(obj["bucket"]) == 'google_storage_bucket.this["source"].name'
    storage = block(block(block(module, "build_config"), "source"), "storage_source")
    assert storage["object"] == "${var.build.object}"
    assert ref(cfg.calls["function"]["build"]["object"]) == (
        "google_storage_bucket_object.source.name"
    )
    archive = cfg.data[("archive_file", "source")]
    assert "source_dir" not in archive, "package an explicit file list, not a directory"
    (dynamic,) = archive["dynamic"]
    assert dynamic["source"]["for_each"] == "${local.source_files}"


def expand(patterns: list[str]) -> set[str]:
    """Terraform fileset() semantics for the patterns used here (`**` = any depth)."""
    files: set[str] = set()
    for pattern in patterns:
        glob = pattern + "/*" if pattern.endswith("/**") else pattern
        files.update(p.relative_to(REPO).as_posix() for p in REPO.glob(glob) if p.is_file())
        if "/**/" in pattern:  # `**` also matches no directory at all
            files.update(
                p.relative_to(REPO).as_posix()
                for p in REPO.glob(pattern.replace("/**/", "/"))
                if p.is_file()
            )
    return files


def test_archive_holds_only_what_the_functions_need(cfg: Config) -> None:
    includes = cfg.locals["source_includes"]
    assert includes == ["main.py", "requirements.txt", "functions/**"]
    # A byte-compiled file is what a developer's checkout has after any test run.
    cache = REPO / "functions" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "probe.cpython-311.pyc").write_bytes(b"\0")
    try:
        packaged = expand(includes) - expand(cfg.locals["source_excludes"])
    finally:
        (cache / "probe.cpython-311.pyc").unlink()
    assert {
        "main.py",
        "requirements.txt",
        "functions/core/settings.py",
        "functions/core/models.toml",
    } <= packaged
    for path in packaged:
        assert path in {"main.py", "requirements.txt"} or path.startswith("functions/"), path
        assert "__pycache__" not in path and not path.endswith(".pyc"), path
    assert not any(
        path.startswith(("tests/", "infra/", ".venv", "docs/", ".git", "bench/"))
        for path in packaged
    )


# --- Firestore ----------------------------------------------------------------------------------


def test_firestore_database_ttl_and_index_exemptions(cfg: Config) -> None:
    database = cfg.resource("google_firestore_database", "main")
    assert database["type"] == "FIRESTORE_NATIVE"
    assert database["deletion_policy"] == "ABANDON"
    ttl = {
        (value["collection"], value["field"])
        for value in cfg.locals["firestore_ttl_fields"].values()
    }
    written = {  # the tombstones and settled batches the functions give an `expire_at`
        (DELETIONS, EXPIRE_AT),
        (BATCHES, EXPIRE_AT),
        (BATCH_LINES, EXPIRE_AT),
    }
    assert ttl == {("transcriptions", EXPIRE_AT), ("pages", EXPIRE_AT), *written}
    exemptions = {
        (value["collection"], value["field"])
        for value in cfg.locals["firestore_index_exemptions"].values()
    }
    assert exemptions == {
        ("transcriptions", "lease"),
        ("transcriptions", "issues"),
        ("transcriptions", "plan"),
        ("transcriptions", "speakers"),
        ("transcriptions", "live_page"),
        ("transcriptions", "store"),
        ("pages", "segments"),
        ("pending", "chunk"),
        ("batch_lines", "request"),
        ("batch_lines", "prompt"),
        ("batch_lines", "plan"),
    }
    exemption = cfg.resource("google_firestore_field", "index_exemption")
    assert exemption["for_each"] == (
        "${merge(local.firestore_ttl_fields, local.firestore_index_exemptions)}"
    )
    assert exemption["index_config"] == [{}], "an empty index_config disables the indexes"
    # The TTL policy on the TTL fields only.
    (dynamic,) = exemption["dynamic"]
    assert dynamic["ttl_config"]["for_each"] == (
        "${contains(keys(local.firestore_ttl_fields), each.key) ? [each.key] : []}"
    )


def test_firestore_rules_are_released_and_closed_to_writes(cfg: Config) -> None:
    ruleset = cfg.resource("google_firebaserules_ruleset", "firestore")
    files = block(block(ruleset, "source"), "files")
    assert files["content"] == '${file("${path.module}/../firestore.rules")}'
    release = cfg.resource("google_firebaserules_release", "firestore")
    assert "google_firebaserules_ruleset.firestore.name" in release["ruleset_name"]
    rules = (REPO / "firestore.rules").read_text(encoding="utf-8")
    assert "rules_version = '2';" in rules
    assert "signedInAs(resource.data.owner)" in rules  # behaviour: test_firestore_rules.py
    assert "get(/databases/$(database)/documents/transcriptions/$(id)).data.owner" in rules
    assert not re.search(r"allow[^;]*write[^;]*:\s*if\s+(true|request\.auth)", rules)
    # transcriptions, pages, translations and their pages, history
    assert rules.count("allow write: if false;") == 5


# --- Providers, APIs, variables, pipeline --------------------------------------------------------


def test_providers_are_pinned_and_backend_is_gcs(cfg: Config) -> None:
    (terraform,) = cfg.terraform
    (providers,) = terraform["required_providers"]
    assert {"google", "google-beta", "archive", "time"} <= set(providers)
    for name, spec in providers.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec["version"]), f"{name} must be pinned exactly"
    assert providers["google"]["version"] == providers["google-beta"]["version"]
    assert providers["google"]["version"].startswith("6.")
    (backend,) = terraform["backend"]
    assert "gcs" in backend


def test_required_apis_are_enabled(cfg: Config) -> None:
    services = cfg.all_text()
    for api in (
        "cloudfunctions",
        "run",
        "eventarc",
        "pubsub",
        "firestore",
        "storage",
        "aiplatform",
        "cloudbuild",
        "artifactregistry",
        "secretmanager",
        "generativelanguage",
        "firebaserules",
        "cloudresourcemanager",
    ):
        assert f'"{api}.googleapis.com"' in services, api


def test_variables_are_typed_described_and_validated(cfg: Config) -> None:
    assert len(cfg.variables) >= 20
    for name, body in cfg.variables.items():
        assert "type" in body, name
        assert len(body.get("description", "")) >= 20, name
        if body.get("type") in ("${string}", "${number}") and name != "project_id":
            assert "validation" in body, f"{name} has no validation"


def test_cloudbuild_tests_then_plans_then_applies() -> None:
    text = (REPO / "cloudbuild.yaml").read_text(encoding="utf-8")
    order = [
        text.find("pytest"),
        text.find("- init"),
        text.find("-backend-config=bucket=${_TF_STATE_BUCKET}"),
        text.find("- plan"),
        text.find("-out=tfplan"),
        text.find("- apply"),
    ]
    assert all(position >= 0 for position in order), order
    assert order == sorted(order), "steps must run tests, init, plan, then apply the saved plan"
    assert re.search(r"^\s+_REGION:", text, re.MULTILINE)
    assert re.search(r"^\s+_TF_STATE_BUCKET:", text, re.MULTILINE)


# --- The watchdog (docs/decisions/0009-watchdog.md) ---------------------------------------------


def test_watchdog_functions_are_fed_by_pubsub_triggers_under_their_identities(cfg: Config) -> None:
    main_py = (REPO / "main.py").read_text(encoding="utf-8")
    for name, (entry_point, account, topic) in WATCH_FUNCTIONS.items():
        body = cfg.function(name)
        assert body["entry_point"] == entry_point
        assert re.search(rf"^def {entry_point}\b", main_py, re.MULTILINE), entry_point
        assert ref(body["account"]) == f'google_service_account.this["{account}"].email'
        assert "ingress" not in body  # the module's default: internal only
        trigger = body["trigger"]
        assert cfg.locals[ref(trigger["event_type"]).removeprefix("local.")] == MESSAGE_PUBLISHED
        assert ref(trigger["pubsub_topic"]) == f'google_pubsub_topic.this["{topic}"].id'
        assert body["invoker"] == "${local.account.trigger}"
    # the re-drive is retried like a finalize event; a missed sweep tick is not worth retrying
    retries = {name: cfg.function(name)["trigger"]["retry_policy"] for name in WATCH_FUNCTIONS}
    assert retries == {
        "transcribe_redrive": "RETRY_POLICY_RETRY",
        "watch_dead_letter": "RETRY_POLICY_RETRY",
        "watch_sweep": "RETRY_POLICY_DO_NOT_RETRY",
    }


def test_the_scheduler_ticks_the_sweep_topic(cfg: Config) -> None:
    job = cfg.resource("google_cloud_scheduler_job", "sweep")
    assert ref(block(job, "pubsub_target")["topic_name"]) == 'google_pubsub_topic.this["sweep"].id'
    assert job["schedule"] == "${var.sweep_schedule}" and cfg.default(job["schedule"])
    grant = cfg.grant("google_pubsub_topic_iam_member", "sweep_publisher_scheduler_agent")
    assert (grant["role"], ref(grant["topic"])) == (
        "roles/pubsub.publisher",
        'google_pubsub_topic.this["sweep"].name',
    )
    assert grant["member"] == "${local.agent.scheduler}"
    assert '"cloudscheduler.googleapis.com"' in cfg.all_text()


def test_watchdog_environment_starts_its_settings(
    cfg: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("watch_dead_letter", "watch_sweep"):
        assert set(env_of(cfg, cfg.function(name))) <= accepted_env_names()
    env = cfg.locals["watch_env"]
    assert ref(env["TABSCRIBE_REDRIVE_TOPIC"]) == 'google_pubsub_topic.this["redrive"].name'
    assert env["TABSCRIBE_STALL_S"] == "${tostring(var.stall_seconds)}"
    # the sweep leaves a published run to Pub/Sub for as long as the store's push may retry it
    horizon = env["TABSCRIBE_DELIVERY_HORIZON_S"]
    assert horizon == "${tostring(var.max_delivery_attempts * (600 + var.store_timeout_seconds))}"
    retry = block(
        cfg.modules["push_subscription"][("google_pubsub_subscription", "this")], "retry_policy"
    )
    assert retry["maximum_backoff"] == "600s"
    stall = cfg.default("${var.stall_seconds}")
    attempts, timeout = (
        cfg.default("${var.max_delivery_attempts}"),
        cfg.default("${var.store_timeout_seconds}"),
    )
    for variable in accepted_env_names():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    monkeypatch.setenv("TABSCRIBE_STALL_S", str(stall))
    monkeypatch.setenv("TABSCRIBE_DELIVERY_HORIZON_S", str(attempts * (600 + timeout)))
    settings = Settings()
    assert settings.stall_s == stall > 120  # longer than a lease
    assert settings.delivery_horizon_s == 7200
