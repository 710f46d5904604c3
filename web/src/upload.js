// Upload: the signed-in user picks a media file; the upload function (config.uploads) checks their
// ID token and answers a signed URL under uploads/<their uid>/; the browser PUTs the file there.
// The new transcription then appears in the list by itself (it listens to the user's documents).
// The file's duration, as the browser reads it, goes with the request: the daily caps count it
// until the transcriber has probed the file (docs/decisions/0019-daily-caps.md).
import { h } from "./dom.js";

// What browsers call some types, and the name the model catalog knows them by.
const TYPES = { "audio/x-m4a": "audio/mp4", "video/x-m4v": "video/mp4", "audio/mp3": "audio/mpeg" };

export function uploadForm(session) {
  if (!session.idToken || !session.config.uploads) return null;
  const input = h("input", {
    id: "upload-file",
    type: "file",
    accept: "video/*,audio/*",
    required: true,
  });
  const status = h("p", { role: "status", class: "upload-status" });
  const button = h("button", { type: "submit" }, "Upload");
  const submit = async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) return;
    button.disabled = true;
    status.textContent = `Uploading ${file.name}…`;
    try {
      await upload(session, file);
      status.textContent = `Uploaded ${file.name}; its transcription appears below.`;
      input.value = "";
    } catch (error) {
      if (error instanceof OverCap) {
        status.textContent = error.message;
      } else {
        console.error(`upload: ${error.message}`);
        status.textContent = `Upload failed: ${error.message}`;
      }
    } finally {
      button.disabled = false;
    }
  };
  return h(
    "form",
    { class: "upload", onsubmit: submit },
    h("label", { for: "upload-file" }, "Upload media"),
    input,
    button,
    status,
  );
}

async function upload(session, file) {
  const duration = await mediaDuration(file);
  const response = await fetch(session.config.uploads, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await session.idToken()}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({
      name: file.name,
      content_type: TYPES[file.type] ?? file.type,
      size: file.size,
      ...(duration ? { duration } : {}),
    }),
  });
  const grant = await response.json();
  if (response.status === 429) throw new OverCap(grant);
  if (!response.ok) throw new Error(grant.error ?? `HTTP ${response.status}`);
  // Exactly the signed headers, the single-use precondition among them: a URL puts once (412 after).
  const put = await fetch(grant.url, { method: "PUT", headers: grant.headers, body: file });
  if (!put.ok) throw new Error(`storage answered HTTP ${put.status}`);
  return grant;
}

// A daily cap reached (the upload function's 429): which one, and when uploads reopen, in the
// user's own time.
const CAPS = {
  cap_user_media_h: (limit) => `your daily limit of ${limit} media hours`,
  cap_user_usd: (limit) => `your daily limit of US$${limit} (estimated cost)`,
  cap_project_usd: () => "the service's daily budget",
};

class OverCap extends Error {
  constructor(answer) {
    const reached = CAPS[answer.cap]?.(answer.limit) ?? "a daily limit";
    const reopens = new Date(answer.resets_at).toLocaleString([], {
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
    });
    super(`Not uploaded: ${reached} is reached. Uploads reopen ${reopens}.`);
    this.name = "OverCap";
  }
}

// The file's duration in seconds as the browser's player reads it from its header, or null when
// it cannot tell (a type it does not play, or no answer within five seconds).
function mediaDuration(file) {
  return new Promise((resolve) => {
    const media = document.createElement(file.type.startsWith("audio/") ? "audio" : "video");
    const url = URL.createObjectURL(file);
    let timer = null;
    const done = (seconds) => {
      if (timer === null) return; // answered already
      clearTimeout(timer);
      timer = null;
      media.removeAttribute("src");
      URL.revokeObjectURL(url);
      resolve(Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) / 1000 : null);
    };
    timer = setTimeout(() => done(null), 5000);
    media.preload = "metadata";
    media.onloadedmetadata = () => done(media.duration);
    media.onerror = () => done(null);
    media.src = url;
  });
}
