// Chapters and the summary (decision 0026), as the document carries them once the upload asked
// for them (`chapters=true`): a list of buttons that seek the player (click, Enter or Space), the
// chapter being played highlighted; the summary a paragraph above the speakers.
import { h } from "./dom.js";
import { timecode } from "./format.js";

export class Chapters {
  constructor(chapters, seek, withHours) {
    this.starts = chapters.map((c) => c.start_ms);
    this.current = -1;
    this.items = chapters.map((c) =>
      h(
        "li",
        { "data-start": c.start_ms },
        h(
          "button",
          { type: "button", class: "chapter", onclick: () => seek(c.start_ms) },
          h("span", { class: "tc" }, timecode(c.start_ms, withHours)),
          h("span", { class: "title" }, c.title),
        ),
      ),
    );
    this.element = h(
      "nav",
      { class: "chapters", "aria-labelledby": "chapters-heading" },
      h("h2", { id: "chapters-heading" }, "Chapters"),
      h("ol", {}, this.items),
    );
  }

  // The chapter holding `ms`: the last one starting at or before it (chapters are in time order).
  highlight(ms) {
    const found = this.starts.findLastIndex((start) => start <= ms);
    if (found === this.current) return;
    this.items[this.current]?.classList.remove("current");
    this.items[this.current]?.firstChild.removeAttribute("aria-current");
    this.current = found;
    this.items[found]?.classList.add("current");
    this.items[found]?.firstChild.setAttribute("aria-current", "true");
  }
}

export function summaryBlock(summary) {
  if (!summary) return null;
  return h(
    "section",
    { class: "summary", "aria-labelledby": "summary-heading" },
    h("h2", { id: "summary-heading" }, "Summary"),
    h("p", {}, summary),
  );
}
