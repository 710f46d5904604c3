// The speakers table: identified speakers in their colour, unidentified ones in grey; corrected
// ones marked "edited". With an editor (the owner's), each row can be renamed or merged.
import { correctionCell, renameCells } from "./corrections.js";
import { h } from "./dom.js";
import { timecode } from "./format.js";

const COLUMNS = ["Speaker", "Company", "Position", "Role", "Talk time", "Evidence"];

export function speakersTable(speakers, styles, seek, withHours, editor = null) {
  if (!speakers?.length) return h("p", { class: "muted" }, "No speakers yet.");
  return h(
    "table",
    { class: "speakers" },
    h("caption", { class: "sr-only" }, "Speakers"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [...COLUMNS, editor && "Correct"].filter(Boolean).map((c) => h("th", { scope: "col" }, c)),
      ),
    ),
    h(
      "tbody",
      {},
      speakers.map((s) => {
        const row = speakerRow(s, styles.get(s.voice), seek, withHours);
        return editor ? editable(row, s, speakers, editor) : row;
      }),
    ),
  );
}

// Rename turns the row into inputs until it is saved (the next snapshot redraws the table) or
// cancelled.
function editable(row, speaker, speakers, editor) {
  const shown = [...row.children];
  const cancel = () => row.replaceChildren(...shown);
  const edit = () => {
    row.replaceChildren(...renameCells(editor, speaker, cancel));
    row.querySelector("input").focus();
  };
  row.append(correctionCell(editor, speaker, speakers, edit));
  shown.push(row.lastChild);
  return row;
}

function speakerRow(speaker, style, seek, withHours) {
  const cell = (label, ...content) => h("td", { "data-label": label }, ...content);
  return h(
    "tr",
    { class: style.known ? "known" : "unknown", style: { "--c": style.colour } },
    h(
      "th",
      { scope: "row", "data-label": "Speaker" },
      h("span", { class: "swatch" }),
      style.label,
      speaker.edited && h("span", { class: "edited", title: "Corrected by the owner" }, "edited"),
    ),
    cell("Company", speaker.company ?? "—"),
    cell("Position", speaker.position ?? "—"),
    cell("Role", speaker.role ?? "—"),
    cell("Talk time", timecode(speaker.talk_ms, withHours)),
    cell("Evidence", evidenceLink(speaker, seek, withHours)),
  );
}

function evidenceLink(speaker, seek, withHours) {
  if (speaker.evidence_ms == null) return "—";
  const at = timecode(speaker.evidence_ms, withHours);
  return h(
    "a",
    {
      href: `#evidence-${speaker.voice}`,
      class: "evidence",
      "aria-label": `Play the evidence for ${speaker.name ?? `voice ${speaker.voice}`} at ${at}`,
      onclick: (event) => {
        event.preventDefault();
        seek(speaker.evidence_ms);
      },
    },
    at,
  );
}

export function issuesList(doc) {
  const issues = doc.issues ?? [];
  const total = doc.counts?.issues ?? issues.length;
  if (!total) return null;
  return h(
    "details",
    { class: "issues" },
    h("summary", {}, `Issues (${total})`),
    h(
      "ul",
      {},
      issues.map((i) =>
        h("li", {}, h("code", {}, i.code), ` ${i.message}`, i.line != null && ` (line ${i.line})`),
      ),
    ),
    total > issues.length && h("p", { class: "muted" }, `The first ${issues.length} are listed.`),
  );
}
