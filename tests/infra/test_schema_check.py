"""`make infra-check` (infra/schema): infra/ passes against the pinned google providers' schema,
and a copy with one planted mistake in a real block fails, naming the file, the line and the
schema's words. The schema comes from infra/schema/node_modules (`make infra-check` installs it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infra.schema import provider
from infra.schema.check import Finding, check
from tests.paths import ROOT

INFRA = ROOT / "infra"


@pytest.fixture(scope="module", autouse=True)
def _schema_installed() -> None:
    if not (provider.MODULES / "provider-google" / "package.json").exists():
        pytest.fail("the provider schema is not installed: run `make infra-check`")


def planted(tmp_path: Path, file: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of infra/ with `old` replaced once by `new` in `file`; the line `new` starts on."""
    copy = tmp_path / "infra"
    shutil.copytree(INFRA, copy, ignore=shutil.ignore_patterns("schema", ".terraform", ".build"))
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return copy, text[: text.index(old)].count("\n") + 1


def only(findings: list[Finding]) -> str:
    assert len(findings) == 1, "\n".join(map(str, findings))
    return str(findings[0])


def test_infra_passes_the_schema_check() -> None:
    assert check(INFRA) == []


def test_a_misspelled_argument_is_named_with_the_schema_words(tmp_path: Path) -> None:
    copy, line = planted(
        tmp_path,
        "storage.tf",
        '      log_object_prefix = "${logging.value}-bucket/"',
        '      log_object_prefx  = "${logging.value}-bucket/"',
    )
    finding = only(check(copy))
    assert finding.startswith(f"infra/storage.tf:{line}: google_storage_bucket.this.logging: ")
    assert 'no argument "log_object_prefx"' in finding
    assert 'did you mean "log_object_prefix"' in finding
    assert "arguments here: log_bucket, log_object_prefix" in finding


def test_a_missing_required_argument_is_named_with_the_schema_words(tmp_path: Path) -> None:
    old = '  topic                      = google_pubsub_topic.this["dead_letter"].id\n'
    copy, _ = planted(tmp_path, "pubsub.tf", old, "")
    text = (copy / "pubsub.tf").read_text(encoding="utf-8").splitlines()
    line = text.index('resource "google_pubsub_subscription" "dead_letter" {') + 1
    finding = only(check(copy))
    assert finding.startswith(f"infra/pubsub.tf:{line}: google_pubsub_subscription.dead_letter: ")
    assert 'the required argument "topic" is missing (google 6.50.0 schema: "A reference' in finding


def test_a_block_at_the_wrong_depth_is_named_where_it_belongs(tmp_path: Path) -> None:
    # The buckets' noncurrent-version rule with its condition one level too high.
    days = 'lookup(each.value, "noncurrent_days", var.noncurrent_version_retention_days)'
    old = f"""  lifecycle_rule {{
    condition {{
      days_since_noncurrent_time = {days}
      with_state                 = "ARCHIVED"
    }}
    action {{"""
    new = f"""  condition {{
    days_since_noncurrent_time = {days}
    with_state                 = "ARCHIVED"
  }}
  lifecycle_rule {{
    action {{"""
    copy, line = planted(tmp_path, "storage.tf", old, new)
    findings = sorted(map(str, check(copy)))
    assert findings[0] == (
        f"infra/storage.tf:{line}: google_storage_bucket.this: the google 6.50.0 schema has no "
        'block "condition" here; it belongs in lifecycle_rule; blocks here: autoclass, cors, '
        "custom_placement_config, encryption, hierarchical_namespace, ip_filter, lifecycle_rule, "
        "logging, retention_policy, soft_delete_policy, timeouts, versioning, website"
    )
    # ... and the rule it left lacks its required condition.
    assert 'lifecycle_rule: the required block "condition" is missing' in findings[1]


# (file, text of a real block, planted in its place, the one finding: {line} is the planted line's)
PLANTED = {
    "a computed attribute set": (
        "pubsub.tf",
        "  retain_acked_messages      = true\n",
        "  effective_labels           = {}\n",
        'infra/pubsub.tf:{line}: google_pubsub_subscription.dead_letter: "effective_labels" '
        "is computed by the provider (google 6.50.0): not settable",
    ),
    "a reference to nothing declared": (
        "pubsub.tf",
        '  topic                      = google_pubsub_topic.this["dead_letter"].id\n',
        '  topic                      = google_pubsub_topic.these["dead_letter"].id\n',
        "infra/pubsub.tf:{line}: google_pubsub_topic.these is not declared "
        '(did you mean "google_pubsub_topic.this"?)',
    ),
    "an attribute the resource does not have": (
        "outputs.tf",
        "  value       = google_firebase_hosting_site.viewer.default_url\n",
        "  value       = google_firebase_hosting_site.viewer.default_uri\n",
        "infra/outputs.tf:{line}: google_firebase_hosting_site.viewer has no attribute "
        'default_uri (did you mean "default_url"?)',
    ),
    "an attribute after an index computed from each.value": (
        "iam.tf",
        "  topic   = google_pubsub_topic.this[each.value.topic].name\n",
        "  topic   = google_pubsub_topic.this[each.value.topic].nme\n",
        'infra/iam.tf:{line}: google_pubsub_topic.this has no attribute nme (did you mean "name"?)',
    ),
    "a block the schema allows once, twice": (
        "storage.tf",
        '  dynamic "logging" {',
        '  versioning {\n    enabled = false\n  }\n  dynamic "logging" {',
        "infra/storage.tf:{line}: google_storage_bucket.this: the google 6.50.0 schema allows "
        "one versioning block",
    ),
    "a block written as an argument": (
        "pubsub.tf",
        '  expiration_policy {\n    ttl = "" # never expires, however long no one reads it\n  }',
        '  expiration_policy = { ttl = "" }',
        'infra/pubsub.tf:{line}: google_pubsub_subscription.dead_letter: "expiration_policy" '
        "is a block in the google 6.50.0 schema: write expiration_policy {{ … }}",
    ),
    "a misspelled argument in a module": (
        "modules/function/main.tf",
        "    entry_point       = var.function.entry_point",
        "    entry_pont        = var.function.entry_point",
        "infra/modules/function/main.tf:{line}: google_cloudfunctions2_function.this.build_config: "
        'the google 6.50.0 schema has no argument "entry_pont" here (did you mean "entry_point"?); '
        "arguments here: docker_repository, entry_point, environment_variables, runtime, "
        "service_account, worker_pool",
    ),
    "a module argument that is not its variable": (
        "functions.tf",
        '  trigger_account = google_service_account.this["trigger"].email\n',
        '  trigger_acount  = google_service_account.this["trigger"].email\n'
        '  trigger_account = google_service_account.this["trigger"].email\n',
        'infra/functions.tf:{line}: module.function: "trigger_acount" is not a variable of '
        'function (did you mean "trigger_account"?)',
    ),
    "a move to nothing": (
        "moved.tf",
        'moved {\n  from = google_pubsub_subscription.clip_push\n  to   = module.push["clip"]'
        ".google_pubsub_subscription.this\n",
        'moved {\n  from = google_pubsub_subscription.clip_push\n  to   = module.push["clip"]'
        ".google_pubsub_subscription.that\n",
        'infra/moved.tf:{line}: moved to module.push["clip"].google_pubsub_subscription.that, '
        "which is not declared",
    ),
}


@pytest.mark.parametrize("mistake", PLANTED)
def test_a_planted_mistake_is_named_with_its_line(tmp_path: Path, mistake: str) -> None:
    file, old, new, expected = PLANTED[mistake]
    copy, line = planted(tmp_path, file, old, new)
    assert only(check(copy)) == expected.format(line=line)


def test_the_schema_must_be_of_the_pinned_provider_version(tmp_path: Path) -> None:
    copy, _ = planted(
        tmp_path,
        "versions.tf",
        'version = "6.50.0"\n    }\n    # For',
        'version = "6.51.0"\n    }\n    # For',
    )
    with pytest.raises(
        provider.SchemaError, match=r"pins google 6\.51\.0, but .* is generated from 6\.50\.0"
    ):
        check(copy)


def test_every_old_function_and_subscription_address_is_moved() -> None:
    moved = (INFRA / "moved.tf").read_text(encoding="utf-8")
    old = [
        *(
            f"google_cloudfunctions2_function.{name}"
            for name in (
                "transcribe",
                "store",
                "clip",
                "transcribe_redrive",
                "watch_dead_letter",
                "watch_sweep",
                "uploads",
            )
        ),
        "google_pubsub_subscription.store_push",
        "google_pubsub_subscription.clip_push",
    ]
    for address in old:
        assert f"from = {address}\n" in moved, address


def test_the_extraction_reads_the_struct_files_of_the_largest_resources() -> None:
    """cdktf splits the nested blocks of its largest resources (google_container_cluster) into
    index-structs/structs*.js: without them those blocks would look empty."""
    schema = provider.load({"google": "6.50.0"})["google"]["resource"]
    cluster = schema["google_container_cluster"]
    assert cluster["attributes"]["name"]["required"]
    assert "disk_size_gb" in cluster["blocks"]["node_config"]["body"]["attributes"]
    function = schema["google_cloudfunctions2_function"]
    assert set(function["blocks"]["service_config"]["body"]["computed"]) == {"gcf_uri", "uri"}
    assert function["blocks"]["build_config"]["single"]
    assert not function["blocks"]["event_trigger"]["body"]["blocks"]["event_filters"]["single"]
