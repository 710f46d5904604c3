"""One typed settings object for both functions, read once from the environment.

Every variable is prefixed `TABSCRIBE_` except the platform's own (`GOOGLE_CLOUD_PROJECT`) and the
conventional `GEMINI_API_KEY`. Terraform (`infra/functions.tf`) sets the same names.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from functions.core.catalog import Price, catalog
from functions.core.documents import PAGE_SEGMENTS
from functions.core.media import translate_codes

HEARTBEATS_PER_LEASE = 4  # a lease survives three missed renewals


class SettingsError(RuntimeError):
    """Raised at start-up when the environment does not describe a usable configuration."""


def catalog_prices() -> dict[str, tuple[Price, ...]]:
    """The catalog's list prices by model ID (matched as the longest prefix of a model name),
    each model's with their effective dates."""
    return {m.id: m.prices for m in catalog().models.values() if m.prices}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TABSCRIBE_", extra="ignore", frozen=True)

    project: str = Field(
        default="",
        validation_alias=AliasChoices("GOOGLE_CLOUD_PROJECT", "TABSCRIBE_PROJECT"),
        description="Google Cloud project id.",
    )
    location: str = Field(
        default="us-central1",
        description="Preferred Vertex AI location; a model not served there (the Gemini 3 "
        "previews: global only) is called at its first catalog location.",
    )
    gemini_mode: Literal["vertex", "developer"] = Field(
        default="vertex",
        description="vertex: gs:// URI, service-account auth (needs GOOGLE_CLOUD_PROJECT); "
        "developer: API key + Files API (needs GEMINI_API_KEY).",
    )
    gemini_api_key: str = Field(
        default="",
        validation_alias=AliasChoices("GEMINI_API_KEY", "TABSCRIBE_GEMINI_API_KEY"),
        repr=False,
        description="the Gemini Developer API key (developer mode).",
    )
    gemini_base_url: str = Field(
        default="", description="Override the Gemini endpoint (the local stand-in)."
    )
    model: str = Field(
        default_factory=lambda: catalog().default,
        min_length=1,
        description="the model that transcribes (default: the catalog's); a catalog model that "
        "is still served (decision 0006).",
    )
    allowed_models: tuple[str, ...] = Field(
        default_factory=lambda: tuple(catalog().served()),
        description="Models an uploader may pick through the `model` metadata key (JSON list; "
        "each a catalog model that is still served; default: every one of them).",
    )

    input_prefix: str = Field(
        default="uploads/",
        pattern=r"^[^/].*/$",
        description="objects under it are transcribed, `<prefix><owner>/<file>`; the upload "
        "function signs URLs under it; must not overlap the output prefix",
    )
    ownerless_uploads: Literal["reject", "transcribe"] = Field(
        default="reject",
        description="an object directly under the input prefix has no owner, so no app user "
        "can read its transcript: reject it before any model call, or transcribe it for "
        "server-side readers",
    )
    output_prefix: str = Field(
        default="results/",
        pattern=r"^[^/].*/$",
        description="where a transcription's objects go in the results bucket "
        "(`<prefix><id>/`: claim checks, the voices reel, exports)",
    )
    results_bucket: str = Field(
        default="", description="Bucket for claim checks and exports; empty: the upload bucket."
    )
    results_topic: str = Field(
        default="tabscribe-results",
        description="where the transcriber publishes its results chunks for the store",
    )
    clips_topic: str = Field(
        default="tabscribe-clips",
        description="where a long upload's run publishes its clips (decision 0010)",
    )
    events_topic: str = Field(
        default="tabscribe-events",
        description="where the completion event goes (completed, failed, blocked, rejected)",
    )
    redrive_topic: str = Field(
        default="tabscribe-redrive",
        description="where the watchdog's sweep re-drives a stalled upload: the transcriber "
        "takes the storage object's data from it as it does from a finalize event",
    )
    firestore_database: str = Field(
        default="(default)", description="the Firestore database of the transcriptions"
    )

    upload_bucket: str = Field(
        default="",
        description="the bucket of the uploads: the upload function signs PUT URLs to it, the "
        "reads function GET URLs to its media (the HTTP functions only)",
    )
    upload_origins: tuple[str, ...] = Field(
        default=(),
        description="origins allowed to call the HTTP functions apps call (upload, reads, "
        "corrections, deletion) from a browser (CORS; JSON list, e.g. the viewer's)",
    )
    signed_url_endpoint: str = Field(
        default="https://storage.googleapis.com",
        description="where signed URLs point: Cloud Storage; locally the stack's signed-URL "
        "gateway in front of the storage emulator",
    )
    signed_url_s: float = Field(
        default=900.0,
        ge=1,
        le=7 * 24 * 3600,  # a V4 signed URL's longest life
        description="how long a signed URL lives (the upload's PUT, the reads' GET); the viewer "
        "asks for a new one when its player's has lapsed",
    )
    signing_key_file: str = Field(
        default="",
        description="local only: a service-account key file to sign upload and read URLs with; "
        "empty (deployed): sign through the IAM Credentials API as the function's own account",
    )

    allowed_users: tuple[str, ...] = Field(
        default=(),
        description="who may upload through the upload function (JSON list): email addresses "
        "(`ana@example.com`) and domains (`example.com`) of verified Firebase accounts; empty: "
        "anyone who can sign in (decision 0019)",
    )
    cap_user_media_h: float = Field(
        default=2.0,
        ge=0,
        description="media hours a user may upload per UTC day; 0: no cap (decision 0019)",
    )
    cap_user_usd: float = Field(
        default=2.0,
        ge=0,
        description="estimated cost (USD, list prices) a user's uploads may reach per UTC day; "
        "0: no cap",
    )
    cap_project_usd: float = Field(
        default=25.0,
        ge=0,
        description="estimated cost (USD, list prices) all uploads together may reach per UTC "
        "day; 0: no cap",
    )

    time_budget_s: float = Field(
        default=480.0,
        gt=0,
        le=3600,
        description="seconds one invocation has from its start to the end of its answer "
        "(probe, Files API upload, retries and the streamed call); past it the answer is cut "
        "off (`TIME_BUDGET`) and goes on in a continuation, if any are allowed",
    )
    lease_s: float = Field(
        default=120.0,
        ge=20,
        description="how long a claim stays live without a heartbeat; the holder renews it "
        "every lease_s / 4, so a dead invocation's claim is free again within this time",
    )
    max_attempts: int = Field(
        default=6,
        ge=1,
        description="model calls for one object generation (in-process retries and platform "
        "redeliveries together) before it ends failed with the last error",
    )
    max_event_age_s: float = Field(
        default=3 * 3600.0,
        gt=0,
        description="an upload event older than this is recorded failed instead of transcribed "
        "(stale events are not retried)",
    )
    stall_s: float = Field(
        default=900.0,
        ge=10,
        description="the watchdog's sweep ends a `processing` transcription whose lease has "
        "expired and whose document has not changed for this long (re-driven once, then failed)",
    )
    delivery_horizon_s: float = Field(
        default=7200.0,
        ge=10,
        description="how long Pub/Sub may still be retrying a results chunk before it is "
        "dead-lettered: the sweep leaves a run whose final chunk is out alone this long (the "
        "dead-letter consumer ends it first if a chunk is lost)",
    )
    events: bool = Field(
        default=False,
        description="ask for the sound events table (decision 0025) unless an upload's `events`"
        " metadata says otherwise",
    )
    translate: tuple[str, ...] = Field(
        default=(),
        description="languages to translate every transcript into (decision 0026; JSON list of "
        "ISO 639 codes the model catalog lists) unless an upload's `translate` metadata says "
        "otherwise",
    )
    chapters: bool = Field(
        default=False,
        description="ask for the chapters and the summary of every transcript (decision 0026) "
        "unless an upload's `chapters` metadata says otherwise",
    )
    enrich_stall_s: float = Field(
        default=900.0,
        ge=60,
        description="the watchdog's sweep re-drives an enrichment still `processing` this long "
        "after it was asked (its task published again, once), then fails it",
    )
    enrich_model: str = Field(
        default="",
        description="the model of the enrichments' text requests (decision 0026); empty: the "
        "model that transcribed the run. A catalog model that is still served.",
    )
    enrich_parallel: int = Field(
        default=4,
        ge=1,
        le=16,
        description="requests of one translation sent at once (a long transcript is translated "
        "in parts of consecutive rows)",
    )
    enrich_part_rows: int = Field(
        default=60,
        ge=10,
        le=5000,
        description="rows of the transcript one translation request carries at most (fewer when "
        "the answer would not fit well within the model's output limit); smaller parts sent in "
        "parallel finish sooner (decision 0028)",
    )
    clip_threshold_s: float = Field(
        default=900.0,
        gt=0,
        description="media longer than this is transcribed as parallel clips (decision 0010); "
        "shorter media is one request; at least TABSCRIBE_CLIP_S",
    )
    clip_s: float = Field(
        default=600.0,
        ge=60,
        description="nominal clip length; at most the model catalog's video length per prompt",
    )
    clip_overlap_s: float = Field(
        default=20.0,
        ge=0,
        le=120,
        description="seconds two consecutive clips share; at most a quarter of TABSCRIBE_CLIP_S",
    )
    clip_first_s: float = Field(
        default=120.0,
        ge=0,
        le=2700,
        description="the first clip's length, short so the first rows show within seconds "
        "(decision 0010); 0: every clip of equal length; else at least twice the overlap",
    )
    max_media_s: float = Field(
        default=12 * 3600.0,
        gt=0,
        description="media longer than this (by its header, or its declared `duration`) is "
        "rejected before any model call (decision 0020)",
    )
    max_clips: int = Field(
        default=100,
        ge=1,
        le=999,
        description="media whose clip plan has more clips than this is rejected before any "
        "model call (decision 0020); at most 999, what a clip task's index allows",
    )
    min_bitrate_bps: float = Field(
        default=1000.0,
        gt=0,
        description="the lowest bitrate media is taken at: a duration longer than the object's "
        "size holds at this many bits a second is rejected (decision 0020; the bundled "
        "samples: 2,300 and more)",
    )
    voice_snippet_s: float = Field(
        default=6.0,
        ge=0,
        le=30,
        description="the voices pass hears each voice of a clipped transcript this long, to join "
        "voices the merge could not (decision 0010); 0: no voices pass",
    )
    flush_rows: int = Field(
        default=PAGE_SEGMENTS,
        ge=1,
        description="rows per chunk of a fast stream; a page's worth, so the store writes each "
        "segment once (a full page) instead of rewriting the growing page",
    )
    flush_interval_s: float = Field(
        default=2.0,
        gt=0,
        description="a slow stream's chunk is due after this many seconds with at least one "
        "row, so rows show while the model writes",
    )
    loop_repeats: int = Field(
        default=12,
        ge=0,
        le=1000,
        description="the same transcript row, or a cycle of up to 4 rows (A, B, A, B …), this "
        "many times in a row (or a phrase four times as often in one line) is a repetition loop: "
        "the stream stops, the repeats are dropped (functions/format/repetition.py); 0: no guard",
    )
    continuations: int = Field(
        default=8,
        ge=0,
        le=50,
        description="a cut-off run (output limit, time budget, repetition loop) goes on in at "
        "most this many follow-up requests (decision 0013); 0: it ends incomplete",
    )
    continuation_stalls: int = Field(
        default=2,
        ge=1,
        le=10,
        description="continuations stop, the rest recorded as a gap, after this many in a row "
        "that transcribed nothing new",
    )
    continuation_overlap_s: float = Field(
        default=20.0,
        ge=0,
        le=120,
        description="a continuation's media starts this long before the last row, to match "
        "the voices",
    )
    max_message_bytes: int = Field(
        default=256_000,
        ge=1024,
        le=500_000,
        description="a results message larger than this carries its text in an object of the "
        "results bucket instead (a claim check)",
    )
    max_output_chars: int = Field(
        default=2_000_000,
        ge=1000,
        description="a model answer past this many characters is cut off (`OUTPUT_CAP`)",
    )
    batch_prefixes: tuple[str, ...] = Field(
        default=(),
        description="uploads under one of these folders of an owner's (JSON list, e.g. "
        '`["archive/"]`: `uploads/<owner>/archive/…`) go to Gemini\'s batch service at half '
        "price, as `priority=batch` metadata asks (decision 0032)",
    )
    batch_max: int = Field(
        default=100,
        ge=1,
        le=10_000,
        description="a batch is submitted once it holds this many requests (decision 0031)",
    )
    batch_wait_s: float = Field(
        default=900.0,
        ge=0,
        description="… or once it has waited this long since its first request (sealed by the "
        "scheduled `batch_poll`)",
    )
    batch_lease_s: float = Field(
        default=300.0,
        ge=5,
        description="how long a submitter (or a finished job's reader) holds a batch; one that "
        "died is taken over after this, and finds the job it may have created (decision 0031)",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="the functions' log level (JSON lines)"
    )
    prices: dict[str, tuple[Price, ...]] = Field(
        default_factory=catalog_prices,
        description="USD per million tokens by model-name prefix, for the cost estimate: one "
        "price, or a list with `effective` dates (default: the catalog's list prices).",
    )

    def duration_bound_s(self, size: int) -> float:
        """The longest `size` bytes of media may play: at `min_bitrate_bps`, at most
        `max_media_s` (the bound on a length nobody told, decisions 0019 and 0020)."""
        return min(size * 8 / self.min_bitrate_bps, self.max_media_s)

    @field_validator("prices", mode="before")
    @classmethod
    def _one_price_or_a_list(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {k: [v] if isinstance(v, dict) else v for k, v in value.items()}

    @field_validator("allowed_users")
    @classmethod
    def _addresses_or_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        entries = tuple(entry.strip().lower() for entry in value)
        bad = [e for e in entries if e.count("@") > 1 or e.startswith("@") or "." not in e]
        if bad:
            raise ValueError(f"not an email address or domain: {bad}")
        return entries

    @field_validator("translate")
    @classmethod
    def _languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(translate_codes(",".join(value)))

    @property
    def heartbeat_s(self) -> float:
        """How often a run renews its lease."""
        return self.lease_s / HEARTBEATS_PER_LEASE

    @model_validator(mode="after")
    def _check_models(self) -> Settings:
        """Only catalog models that are still served: a retired model fails every upload."""
        problems = [catalog().refusal(self.model, "TABSCRIBE_MODEL")]
        problems += [catalog().refusal(m, "TABSCRIBE_ALLOWED_MODELS") for m in self.allowed_models]
        if self.enrich_model:
            problems.append(catalog().refusal(self.enrich_model, "TABSCRIBE_ENRICH_MODEL"))
        found = [p for p in problems if p]
        if found:
            raise ValueError("; ".join(dict.fromkeys(found)))
        return self

    @model_validator(mode="after")
    def _check_mode(self) -> Settings:
        if self.gemini_mode == "developer" and not self.gemini_api_key:
            raise ValueError("TABSCRIBE_GEMINI_MODE=developer needs GEMINI_API_KEY")
        if self.gemini_mode == "vertex" and not self.project:
            raise ValueError("TABSCRIBE_GEMINI_MODE=vertex needs GOOGLE_CLOUD_PROJECT")
        if self.input_prefix.startswith(self.output_prefix) or self.output_prefix.startswith(
            self.input_prefix
        ):
            raise ValueError("TABSCRIBE_INPUT_PREFIX and TABSCRIBE_OUTPUT_PREFIX must not overlap")
        if self.clip_overlap_s * 4 > self.clip_s:
            raise ValueError("TABSCRIBE_CLIP_OVERLAP_S must be at most a quarter of the clip")
        if 0 < self.clip_first_s < 2 * self.clip_overlap_s:
            raise ValueError("TABSCRIBE_CLIP_FIRST_S must be 0 or at least twice the overlap")
        if self.clip_threshold_s < self.clip_s:
            raise ValueError("TABSCRIBE_CLIP_THRESHOLD_S must be at least TABSCRIBE_CLIP_S")
        return self

    @model_validator(mode="after")
    def _check_clip_limit(self) -> Settings:
        """A clip is one prompt: no longer than any usable model takes a video with audio."""
        models = [catalog().get(m) for m in {self.model, *self.allowed_models}]
        limits = [(m.limits.video_s_with_audio, m.id) for m in models if m is not None]
        if limits and self.clip_s > min(limits)[0]:
            most_s, model = min(limits)
            raise ValueError(
                f"TABSCRIBE_CLIP_S ({self.clip_s:g} s) is longer than {model} takes in one "
                f"prompt ({most_s:g} s of video with audio, the model catalog's limit)"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once; a bad environment fails here with every problem named."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid Tabscribe configuration: {problems}") from None
