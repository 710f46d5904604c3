"""Offline checks of the corrections function's Terraform (infra/corrections.tf, read from the
HCL): its own identity and least grants, a public endpoint that checks tokens itself, and the
environment its Settings start with."""

from __future__ import annotations

import re

import pytest

from functions.core.settings import Settings
from tests.infra.test_infra import INFRA, Config, accepted_env_names, env_of, ref

ACCOUNT = "${local.account.corrections}"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config(INFRA)


def test_it_runs_as_its_own_account_from_main_py(cfg: Config) -> None:
    body = cfg.function("corrections")
    assert body["entry_point"] == "correct_transcription"
    assert ref(body["account"]) == 'google_service_account.this["corrections"].email'
    assert body["ingress"] == "ALLOW_ALL" and body["invoker"] == "allUsers"
    assert "trigger" not in body
    assert "def correct_transcription(" in (INFRA.parent / "main.py").read_text(encoding="utf-8")


def test_the_carry_over_runs_as_the_same_account_on_the_completion_events(cfg: Config) -> None:
    body = cfg.function("corrections_carry")
    assert body["entry_point"] == "carry_corrections"
    assert body["account"] == cfg.function("corrections")["account"]
    assert body["env"] == cfg.function("corrections")["env"]
    assert body["invoker"] == "${local.account.trigger}" and "ingress" not in body
    trigger = body["trigger"]
    assert ref(trigger["pubsub_topic"]) == 'google_pubsub_topic.this["events"].id'
    assert trigger["retry_policy"] == "RETRY_POLICY_RETRY"
    assert "def carry_corrections(" in (INFRA.parent / "main.py").read_text(encoding="utf-8")


def test_its_grants_are_the_documents_the_exports_and_the_event_only(cfg: Config) -> None:
    grants = {
        name.removeprefix('grant["').removesuffix('"]'): body
        for (_, name), body in cfg.grants().items()
        if body["member"] == ACCOUNT
    }
    assert {name: body["role"] for name, body in grants.items()} == {
        "corrections_datastore_user": "roles/datastore.user",
        "corrections_results_user": "roles/storage.objectUser",
        "corrections_events_publisher": "roles/pubsub.publisher",
    }
    assert ref(grants["corrections_results_user"]["bucket"]) == (
        'google_storage_bucket.this["results"].name'
    )
    assert grants["corrections_events_publisher"]["topic"] == (
        '${google_pubsub_topic.this["events"].name}'
    )


def test_its_environment_starts_its_settings(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_of(cfg, cfg.function("corrections"))
    assert set(env) <= accepted_env_names()
    store = env_of(cfg, cfg.function("store"))  # the exports it rewrites, the events it joins
    for name in (
        "TABSCRIBE_RESULTS_BUCKET",
        "TABSCRIBE_OUTPUT_PREFIX",
        "TABSCRIBE_EVENTS_TOPIC",
        "TABSCRIBE_FIRESTORE_DATABASE",
    ):
        assert env[name] == store[name], name
    assert env["TABSCRIBE_UPLOAD_ORIGINS"] == "${jsonencode(local.upload_origins)}"
    for variable in accepted_env_names():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    assert Settings().events_topic  # starts with nothing but the project


def test_the_url_is_an_output_and_in_the_viewer_s_config(cfg: Config) -> None:
    outputs = cfg.text["outputs.tf"]
    assert re.search(r'value\s+=\s+module\.function\["corrections"\]\.url', outputs)
    assert re.search(
        r'corrections\s+=\s+module\.function\["corrections"\]\.url', outputs
    )  # in viewer_config
