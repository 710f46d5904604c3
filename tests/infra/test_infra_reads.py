"""Offline checks of the reads function's Terraform (infra/reads.tf, read from the HCL): its own
identity, read-only grants on the two buckets and nothing else, signing as itself only, a public
endpoint that checks tokens itself, the environment its Settings start with, and its URL in the
viewer's config."""

from __future__ import annotations

import json
import re

import pytest

from functions.core.settings import Settings
from tests.infra.test_infra import INFRA, Config, accepted_env_names, env_of, ref

ACCOUNT = "${local.account.reads}"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config(INFRA)


def test_the_reads_function_runs_as_its_own_account_from_main_py(cfg: Config) -> None:
    body = cfg.function("reads")
    assert body["entry_point"] == "media_url"
    assert ref(body["account"]) == 'google_service_account.this["reads"].email'
    assert body["ingress"] == "ALLOW_ALL" and body["invoker"] == "allUsers"
    assert "trigger" not in body
    assert "def media_url(" in (INFRA.parent / "main.py").read_text(encoding="utf-8")


def test_it_reads_the_two_buckets_and_its_owner_and_signs_as_itself_only(cfg: Config) -> None:
    def target(body: dict[str, str]) -> str:
        on = body.get("bucket") or body.get("service_account_id")
        return ref(on) if on else "project"

    grants = {
        (body["role"], rtype, target(body))
        for (rtype, _), body in cfg.grants().items()
        if body.get("member") == ACCOUNT
    }
    viewer, bucket = "roles/storage.objectViewer", "google_storage_bucket_iam_member"
    reads = 'google_service_account.this["reads"].name'
    assert grants == {
        (viewer, bucket, 'google_storage_bucket.this["uploads"].name'),
        (viewer, bucket, 'google_storage_bucket.this["results"].name'),
        ("roles/iam.serviceAccountTokenCreator", "google_service_account_iam_member", reads),
        ("roles/datastore.user", "google_project_iam_member", "project"),  # the owner
    }
    signer = cfg.grant("google_service_account_iam_member", "reads_token_creator_self")
    assert ref(signer["service_account_id"]) == 'google_service_account.this["reads"].name'


def test_its_environment_starts_its_settings(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_of(cfg, cfg.function("reads"))
    assert set(env) <= accepted_env_names()
    assert ref(env["TABSCRIBE_UPLOAD_BUCKET"]) == 'google_storage_bucket.this["uploads"].name'
    assert ref(env["TABSCRIBE_RESULTS_BUCKET"]) == 'google_storage_bucket.this["results"].name'
    assert env["TABSCRIBE_UPLOAD_ORIGINS"] == "${jsonencode(local.upload_origins)}"
    store = env_of(cfg, cfg.function("store"))  # where the store writes the exports
    assert env["TABSCRIBE_RESULTS_BUCKET"] == store["TABSCRIBE_RESULTS_BUCKET"]
    assert env["TABSCRIBE_FIRESTORE_DATABASE"] == store["TABSCRIBE_FIRESTORE_DATABASE"]
    for variable in accepted_env_names():
        monkeypatch.delenv(variable, raising=False)
    origins = ["https://p-viewer.web.app"]
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    monkeypatch.setenv("TABSCRIBE_UPLOAD_ORIGINS", json.dumps(origins))
    settings = Settings()
    assert settings.upload_origins == tuple(origins)
    assert settings.signing_key_file == ""  # deployed: IAM signBlob, never a key


def test_the_viewer_learns_the_function_s_url(cfg: Config) -> None:
    outputs = cfg.text["outputs.tf"]
    assert re.search(r'reads\s+=\s+module\.function\["reads"\]\.url', outputs)  # in viewer_config
    assert re.search(r'value\s+=\s+module\.function\["reads"\]\.url', outputs)  # output media_url
