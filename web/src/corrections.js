// Corrections by the owner of a finished transcription, through the corrections function
// (config.corrections), never a client write: it checks the ID token and the owner, rewrites the
// speakers, the transcript and the exports, and the document's snapshot brings the result here.
import { h } from "./dom.js";

export const FIELDS = [
  ["name", "Name"],
  ["company", "Company"],
  ["position", "Position"],
  ["role", "Role"],
];

const REFUSED = {
  400: "Not corrected",
  401: "Not corrected: sign in again",
  403: "Not corrected: only the owner corrects a transcription",
  409: "Not corrected now",
};

export function canCorrect(session, doc) {
  return Boolean(
    session.idToken &&
    session.config.corrections &&
    doc.owner === session.uid &&
    doc.status === "completed",
  );
}

// What the speakers table calls: rename, merge and undo, each said in `box` (a live region).
export class Editor {
  constructor(session, transcription) {
    this.session = session;
    this.transcription = transcription;
    this.box = h("p", { class: "correction-message", role: "status", "aria-live": "polite" });
  }

  rename(voice, speaker) {
    return this.send({ action: "rename", voice, speaker }, "Renamed.");
  }

  merge(voice, into) {
    return this.send({ action: "merge", voice, into }, "Merged.");
  }

  undo() {
    return this.send({ action: "undo" }, "Undone.");
  }

  undoButton(doc) {
    if (!doc.corrections?.standing) return null;
    return h(
      "button",
      { type: "button", class: "undo", onclick: () => this.undo() },
      "Undo last correction",
    );
  }

  async send(correction, done) {
    this.say("Correcting…");
    try {
      const response = await fetch(this.session.config.corrections, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${await this.session.idToken()}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ transcription: this.transcription, ...correction }),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) return this.say(done);
      const what = REFUSED[response.status] ?? `Not corrected (HTTP ${response.status})`;
      this.say(answer.error ? `${what}: ${answer.error}.` : `${what}.`, true);
    } catch (error) {
      this.say(`Not corrected: ${error.message}.`, true);
    }
  }

  say(text, problem = false) {
    this.box.textContent = text;
    this.box.classList.toggle("problem", problem);
    this.box.setAttribute("role", problem ? "alert" : "status");
  }
}

// The row's controls: rename (the row turns into inputs) and "same person as…" another voice.
export function correctionCell(editor, speaker, speakers, edit) {
  const others = speakers.filter((s) => s.voice !== speaker.voice);
  const label = speaker.name ?? `Voice ${speaker.voice}`;
  const merge = h(
    "select",
    {
      class: "merge",
      "aria-label": `${label} is the same person as…`,
      onchange: (event) => editor.merge(speaker.voice, Number(event.target.value)),
    },
    h("option", { value: "", disabled: true, selected: true }, "Same person as…"),
    others.map((s) => h("option", { value: s.voice }, s.name ?? `Voice ${s.voice}`)),
  );
  const rename = h(
    "button",
    { type: "button", class: "rename", "aria-label": `Rename ${label}`, onclick: edit },
    "Rename",
  );
  return h("td", { "data-label": "Correct", class: "correct" }, rename, others.length && merge);
}

// The row as inputs for `speaker`'s four fields; Save sends only the fields that changed.
export function renameCells(editor, speaker, cancel) {
  const inputs = FIELDS.map(([key, label]) =>
    h("input", {
      name: key,
      value: speaker[key] ?? "",
      maxlength: 300,
      "aria-label": label,
      onkeydown: (event) => {
        if (event.key === "Enter") save();
        if (event.key === "Escape") cancel();
      },
    }),
  );
  const save = () => {
    const changed = inputs.filter((input) => input.value.trim() !== (speaker[input.name] ?? ""));
    if (!changed.length) return cancel();
    editor.rename(speaker.voice, Object.fromEntries(changed.map((i) => [i.name, i.value.trim()])));
  };
  return [
    ...inputs.map((input, i) => h(i ? "td" : "th", { "data-label": FIELDS[i][1] }, input)),
    h(
      "td",
      { "data-label": "Correct", class: "correct", colspan: 3 },
      h("button", { type: "button", class: "save", onclick: save }, "Save"),
      h("button", { type: "button", class: "cancel", onclick: cancel }, "Cancel"),
    ),
  ];
}
