"""Offline checks of the upload function's Terraform (infra/uploads.tf, read from the HCL): its
own identity and grants, signing through IAM, a public endpoint that checks tokens itself, the
environment its Settings start with, and an uploads bucket nobody else can write."""

from __future__ import annotations

import json
import re

import pytest

from functions.core.media import CONTEXT_LIMITS, ENRICHMENT_FLAGS, TRANSLATE
from functions.core.settings import Settings
from functions.uploads.ask import parse
from functions.uploads.signing import signed_headers
from tests.infra.test_infra import (
    INFRA,
    Config,
    accepted_env_names,
    dynamic_blocks,
    env_of,
    ref,
)

ACCOUNT = "${local.account.uploads}"


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config(INFRA)


def test_the_upload_function_runs_as_its_own_account_from_main_py(cfg: Config) -> None:
    body = cfg.function("uploads")
    assert body["entry_point"] == "upload_url"
    assert ref(body["account"]) == 'google_service_account.this["uploads"].email'
    assert body["ingress"] == "ALLOW_ALL" and "trigger" not in body
    assert "def upload_url(" in (INFRA.parent / "main.py").read_text(encoding="utf-8")


def test_its_grants_create_objects_and_sign_as_itself_only(cfg: Config) -> None:
    grants = {
        (rtype, name): body
        for (rtype, name), body in cfg.grants().items()
        if body.get("member") == ACCOUNT
    }
    assert {(body["role"], rtype) for (rtype, _), body in grants.items()} == {
        ("roles/storage.objectCreator", "google_storage_bucket_iam_member"),
        ("roles/iam.serviceAccountTokenCreator", "google_service_account_iam_member"),
        ("roles/datastore.user", "google_project_iam_member"),  # the daily caps' counters
    }
    creator = cfg.grant("google_storage_bucket_iam_member", "uploads_object_creator")
    assert ref(creator["bucket"]) == 'google_storage_bucket.this["uploads"].name'
    signer = cfg.grant("google_service_account_iam_member", "uploads_token_creator_self")
    assert ref(signer["service_account_id"]) == 'google_service_account.this["uploads"].name'
    assert '"iamcredentials.googleapis.com"' in cfg.all_text()


def test_anyone_may_call_it_and_nothing_else_is_public(cfg: Config) -> None:
    public = [
        (rtype, name)
        for (rtype, name), body in cfg.grants().items()
        if body.get("member") in {"allUsers", "allAuthenticatedUsers"}
    ]
    assert public == []
    # modules/function grants run.invoker to each entry's invoker (test_infra.py)
    invokers = {name: cfg.function(name)["invoker"] for name in cfg.locals["functions"]}
    public_functions = [name for name, member in invokers.items() if member.startswith("all")]
    assert public_functions == [
        "uploads",
        "reads",
        "corrections",
        "deletion",
    ]  # each checks the token
    assert invokers["uploads"] == "allUsers"


def test_only_the_upload_function_writes_the_uploads_bucket(cfg: Config) -> None:
    """End users hold no grant on it: they write only through URLs this account signed (the
    deletion function's objectUser deletes an owner's media: test_infra_deletion.py)."""
    on_uploads = {
        body["member"]: body["role"]
        for (rtype, _), body in cfg.grants().items()
        if rtype == "google_storage_bucket_iam_member"
        and body["bucket"] == '${google_storage_bucket.this["uploads"].name}'
    }
    writers = {m for m, role in on_uploads.items() if role != "roles/storage.objectViewer"}
    assert writers == {ACCOUNT, "${local.account.deletion}"}
    bucket = cfg.resource("google_storage_bucket", "this")  # every bucket, uploads too
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["public_access_prevention"] == "enforced"


def test_the_bucket_s_cors_admits_every_header_the_function_signs(cfg: Config) -> None:
    cors = dynamic_blocks(cfg.resource("google_storage_bucket", "this"), "cors")
    assert (
        cors["for_each"] == '${lookup(each.value, "cors", null) == null ? [] : [each.value.cors]}'
    )
    content = cors["content"][0]
    assert content["method"] == ["PUT"] and content["origin"] == "${cors.value.origins}"
    uploads = cfg.locals["buckets"]["uploads"]["cors"]
    assert uploads == {
        "origins": "${local.upload_origins}",
        "headers": "${local.upload_signed_headers}",
    }
    assert [key for key, bucket in cfg.locals["buckets"].items() if "cors" in bucket] == ["uploads"]
    allowed = {h.lower() for h in cfg.locals["upload_signed_headers"]}
    everything = parse(
        {
            "name": "a.mp4",
            "content_type": "video/mp4",
            "size": 1,
            "metadata": {
                **dict.fromkeys(CONTEXT_LIMITS, "x"),
                **dict.fromkeys(ENRICHMENT_FLAGS, "true"),
                TRANSLATE: "fr",
            },
            "duration": 60,
        },
        Settings.model_fields["max_media_s"].default,
    )
    assert {h.lower() for h in signed_headers(everything)} == allowed


def test_its_environment_starts_its_settings(cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_of(cfg, cfg.function("uploads"))
    assert set(env) <= accepted_env_names()
    assert ref(env["TABSCRIBE_UPLOAD_BUCKET"]) == 'google_storage_bucket.this["uploads"].name'
    assert env["TABSCRIBE_UPLOAD_ORIGINS"] == "${jsonencode(local.upload_origins)}"
    assert env["TABSCRIBE_ALLOWED_USERS"] == "${jsonencode(var.allowed_users)}"
    transcriber = env_of(cfg, cfg.function("transcribe"))  # the caps it reserves, it checks
    caps = {name: value for name, value in env.items() if name.startswith("TABSCRIBE_CAP_")}
    assert len(caps) == 3 and all(transcriber[name] == value for name, value in caps.items())
    assert env["TABSCRIBE_MODEL"] == transcriber["TABSCRIBE_MODEL"]  # the prices it estimates
    for variable in accepted_env_names():
        monkeypatch.delenv(variable, raising=False)
    origins = ["https://p-viewer.web.app", "https://p-viewer.firebaseapp.com"]
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    monkeypatch.setenv("TABSCRIBE_UPLOAD_BUCKET", "my-project-tabscribe-uploads")
    monkeypatch.setenv("TABSCRIBE_UPLOAD_ORIGINS", json.dumps(origins))
    settings = Settings()
    assert settings.upload_origins == tuple(origins)
    assert settings.signing_key_file == ""  # deployed: IAM signBlob, never a key
    assert settings.signed_url_endpoint == "https://storage.googleapis.com"


def test_the_viewer_learns_the_function_s_url(cfg: Config) -> None:
    outputs = cfg.text["outputs.tf"]
    assert re.search(r'uploads\s+=\s+module\.function\["uploads"\]\.url', outputs)
