"""Offline checks of batch mode's Terraform (decision 0032; infra/batch.tf, read from the HCL): the
poll is the transcriber's code and identity on the sweep's tick, the transcriber's functions get
the batch settings, and in Vertex mode the Vertex AI service agent reads and writes the batches'
JSONL in the results bucket and reads the uploads, nothing else."""

from __future__ import annotations

import re

import pytest

from tests.infra.test_infra import INFRA, MESSAGE_PUBLISHED, Config, accepted_env_names, env_of, ref


@pytest.fixture(scope="module")
def cfg() -> Config:
    return Config(INFRA)


def test_the_poll_is_the_transcriber_on_the_sweep_s_tick(cfg: Config) -> None:
    poll, clip = cfg.function("batch_poll"), cfg.function("transcribe_clip")
    assert poll["entry_point"] == "batch_poll" and poll["like"] == clip["like"] == "transcriber"
    assert re.search(r"^def batch_poll\b", (INFRA.parent / "main.py").read_text(), re.MULTILINE)
    trigger = poll["trigger"]
    assert cfg.locals[ref(trigger["event_type"]).removeprefix("local.")] == MESSAGE_PUBLISHED
    assert ref(trigger["pubsub_topic"]) == 'google_pubsub_topic.this["sweep"].id'
    assert trigger["retry_policy"] == "RETRY_POLICY_DO_NOT_RETRY"
    assert poll["invoker"] == "${local.account.trigger}" and "ingress" not in poll
    assert "max_instances" not in poll  # the module's default: one poll at a time


def test_the_transcriber_s_functions_start_with_the_batch_settings(cfg: Config) -> None:
    kind = cfg.locals["function_kinds"]["transcriber"]
    env = env_of(cfg, kind)
    batch = {"TABSCRIBE_BATCH_PREFIXES", "TABSCRIBE_BATCH_MAX", "TABSCRIBE_BATCH_WAIT_S"}
    assert batch <= set(env) and batch <= accepted_env_names()
    assert "local.batch_env" in kind["env"]


def test_the_vertex_agent_gets_the_results_and_uploads_buckets_in_vertex_mode_only(
    cfg: Config,
) -> None:
    agent = cfg.resource("google_project_service_identity", "aiplatform")
    assert agent["count"] == "${local.developer_mode ? 0 : 1}"
    assert agent["service"] == "aiplatform.googleapis.com"
    member = "serviceAccount:${google_project_service_identity.aiplatform[0].email}"
    grants = {
        (ref(body["bucket"]), body["role"], body["member"], body["count"])
        for name in ("batch_agent_results", "batch_agent_uploads")
        for body in [cfg.resource("google_storage_bucket_iam_member", name)]
    }
    vertex_only = "${local.developer_mode ? 0 : 1}"
    assert grants == {
        (
            'google_storage_bucket.this["results"].name',
            "roles/storage.objectUser",
            member,
            vertex_only,
        ),
        (
            'google_storage_bucket.this["uploads"].name',
            "roles/storage.objectViewer",
            member,
            vertex_only,
        ),
    }
