"""Offline checks of the deletion function's Terraform (decision 0024; infra/deletion.tf, read
from the HCL): its own identity with exactly the grants deletion needs, a public endpoint that
checks tokens itself, the environment its Settings start with, and its URL in the viewer's
config."""

from __future__ import annotations

import re

import pytest

from tests.infra.test_infra import INFRA, Config, accepted_env_names, env_of, ref

ACCOUNT = "${local.account.deletion}"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config(INFRA)


def test_the_deletion_function_runs_as_its_own_account_from_main_py(cfg: Config) -> None:
    body = cfg.function("deletion")
    assert body["entry_point"] == "delete_transcription"
    assert ref(body["account"]) == 'google_service_account.this["deletion"].email'
    assert body["ingress"] == "ALLOW_ALL" and body["invoker"] == "allUsers"
    assert "trigger" not in body
    assert "def delete_transcription(" in (INFRA.parent / "main.py").read_text(encoding="utf-8")


def test_its_grants_are_firestore_the_two_buckets_and_the_events_topic(cfg: Config) -> None:
    grants = {
        (body["role"], body.get("bucket") or body.get("topic") or "project")
        for body in cfg.grants().values()
        if body.get("member") == ACCOUNT
    }
    assert grants == {
        ("roles/datastore.user", "project"),
        ("roles/storage.objectUser", '${google_storage_bucket.this["uploads"].name}'),
        ("roles/storage.objectUser", '${google_storage_bucket.this["results"].name}'),
        ("roles/pubsub.publisher", '${google_pubsub_topic.this["events"].name}'),
    }


def test_its_environment_names_the_buckets_topic_and_origins(cfg: Config) -> None:
    env = env_of(cfg, cfg.function("deletion"))
    assert set(env) <= accepted_env_names()
    assert ref(env["TABSCRIBE_RESULTS_BUCKET"]) == 'google_storage_bucket.this["results"].name'
    assert ref(env["TABSCRIBE_EVENTS_TOPIC"]) == 'google_pubsub_topic.this["events"].name'
    assert env["TABSCRIBE_UPLOAD_ORIGINS"] == "${jsonencode(local.upload_origins)}"
    transcriber = env_of(cfg, cfg.function("transcribe"))  # the same prefixes as what it removes
    for name in (
        "TABSCRIBE_INPUT_PREFIX",
        "TABSCRIBE_OUTPUT_PREFIX",
        "TABSCRIBE_FIRESTORE_DATABASE",
    ):
        assert env[name] == transcriber[name]


def test_the_viewer_learns_the_function_s_url(cfg: Config) -> None:
    outputs = cfg.text["outputs.tf"]
    assert re.search(r'deletion\s+=\s+module\.function\["deletion"\]\.url', outputs)
