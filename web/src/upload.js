// Upload: the signed-in user picks a media file; the upload function (config.uploads) checks their
// ID token and answers a signed URL under uploads/<their uid>/; the browser PUTs the file there.
// The new transcription then appears in the list by itself (it listens to the user's documents).
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
      console.error(`upload: ${error.message}`);
      status.textContent = `Upload failed: ${error.message}`;
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
    }),
  });
  const grant = await response.json();
  if (!response.ok) throw new Error(grant.error ?? `HTTP ${response.status}`);
  // Exactly the signed headers, the single-use precondition among them: a URL puts once (412 after).
  const put = await fetch(grant.url, { method: "PUT", headers: grant.headers, body: file });
  if (!put.ok) throw new Error(`storage answered HTTP ${put.status}`);
  return grant;
}
