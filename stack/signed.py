"""Signed URLs on the local stack: the key the upload and reads functions sign with, and the
gateway that plays Cloud Storage's part for them.

The storage emulator accepts a PUT to `/<bucket>/<object>` but ignores every signature, signed
header, `x-goog-meta-*` header and precondition, and answers no CORS preflight. So the stack puts
this gateway in front of it, as the bridge stands in for Eventarc: it checks a V4 signature as
Cloud Storage does (the canonical request rebuilt from what arrived, RSA-SHA256 against the stack's
public key, expiry, every signed header present and no unsigned `x-goog-*` one,
`x-goog-content-length-range`, `x-goog-if-generation-match`: 412 once the object exists), answers
CORS for the viewer's origin, and stores the body in the emulator with the signed content type and
custom metadata. A signed GET is checked the same way (its method, object, expiry and
`response-content-disposition` all signed) and answered from the emulator's download endpoint,
ranged reads included, as the player needs. Nothing else passes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from stack.services import HOST, free_port

SIGNER_EMAIL = "signed-urls@tabscribe-local.iam.gserviceaccount.com"  # both functions'
META = "x-goog-meta-"
# what a GET answers with from the emulator's download endpoint, as Cloud Storage would
PASSED_ON = (
    "Content-Type",
    "Content-Length",
    "Content-Range",
    "Content-Disposition",
    "Accept-Ranges",
)
GENERATION_MATCH = "x-goog-if-generation-match"


class Refused(Exception):
    """Why Cloud Storage would refuse this request (HTTP 403; 400 for the length; 412 for a
    precondition)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def write_signing_key(path: Path, project: str) -> rsa.RSAPublicKey:
    """A fresh RSA key as a service-account key file (for the upload and reads functions); its
    public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    info = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "local",
        "private_key": pem.decode(),
        "client_email": SIGNER_EMAIL,
        "client_id": "0",
        "token_uri": "https://oauth2.googleapis.com/token",  # never called: it only signs
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info))
    path.chmod(0o600)
    return key.public_key()


def check_signature(
    method: str,
    target: str,
    headers: Mapping[str, str],
    key: rsa.RSAPublicKey,
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """The signed headers (lowercase names) of a V4-signed request, or Refused.
    `target` is the request line's path and query, as sent."""
    path, _, query = target.partition("?")
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    signature = params.pop("X-Goog-Signature", "")
    if params.get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" or not signature:
        raise Refused(403, "not a V4-signed URL")
    if not params.get("X-Goog-Credential", "").startswith(f"{SIGNER_EMAIL}/"):
        raise Refused(403, "signed by another account")
    _check_time(params, now or dt.datetime.now(dt.UTC))
    lower = {name.lower(): value for name, value in headers.items()}
    names = params.get("X-Goog-SignedHeaders", "").split(";")
    if "host" not in names or any(name not in lower for name in names):
        raise Refused(403, f"a signed header is missing: {names}")
    unsigned = sorted(name for name in lower if name.startswith("x-goog-") and name not in names)
    if unsigned:
        raise Refused(403, f"SignatureDoesNotMatch: headers not signed: {unsigned}")
    signed = {name: " ".join(lower[name].split()) for name in names}
    canonical = "\n".join(
        [
            method,
            path,
            "&".join(sorted(f"{_quote(k)}={_quote(v)}" for k, v in params.items())),
            "".join(f"{name}:{signed[name]}\n" for name in sorted(signed)),
            ";".join(sorted(signed)),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = params["X-Goog-Credential"].split("/", 1)[1]
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"GOOG4-RSA-SHA256\n{params['X-Goog-Date']}\n{scope}\n{digest}"
    try:
        key.verify(bytes.fromhex(signature), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise Refused(403, "SignatureDoesNotMatch") from None
    return signed


def check_length(signed: Mapping[str, str], length: int) -> None:
    if "x-goog-content-length-range" not in signed:
        return
    low, high = (int(n) for n in signed["x-goog-content-length-range"].split(","))
    if not low <= length <= high:
        raise Refused(400, f"EntityTooLarge or too small: {length} not in {low}-{high}")


def check_generation(signed: Mapping[str, str], current: int | None) -> None:
    """`x-goog-if-generation-match`: the live object's generation (`current`; 0 or None: no
    object) must be the one given, or Cloud Storage answers 412 and writes nothing."""
    if GENERATION_MATCH not in signed:
        return
    try:
        expected = int(signed[GENERATION_MATCH])
    except ValueError:
        raise Refused(400, f"InvalidArgument: {GENERATION_MATCH}") from None
    if expected != (current or 0):
        raise Refused(412, "PreconditionFailed: the object's generation does not match")


def _check_time(params: Mapping[str, str], now: dt.datetime) -> None:
    try:
        start = dt.datetime.strptime(params["X-Goog-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        expires = int(params["X-Goog-Expires"])
    except (KeyError, ValueError):
        raise Refused(403, "no valid X-Goog-Date / X-Goog-Expires") from None
    if now > start + dt.timedelta(seconds=expires):
        raise Refused(400, "ExpiredToken: the signed URL has expired")


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="~")


class Gateway:
    """Cloud Storage's signed-URL endpoint for PUT and GET, in front of the storage emulator."""

    def __init__(self, key: rsa.RSAPublicKey, origins: tuple[str, ...]) -> None:
        handler = type("Handler", (_Handler,), {"key": key, "origins": origins})
        self._server = ThreadingHTTPServer((HOST, free_port()), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="signed-url-gateway", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    key: rsa.RSAPublicKey
    origins: tuple[str, ...] = ()

    def do_OPTIONS(self) -> None:
        """A CORS preflight, answered as the bucket's CORS configuration would."""
        self._answer(204, b"", preflight=True)

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            signed = check_signature("PUT", self.path, dict(self.headers.items()), self.key)
            check_length(signed, len(body))
            _store(urllib.parse.unquote(self.path.split("?")[0]), body, signed)
        except Refused as exc:
            self._answer(exc.status, str(exc).encode())
            return
        self._answer(200, b"")

    def do_GET(self) -> None:
        try:
            check_signature("GET", self.path, dict(self.headers.items()), self.key)
            response = _download(self.path, self.headers.get("Range"))
        except Refused as exc:
            self._answer(exc.status, str(exc).encode())
            return
        with response:  # streamed: a player's first read asks for the whole file
            self.send_response(response.status)
            for name in PASSED_ON:
                if response.headers[name]:
                    self.send_header(name, response.headers[name])
            self._cors()
            self.end_headers()
            shutil.copyfileobj(response, self.wfile)

    def _answer(self, status: int, body: bytes, preflight: bool = False) -> None:
        self.send_response(status)
        self._cors(preflight)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _cors(self, preflight: bool = False) -> None:
        origin = self.headers.get("Origin")
        if origin in self.origins:
            self.send_header("Access-Control-Allow-Origin", origin)
            if preflight:
                self.send_header("Access-Control-Allow-Methods", "PUT")
                requested = self.headers.get("Access-Control-Request-Headers") or ""
                self.send_header("Access-Control-Allow-Headers", requested)

    def log_message(self, format: str, *args: Any) -> None:
        pass


# The emulator has no preconditions: the check and the write it guards, one PUT at a time.
_WRITING = threading.Lock()


def _store(path: str, body: bytes, signed: Mapping[str, str]) -> None:
    """The object into the storage emulator, with the signed content type and metadata, if its
    signed precondition holds."""
    from functions.core import clients

    bucket_name, name = path.lstrip("/").split("/", 1)
    bucket = clients.storage_client().bucket(bucket_name)
    blob = bucket.blob(name)
    blob.metadata = {k[len(META) :]: v for k, v in signed.items() if k.startswith(META)} or None
    with _WRITING:
        live = bucket.get_blob(name)
        check_generation(signed, live.generation if live else None)
        blob.upload_from_string(body, content_type=signed.get("content-type"))


def _download(target: str, ranged: str | None) -> Any:
    """A signed GET's answer, open, from the emulator's download endpoint: the object (or the
    range asked for), with the disposition the URL signed; Refused for an object not there."""
    path, _, query = target.partition("?")
    bucket, name = urllib.parse.unquote(path).lstrip("/").split("/", 1)
    params = dict(urllib.parse.parse_qsl(query))
    download = {"alt": "media"}
    if "response-content-disposition" in params:
        download["response-content-disposition"] = params["response-content-disposition"]
    url = (
        f"http://{os.environ['STORAGE_EMULATOR_HOST'].removeprefix('http://')}/download/storage"
        f"/v1/b/{urllib.parse.quote(bucket, safe='')}/o/{urllib.parse.quote(name, safe='')}"
        f"?{urllib.parse.urlencode(download)}"
    )
    request = urllib.request.Request(url, headers={"Range": ranged} if ranged else {})
    try:
        return urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        raise Refused(error.code, "NoSuchKey" if error.code == 404 else error.reason) from None
