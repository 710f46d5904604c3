// Delete: the owner removes a transcription, its media and its exports, after a confirmation.
// The deletion function (config.deletion) checks their ID token and that they own it
// (docs/decisions/0024-deletion-by-the-owner.md); the viewer then goes back to the list, where
// the transcription is gone by itself (the list listens to the user's documents).
import { h } from "./dom.js";

export function deleteButton(session, id, name) {
  if (!session.idToken || !session.config.deletion) return null;
  const status = h("span", { role: "status", class: "delete-status" });
  const button = h("button", { type: "button", class: "delete" }, "Delete…");
  button.onclick = async () => {
    const question = `Delete “${name}”? Its media, transcript and downloads are removed for good.`;
    if (!window.confirm(question)) return;
    button.disabled = true;
    status.textContent = "Deleting…";
    try {
      await remove(session, id);
      location.hash = "#/";
    } catch (error) {
      console.error(`delete: ${error.message}`);
      status.textContent = `Delete failed: ${error.message}`;
      button.disabled = false;
    }
  };
  return h("div", { class: "delete-box" }, button, status);
}

async function remove(session, id) {
  const response = await fetch(session.config.deletion, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await session.idToken()}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ transcription: id }),
  });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    throw new Error(answer.error ?? `HTTP ${response.status}`);
  }
}
