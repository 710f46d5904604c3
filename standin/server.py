"""The HTTP server: Gemini Developer API, Vertex AI and the Files API, plus /_standin/ control.

In-process use (tests): `stand_in = start(); ...; stand_in.stop()`."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from functions.core.catalog import Mode, Model
from standin import batches, gcs
from standin.authored import Event
from standin.clips import clip_text
from standin.continuation import continuation_text, earlier_rows, is_continuation
from standin.cutoff import past_end_text
from standin.enrichment import asked, enrichment_text, recording_of, unanswered
from standin.errors import ApiError, invalid
from standin.faults import Fault, fault_from_dict, injected_error
from standin.files import FileRecord
from standin.pacing import pace_of
from standin.protocol import (
    FILE_URI,
    JSON,
    Media,
    ModelRequest,
    chars_tokens,
    estimate_usage,
    parse_json_body,
    parse_request,
)
from standin.registry import BUNDLED_DIR, Entry, entry_from_dict
from standin.replay import Plan, answer_chars, merge, plan_response
from standin.rules import (
    Where,
    check_labels,
    check_lengths,
    check_mime,
    check_part_counts,
    model_list,
    served_model,
)
from standin.state import Config, State
from standin.versions import check_fields, version_pattern
from standin.voices import is_voices_pass, listing, recording, reel_s, voices_text
from standin.writer import EVENTS, write_events

VERSION = version_pattern("developer")  # the Files API is the Developer API's
REAL_GEMINI = (
    "use the real Gemini API: set GEMINI_API_KEY for the Gemini Developer API, or "
    "TABSCRIBE_GEMINI_MODE=vertex and GOOGLE_CLOUD_PROJECT with application-default credentials "
    "for Vertex AI, and unset TABSCRIBE_GEMINI_BASE_URL."
)
UNKNOWN_MEDIA = (
    "This is the offline Gemini API stand-in, not Gemini: it only knows the bundled sample media "
    "(and responses registered with it), and {what} is not one of them. To transcribe real media, "
    + REAL_GEMINI
)
NO_ANSWER = (
    "This is the offline Gemini API stand-in, not Gemini: it has no authored answer for {what}. "
    "It answers a text-only request only as an enrichment of the transcript of a recording it "
    "knows (the bundled sample media, and responses registered with it): the translation into a "
    "language authored for it, or its authored chapters and summary. For anything else, "
    + REAL_GEMINI
)
FAULT_HEADER = "X-Standin-Fault"  # per-request fault, JSON like one entry of /_standin/faults


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GeminiStandIn/1"
    server: StandInServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"standin: {self.address_string()} {format % args}\n")

    # -- plumbing -------------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        for route_method, pattern, action in ROUTES:
            match = re.fullmatch(pattern, url.path)
            if match and route_method == method:
                try:
                    action(self, *match.groups())
                except ApiError as exc:
                    self.send_json(exc.code, exc.body())
                except ValueError as exc:  # control API: bad configuration
                    self.send_json(400, invalid(str(exc)).body())
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                except Exception as exc:  # a stand-in bug: say so instead of hanging up
                    self.log_error("stand-in error: %r", exc)
                    message = f"Gemini API stand-in internal error: {exc!r}"
                    self.send_json(500, ApiError(500, message).body())
                return
        self.send_json(404, ApiError(404, f"Method not found: {method} {url.path}").body())

    def send_json(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def json_body(self) -> JSON:
        return parse_json_body(self.body)

    @property
    def state(self) -> State:
        return self.server.state

    # -- auth -----------------------------------------------------------------------------------

    def require_api_key(self) -> None:
        has_bearer = (self.headers.get("Authorization") or "").startswith("Bearer ")
        if not (self.headers.get("x-goog-api-key") or self.query.get("key") or has_bearer):
            raise ApiError(
                403,
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to call "
                "this API.",
            )

    def require_bearer(self) -> None:
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
            )

    # -- model calls ----------------------------------------------------------------------------

    def developer_model(self, version: str, model: str, method: str) -> None:
        self.require_api_key()
        self.model_call("developer", Where(version, method=_method(method)), model, method)

    def vertex_model(
        self, version: str, project: str, location: str, model: str, method: str
    ) -> None:
        self.require_bearer()
        self.project = project
        where = Where(version, project, location, _method(method))
        self.model_call("vertex", where, model, method)

    def model_call(self, mode: Mode, where: Where, model_id: str, method: str) -> None:
        call = self.state.new_call(
            mode=mode, version=where.version, model=model_id, method=method, status=None
        )
        call["server_timeout"] = self.headers.get("X-Server-Timeout")  # the client's deadline ask
        if self.headers.get(batches.BATCH_HEADER):  # a line of that batch job
            call["batch"] = self.headers[batches.BATCH_HEADER]
        if mode == "vertex":
            call["location"] = where.location
        try:
            model = served_model(model_id, mode, where, self.state.config.date())
            check_fields(mode, where.version, self.json_body())
            if mode == "vertex":
                check_labels(self.json_body().get("labels"))
            if method == "countTokens":
                self.count_tokens(mode, model, call)
                return
            self.generate(mode, where, model, method, call)
        except ApiError as exc:
            call.update(status=exc.code, error=exc.message)
            raise
        except (BrokenPipeError, ConnectionResetError):
            call["error"] = "client disconnected"
            raise

    def generate(
        self, mode: Mode, where: Where, model: Model, method: str, call: dict[str, Any]
    ) -> None:
        stream = method == "streamGenerateContent"
        request = parse_request(self.json_body(), mode, model, stream)
        request.location = where.location
        call["generation_config"] = request.generation_config
        call["prompt_chars"] = request.prompt_chars
        call["media"] = [media.view() for media in request.media]
        kinds = [self.kind_of(media) for media in request.media]
        check_part_counts(model, kinds)
        check_lengths(model, spans(request.media, kinds, None))  # the offsets asked for
        fault = self.fault_for_call(request.media[0].start_s if request.media else 0.0)
        call["faults"] = fault.applied()
        time.sleep(fault.first_byte_delay_s / self.state.config.pace_scale)
        if fault.status is not None:
            raise injected_error(fault.status, fault, model.id, where.location)
        entry = self.resolve_media(request, call)
        check_lengths(model, spans(request.media, kinds, entry.duration_s))  # to the media's end
        config = self.state.config
        usage = estimate_usage(request, entry.duration_s, entry.has_video)
        timecodes = fault.clip_timecodes or config.clip_timecodes
        translation_fault = fault.translation_fault or config.translation_fault
        answer = answer_for(entry, request, timecodes, call, translation_fault)
        cutoff: dict[str, Any] = {}
        if fault.timecodes_past_end is not None and not fault.malformed and request.media:
            end_ms = answer_end_ms(entry, request.media[0], timecodes)
            answer, moved = past_end_text(answer, fault.timecodes_past_end, end_ms)
            cutoff["past_end_rows"] = moved
        plan = plan_response(request, answer, usage, fault, pace_of(config, fault, usage))
        if cutoff or plan.cutoff:
            call["cutoff"] = {**cutoff, **plan.cutoff}
        call.update(finish_reason=plan.finish, usage=plan.usage)
        call.update(chars_planned=plan.chars, tokens_planned=chars_tokens(plan.chars))
        self.send_plan(plan, stream and self.query.get("alt") == "sse", stream, call)
        call["status"] = plan.error.code if plan.error else 200

    def count_tokens(self, mode: Mode, model: Model, call: dict[str, Any]) -> None:
        """countTokens: the prompt tokens generateContent would report (no faults applied); text
        alone is counted whatever it says."""
        request = parse_request(self.json_body(), mode, model, stream=False)
        entry = self.resolve_media(request, call) if request.media else None
        if entry is None:  # text only
            usage = estimate_usage(request, 0.0, False)
        else:
            usage = estimate_usage(request, entry.duration_s, entry.has_video)
        call["status"] = 200
        body = {"totalTokens": usage.prompt, "promptTokensDetails": usage.details}
        self.send_json(200, body)

    def fault_for_call(self, start_s: float) -> Fault:
        """The request's own fault (header), else the queue's first that applies to a call
        whose media starts at `start_s`."""
        header = self.headers.get(FAULT_HEADER)
        if header:
            try:
                return fault_from_dict(json.loads(header))
            except (ValueError, TypeError) as exc:
                raise invalid(f"Bad {FAULT_HEADER} header: {exc}") from None
        return self.state.faults.take(start_s)

    def resolve_media(self, request: ModelRequest, call: dict[str, Any]) -> Entry:
        if not request.media:
            return self.transcript_entry(request, call)
        identities = [self.media_identity(m, request.mode) for m in request.media]  # checks all
        media, (sha, mime) = request.media[0], identities[0]  # the first one is replayed
        call.update(mime_type=mime, file_uri=media.uri or None, sha256=sha)
        if is_voices_pass(request):
            reel = self.reel_entry(request, mime)
            call["matched"] = reel.name or reel.sha256
            return reel
        entry = self.state.registry.by_uri(media.uri) if media.kind == "gcs" else None
        entry = entry or (self.state.registry.by_sha256(sha) if sha else None)
        if entry is None:
            what = f"this media (sha256 {sha})" if sha else f"this media ({media.uri})"
            raise invalid(UNKNOWN_MEDIA.format(what=what))
        call["matched"] = entry.name or entry.sha256
        return entry

    def transcript_entry(self, request: ModelRequest, call: dict[str, Any]) -> Entry:
        """The recording of a text-only request: the one whose authored rows the request's
        transcript rows are, with an authored answer for what it asks (logged as
        `enrichment`)."""
        found = asked(request.instructions)
        if found is None:
            raise invalid(NO_ANSWER.format(what="a text-only request that asks no enrichment"))
        call["enrichment"] = found.log()
        entry = recording_of(self.state.registry.entries(), found.rows)
        if entry is None or entry.authored is None:
            raise invalid(NO_ANSWER.format(what="these transcript rows"))
        why = unanswered(entry.authored, found)
        if why is not None:
            raise invalid(NO_ANSWER.format(what=why))
        call["matched"] = entry.name or entry.sha256
        return entry

    def kind_of(self, media: Media) -> Literal["video", "audio"]:
        """Video or audio, by the part's MIME type, else by its uploaded file's."""
        mime = media.mime_type
        match = FILE_URI.match(media.uri) if mime is None else None
        if match:
            mime = self.state.files.peek(match.group(1)).mime_type
        return "video" if (mime or "").startswith("video/") else "audio"

    def reel_entry(self, request: ModelRequest, mime: str | None) -> Entry:
        """The voices pass's reel, heard as the snippets of a registered recording: that
        recording's authored rows, at the reel's length and kind."""
        listed = listing(request)
        found = recording(self.state.registry.entries(), listed)
        if found is None:
            what = "a reel whose snippets are from no registered recording"
            raise invalid(UNKNOWN_MEDIA.format(what=what))
        has_video = found.has_video and (mime or "").startswith("video/")
        return replace(found, duration_s=reel_s(listed), has_video=has_video)

    def media_identity(self, media: Media, mode: Mode) -> tuple[str | None, str | None]:
        """(sha256 of the bytes if they can be known, MIME type) of a media part."""
        if media.kind == "inline":
            return hashlib.sha256(media.data or b"").hexdigest(), media.mime_type
        if media.kind == "gcs":
            return gcs_sha256(media.uri, getattr(self, "project", "")), media.mime_type
        match = FILE_URI.match(media.uri)
        assert match is not None  # parse_request checked the form
        record = self.state.files.peek(match.group(1))
        if record.state != "ACTIVE":
            raise ApiError(
                400,
                f"The File {record.file_id} is not in an ACTIVE state and usage is not allowed.",
                "FAILED_PRECONDITION",
            )
        check_mime(record.mime_type, mode)
        return record.sha256, media.mime_type or record.mime_type

    def send_plan(self, plan: Plan, sse: bool, stream: bool, call: dict[str, Any]) -> None:
        """Send the response; the call log counts the answer's characters as they are written
        (`chars_sent`, `tokens_sent`), so a client that hangs up leaves what it was sent."""
        _count_sent(call, 0)
        if not sse:
            for delay, _ in plan.events:
                time.sleep(delay)
            if stream:  # streamGenerateContent without alt=sse: one JSON array
                self.send_json(200, [event for _, event in plan.events])
            else:
                self.send_json(200, merge(plan))
            _count_sent(call, plan.chars)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for delay, event in plan.events:
            time.sleep(delay)
            self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
            self.wfile.flush()
            _count_sent(call, call["chars_sent"] + answer_chars(event))
        if plan.garbled:
            self.wfile.write(b'data: {"candidates": [{"content": \n\n')
            self.wfile.flush()

    # -- Files API ------------------------------------------------------------------------------

    def upload(self, version: str) -> None:
        if "upload_id" in self.query:
            self.upload_chunk(version)
            return
        self.require_api_key()
        if (self.headers.get("X-Goog-Upload-Protocol") or "").lower() != "resumable":
            raise invalid("Only the resumable upload protocol is supported by the stand-in.")
        declared = self.json_body().get("file") or {}
        size = int(
            self.headers.get("X-Goog-Upload-Header-Content-Length")
            or declared.get("sizeBytes")
            or -1
        )
        mime = self.headers.get("X-Goog-Upload-Header-Content-Type") or declared.get("mimeType")
        upload_id = self.state.files.start(
            declared.get("name"), declared.get("displayName"), str(mime or ""), size
        )
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.port}"
        url = (
            f"http://{host}/upload/{version}/files?upload_id={upload_id}&upload_protocol=resumable"
        )
        self.send_json(200, {}, {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"})

    def upload_chunk(self, version: str) -> None:
        command = (self.headers.get("X-Goog-Upload-Command") or "").lower()
        upload_id = self.query["upload_id"]
        try:
            if command == "query":
                received = self.state.files.received(upload_id)
                headers = {
                    "X-Goog-Upload-Status": "active",
                    "X-Goog-Upload-Size-Received": str(received),
                }
                self.send_json(200, {}, headers)
                return
            if "upload" not in command:
                raise invalid(f"Unsupported X-Goog-Upload-Command: {command!r}")
            offset = int(self.headers.get("X-Goog-Upload-Offset") or -1)
            record = self.state.files.chunk(upload_id, command, offset, self.body)
        except ApiError as exc:  # the SDK retries chunk replies without an upload status
            self.send_json(exc.code, exc.body(), {"X-Goog-Upload-Status": "final"})
            return
        if record is None:
            self.send_json(200, {}, {"X-Goog-Upload-Status": "active"})
        else:
            body = {"file": record.as_json(version)}
            self.send_json(200, body, {"X-Goog-Upload-Status": "final"})

    def get_file(self, version: str, file_id: str) -> None:
        self.require_api_key()
        config = self.state.config
        record = self.state.files.get(
            file_id, config.processing_polls, config.processing_s, config.file_processing_fails
        )
        self.send_json(200, record.as_json(version))

    def delete_file(self, version: str, file_id: str) -> None:
        self.require_api_key()
        self.state.files.delete(file_id)
        self.send_json(200, {})

    def list_models(self, version: str) -> None:
        """models.list (Developer API): the catalog's served models, a page at a time."""
        self.require_api_key()
        size = int(self.query.get("pageSize") or 50)
        if not 0 < size <= 1000:
            raise invalid(f"Invalid page_size: {size} (1 to 1000).")
        body = model_list(self.state.config.date(), size, self.query.get("pageToken") or "")
        self.send_json(200, body)

    def list_files(self, version: str) -> None:
        self.require_api_key()
        self.send_json(200, {"files": [f.as_json(version) for f in self.state.files.all()]})

    # -- control API ----------------------------------------------------------------------------

    def info(self) -> None:
        self.send_json(200, self.state.info())

    def control(self, name: str) -> None:
        state = self.state
        if self.command == "POST" and name == "reset":
            state.reset()
        elif self.command == "POST" and name == "faults":
            body = json.loads(self.body or b"[]")
            state.configure(
                {"faults": body.get("faults", body) if isinstance(body, dict) else body}
            )
        elif self.command == "POST" and name == "config":
            state.configure(json.loads(self.body or b"{}"))
        elif self.command == "POST" and name == "responses":
            state.registry.add(registration(json.loads(self.body)))
        elif name not in ("calls", "faults", "config", "responses", "files", "info"):
            raise ApiError(404, f"Unknown control endpoint /_standin/{name}")
        self.send_json(200, control_view(state, name))


def answer_for(
    entry: Entry,
    request: ModelRequest,
    timecodes: str,
    call: dict[str, Any],
    translation_fault: str | None = None,
) -> str:
    """The tables the request asks for (`_tables`), then the authored sound events of the same
    range when the prompt asks for `<EVENTS>` (logged as `events`: how many); for a text-only
    request, the enrichment it asks for."""
    if not request.media:
        return _enrichment(entry, request, translation_fault, call)
    answer = _tables(entry, request, timecodes, call)
    if entry.authored is None or is_voices_pass(request) or not asks_events(request):
        return answer
    media = request.media[0]
    start_s, end_s = media.bounds(entry.duration_s)
    relative = media.offsets_in is not None and timecodes != "absolute"
    events = clip_events(entry.authored.events, start_s, end_s, relative)
    call["events"] = len(events)
    return answer + write_events(events, answer_end_ms(entry, media, timecodes))


def _enrichment(
    entry: Entry, request: ModelRequest, translation_fault: str | None, call: dict[str, Any]
) -> str:
    """The authored answer to an enrichment request (`transcript_entry` found its recording);
    a translation fault is logged in `enrichment` as `fault`."""
    found = asked(request.instructions)
    assert found is not None and entry.authored is not None
    fault = translation_fault if found.lang is not None else None
    if fault:
        call["enrichment"]["fault"] = fault
    return enrichment_text(entry.authored, entry.duration_s, found, fault)


def asks_events(request: ModelRequest) -> bool:
    return any(f"<{EVENTS}>" in text for text in request.texts)


def clip_events(
    events: tuple[Event, ...], start_s: float, end_s: float, relative: bool
) -> list[Event]:
    """The events starting in [start_s, end_s), ending by then, in the clip's timecodes."""
    start_ms, end_ms = round(start_s * 1000), round(end_s * 1000)
    shift = start_ms if relative else 0
    return [
        Event(e.start_ms - shift, min(e.end_ms, end_ms) - shift, e.kind)
        for e in events
        if start_ms <= e.start_ms < end_ms
    ]


def _tables(entry: Entry, request: ModelRequest, timecodes: str, call: dict[str, Any]) -> str:
    """The authored answer, or only its clip when the media part has offsets (logged as `clip`),
    or the voices pass's table when the request asks for it (logged as `voices`), or the clip
    numbered after the `<EARLIER>` rows of a continuation (logged as `continuation`). A `text`
    registration is replayed as it is."""
    if is_voices_pass(request):
        listed = listing(request)
        call["voices"] = len(listed)
        return voices_text(entry, listed)
    media = request.media[0]
    if media.offsets_in is None or entry.authored is None:
        return entry.text
    start_s, end_s = media.bounds(entry.duration_s)
    if is_continuation(request):
        earlier = earlier_rows(request.texts)
        call["continuation"] = {
            "start_s": start_s,
            "end_s": end_s,
            "timecodes": timecodes,
            "earlier_rows": len(earlier),
        }
        return continuation_text(entry.authored, start_s, end_s, earlier, timecodes)
    call["clip"] = {"start_s": start_s, "end_s": end_s, "timecodes": timecodes}
    return clip_text(entry.authored, start_s, end_s, timecodes)


def answer_end_ms(entry: Entry, media: Media, timecodes: str) -> int:
    """Where the answer's timecodes end: the media's length, or the clip's end in the clip's
    timecodes (relative to its start, or media time when `absolute`)."""
    if media.offsets_in is None:
        return round(entry.duration_s * 1000)
    start_s, end_s = media.bounds(entry.duration_s)
    return round(end_s * 1000) - (0 if timecodes == "absolute" else round(start_s * 1000))


def spans(
    media: list[Media], kinds: list[Literal["video", "audio"]], duration_s: float | None
) -> list[tuple[Literal["video", "audio"], float]]:
    """(kind, seconds) of each part whose length is known: its offsets, or to the media's end
    when `duration_s` is known."""
    found = []
    for part, kind in zip(media, kinds, strict=True):
        end = part.end_s if part.end_s is not None else duration_s
        if end is not None:
            found.append((kind, end - part.start_s))
    return found


def _count_sent(call: dict[str, Any], chars: int) -> None:
    call.update(chars_sent=chars, tokens_sent=chars_tokens(chars))


def _method(path_method: str) -> str:
    """The method a 404 names: streaming calls are generateContent to the service."""
    return "countTokens" if path_method == "countTokens" else "generateContent"


def control_view(state: State, name: str) -> Any:
    """What GET /_standin/{name} shows (and what a POST to it answers)."""
    if name == "calls":
        return {"calls": state.calls()}
    if name == "faults":
        return {"faults": state.faults.pending()}
    if name == "config":
        return asdict(state.config)
    if name == "responses":
        return {"responses": state.registry.summaries()}
    if name == "files":
        return {"files": [_file_view(f) for f in state.files.all()], "uploads": state.files.uploads}
    return state.info()


def _file_view(record: FileRecord) -> JSON:
    return {**record.as_json("v1beta"), "sha256": record.sha256}


def registration(body: Any) -> Entry:
    """A /_standin/responses body: like a responses/*.json file; `media_base64` may give bytes."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    if "media_base64" in body:
        body = {**body, "media": base64.b64decode(body.pop("media_base64"))}
    return entry_from_dict(body)


def gcs_sha256(uri: str, project: str) -> str | None:
    """SHA-256 of a gs:// object read from the Cloud Storage emulator, when one is configured."""
    if not gcs.configured():
        return None
    from google.api_core import exceptions

    digest = hashlib.sha256()
    try:
        with gcs.blob(uri, project).open("rb", chunk_size=8 * 1024 * 1024) as reader:
            while chunk := reader.read(8 * 1024 * 1024):
                digest.update(chunk)
    except exceptions.NotFound:
        raise gcs.missing(uri) from None
    return digest.hexdigest()


Action = Callable[..., None]
ROUTES: list[tuple[str, str, Action]] = [
    (
        "POST",
        rf"/{VERSION}/models/([^/:]+):(generateContent|streamGenerateContent|countTokens)",
        Handler.developer_model,
    ),
    (
        "POST",
        rf"/{version_pattern('vertex')}/projects/([^/]+)/locations/([^/]+)/publishers/google/"
        r"models/([^/:]+):(generateContent|streamGenerateContent|countTokens)",
        Handler.vertex_model,
    ),
    ("POST", rf"/upload/{VERSION}/files", Handler.upload),
    ("GET", rf"/{VERSION}/models", Handler.list_models),
    ("GET", rf"/{VERSION}/files", Handler.list_files),
    ("GET", rf"/{VERSION}/files/([^/:]+)", Handler.get_file),
    ("DELETE", rf"/{VERSION}/files/([^/:]+)", Handler.delete_file),
    *batches.ROUTES,
    ("GET", r"/", Handler.info),
    ("GET", r"/_standin/?", Handler.info),
    ("GET", r"/_standin/(\w+)", Handler.control),
    ("POST", r"/_standin/(\w+)", Handler.control),
]


class StandInServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: State, verbose: bool = False) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.verbose = verbose

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class StandIn:
    """A running stand-in (server in a daemon thread) with a direct control API for tests."""

    def __init__(self, server: StandInServer) -> None:
        self._server = server
        self.state = server.state
        host = str(server.server_address[0])
        self.url = f"http://{host}:{server.port}"
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def configure(self, faults: Any = None, **settings: Any) -> Config:
        """Change settings (token_rate, chunk_chars, processing_polls…) and/or the fault queue."""
        changes = dict(settings)
        if faults is not None:
            changes["faults"] = faults
        return self.state.configure(changes)

    def register(
        self,
        text: str | None = None,
        duration_s: float = 60.0,
        has_video: bool = False,
        sha256: str | None = None,
        media: bytes | None = None,
        uri: str | None = None,
        name: str = "",
        rows: list[dict[str, Any]] | None = None,
        speakers: list[dict[str, Any]] | None = None,
        events: list[dict[str, Any]] | None = None,
        **enrichments: Any,
    ) -> Entry:
        """An answer for the media: authored `rows`, `speakers` and `events` (as in
        responses/*.json) and the enrichments' `translations`, `chapters` and `summary`, or a
        `text` replayed as it is."""
        entry = entry_from_dict(
            {
                **enrichments,
                "text": text,
                "rows": rows,
                "speakers": speakers,
                "events": events,
                "duration_s": duration_s,
                "has_video": has_video,
                "sha256": sha256,
                "media": media,
                "uri": uri,
                "name": name,
            }
        )
        self.state.registry.add(entry)
        return entry

    def calls(self) -> list[dict[str, Any]]:
        return self.state.calls()

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    responses_dir: Path | None = BUNDLED_DIR,
    verbose: bool = False,
    **settings: Any,
) -> StandIn:
    """Start a stand-in on host:port (0 = a free port); settings as in `Config`."""
    from standin.state import config_with

    state = State(responses_dir, config_with(Config(), settings))
    return StandIn(StandInServer((host, port), state, verbose))
