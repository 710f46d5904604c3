// The transcript: rows with timecodes in speaker colours, a speaker filter and a text search, and
// the row being played highlighted. Rows are focusable; click or Enter seeks the player. Sound
// events, when the upload asked for them, stand inline in grey (`[applause]`) before the first row
// that starts after them; they are not rows (no focus, no count) and a filter hides them. In a
// translation, a row the translation has no text for shows the original, marked "not translated".
import { h, mount } from "./dom.js";
import { timecode } from "./format.js";

export function assemble(pages, livePage) {
  const ordered = [...pages.values()].sort((a, b) => a.index - b.index);
  const segments = ordered.flatMap((page) => page.segments ?? []);
  if (livePage && !pages.has(livePage.index)) segments.push(...(livePage.segments ?? []));
  return segments;
}

export class TranscriptView {
  // `controls`: more labelled controls for the filters' line (the language switcher).
  constructor(seek, controls = []) {
    this.seek = seek;
    this.segments = [];
    this.rows = [];
    this.sounds = [];
    this.current = -1;
    this.active = -1;
    this.speaker = h("select", { id: "speaker-filter", onchange: () => this.filter() });
    this.search = h("input", {
      id: "search",
      type: "search",
      placeholder: "Search the transcript",
      oninput: () => this.filter(),
    });
    this.count = h("p", { class: "muted", id: "row-count", "aria-live": "polite" });
    this.filters = h(
      "div",
      { class: "filters" },
      controls,
      h("label", { for: "speaker-filter" }, "Speaker"),
      this.speaker,
      h("label", { for: "search" }, "Search"),
      this.search,
    );
    this.list = h("ol", { class: "transcript", "aria-label": "Transcript" });
    this.element = h(
      "section",
      { "aria-labelledby": "transcript-heading" },
      this.header(),
      this.list,
    );
  }

  header() {
    return [h("h2", { id: "transcript-heading" }, "Transcript"), this.filters, this.count];
  }

  // Re-render when the segments or the speakers changed; keeps the filter and the focused row.
  // `waiting`: more segments may come (the transcription is still processing). `events`: the
  // document's sound events, in time order.
  update(segments, styles, withHours, waiting, events = []) {
    this.waiting = waiting;
    this.updateSpeakers(styles);
    const focused = this.rows.indexOf(document.activeElement);
    this.segments = segments;
    this.rows = segments.map((s, i) => this.row(s, i, styles.get(s.voice), withHours));
    this.sounds = events.map((e) => sound(e, withHours));
    const active = this.active;
    this.active = -1;
    mount(this.list, inline(this.rows, this.sounds));
    this.current = -1;
    this.rove(active); // the tab stop stays where it was (filter() moves it off a hidden row)
    this.filter();
    if (focused >= 0 && this.rows[focused]) this.rows[focused].focus();
  }

  updateSpeakers(styles) {
    const chosen = this.speaker.value;
    const options = [...styles.entries()].map(([voice, s]) =>
      h("option", { value: String(voice) }, s.label),
    );
    mount(this.speaker, h("option", { value: "" }, "All speakers"), options);
    this.speaker.value = [...this.speaker.options].some((o) => o.value === chosen) ? chosen : "";
  }

  row(segment, index, style, withHours) {
    const seek = () => this.seek(segment.start_ms);
    const classes = [
      "seg",
      style.known ? "known" : "unknown",
      segment.untranslated && "untranslated",
    ];
    return h(
      "li",
      {
        class: classes.filter(Boolean).join(" "),
        tabindex: -1, // one row at a time is a tab stop (see rove)
        "data-start": segment.start_ms,
        "data-voice": segment.voice,
        style: { "--c": style.colour },
        onclick: seek,
        onfocus: () => this.rove(index),
        onkeydown: (event) => this.key(event, index, seek),
      },
      h("span", { class: "tc" }, timecode(segment.start_ms, withHours)),
      h("span", { class: "who" }, style.label),
      h(
        "span",
        { class: "text", lang: segment.lang },
        segment.text,
        segment.untranslated && h("span", { class: "untranslated-mark" }, "not translated"),
      ),
    );
  }

  key(event, index, seek) {
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      seek();
    } else if (step) {
      event.preventDefault();
      this.rows[this.neighbour(index, step)]?.focus();
    }
  }

  // The index of the nearest shown row after (step 1) or before (step -1) `index`, or -1.
  neighbour(index, step) {
    for (let i = index + step; i >= 0 && i < this.rows.length; i += step) {
      if (!this.rows[i].hidden) return i;
    }
    return -1;
  }

  // Roving tab stop: Tab enters the transcript at one row (the last focused, or the first
  // shown), and the arrow keys move within it; a thousand rows are not a thousand tab stops.
  rove(index) {
    this.rows[this.active]?.setAttribute("tabindex", "-1");
    this.active = index;
    this.rows[index]?.setAttribute("tabindex", "0");
  }

  filter() {
    const voice = this.speaker.value;
    const needle = this.search.value.trim().toLowerCase();
    let shown = 0;
    this.segments.forEach((segment, i) => {
      const match =
        (!voice || String(segment.voice) === voice) &&
        (!needle || (segment.text ?? "").toLowerCase().includes(needle));
      this.rows[i].hidden = !match;
      shown += match ? 1 : 0;
    });
    for (const item of this.sounds) item.hidden = Boolean(voice || needle);
    const total = this.segments.length;
    if (this.rows[this.active]?.hidden !== false) this.rove(this.neighbour(-1, 1));
    this.filters.hidden = total === 0;
    this.count.textContent = countText(shown, total, this.waiting);
  }

  // Highlight the row whose time span holds `ms` (the last one starting at or before it).
  highlight(ms) {
    let low = 0;
    let high = this.segments.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.segments[mid].start_ms <= ms) [found, low] = [mid, mid + 1];
      else high = mid - 1;
    }
    if (found === this.current) return;
    this.rows[this.current]?.classList.remove("current");
    this.rows[this.current]?.removeAttribute("aria-current");
    this.current = found;
    this.rows[found]?.classList.add("current");
    this.rows[found]?.setAttribute("aria-current", "true");
  }
}

function sound(event, withHours) {
  return h(
    "li",
    { class: "sound", "data-start": event.start_ms, "data-kind": event.kind },
    h("span", { class: "tc" }, timecode(event.start_ms, withHours)),
    h("span", { class: "text" }, `[${event.kind}]`),
  );
}

// The rows in their order, each sound before the first row that starts after it.
function inline(rows, sounds) {
  const items = [];
  let next = 0;
  for (const row of rows) {
    while (next < sounds.length && +sounds[next].dataset.start < +row.dataset.start) {
      items.push(sounds[next++]);
    }
    items.push(row);
  }
  return [...items, ...sounds.slice(next)];
}

function countText(shown, total, waiting) {
  if (total === 0) return waiting ? "Waiting for the first segments…" : "No transcript.";
  return shown === total ? `${total} segments` : `${shown} of ${total} segments`;
}
