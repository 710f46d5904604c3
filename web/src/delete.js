// Delete: the owner removes a transcription, its media and its exports, after a confirmation.
// The deletion function (config.deletion) checks their ID token and that they own it
// (docs/decisions/0024-deletion-by-the-owner.md). The viewer goes back to the list first, so no
// listener of the transcription's outlives it; the list (it listens to the user's documents)
// then shows it gone.
import { h } from "./dom.js";

export function deleteButton(session, id, name) {
  if (!session.idToken || !session.config.deletion) return null;
  const button = h("button", { type: "button", class: "delete" }, "Delete…");
  button.onclick = async () => {
    const question = `Delete “${name}”? Its media, transcript and downloads are removed for good.`;
    if (!window.confirm(question)) return;
    location.hash = "#/";
    try {
      await remove(session, id);
    } catch (error) {
      console.warn(`delete: ${error.message}`);
      window.alert(`“${name}” was not deleted: ${error.message}`);
    }
  };
  return button;
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
