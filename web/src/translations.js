// Translations of the transcript (decision 0026): the language switcher, and each row's text in
// the chosen language. A translation's pages mirror the transcript's (same ids, same boundaries),
// so a row's translation is the segment at the same place of the page with the same index; its
// `text` is null where the model gave none, and the row then shows the original, marked.
import { h, mount } from "./dom.js";

const NAMES = new Intl.DisplayNames(["en"], { type: "language", fallback: "code" });

export function languageName(code) {
  try {
    return NAMES.of(code);
  } catch {
    return code; // not a well-formed code: shown as it is
  }
}

// [{lang, name, status, reason, exports}] of the document's translations, by language name.
export function translationsOf(d) {
  return Object.values(d.enrichments ?? {})
    .filter((e) => e?.kind === "translation" && e.lang)
    .map((e) => ({ ...e, name: languageName(e.lang) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

// The transcript's segments with the text of `translated` (page index -> page), keeping each
// row's start and voice; `untranslated` where the translation has no text for the row.
export function translate(pages, translated, lang) {
  const ordered = [...pages.values()].sort((a, b) => a.index - b.index);
  return ordered.flatMap((page) =>
    (page.segments ?? []).map((segment, i) => {
      const text = translated.get(page.index)?.segments?.[i]?.text;
      return text == null ? { ...segment, untranslated: true } : { ...segment, text, lang };
    }),
  );
}

// A <select> of the original and each completed translation, and a line for the others
// (translating, or failed with its reason). `choose(lang)`: "" is the original.
export class LanguageSwitcher {
  constructor(choose) {
    this.select = h("select", { id: "language", onchange: () => choose(this.select.value) });
    this.note = h("span", { class: "language-note muted", "aria-live": "polite" });
    this.element = h(
      "span",
      { class: "language", hidden: true },
      h("label", { for: "language" }, "Language"),
      this.select,
    );
    this.shown = "";
  }

  get value() {
    return this.select.value;
  }

  // Redraw from the document's translations; the choice stays while its language is completed.
  // True when it had to go back to the original.
  update(translations) {
    const key = JSON.stringify(translations.map((t) => [t.lang, t.status, t.reason]));
    if (key === this.shown) return false;
    this.shown = key;
    const chosen = this.select.value;
    const completed = translations.filter((t) => t.status === "completed");
    mount(
      this.select,
      h("option", { value: "" }, "Original"),
      completed.map((t) => h("option", { value: t.lang }, t.name)),
    );
    this.select.value = completed.some((t) => t.lang === chosen) ? chosen : "";
    this.element.hidden = !completed.length;
    mount(this.note, translations.filter((t) => t.status !== "completed").map(pending));
    return this.select.value !== chosen;
  }

  // The chosen translation could not be read (its listener failed): back to the original, and
  // said until the next change.
  unreadable(lang) {
    this.select.value = "";
    this.note.append(
      h(
        "span",
        { class: "translation-state failed" },
        `Could not read the ${languageName(lang)} translation.`,
      ),
    );
  }
}

function pending(t) {
  const text =
    t.status === "failed"
      ? `${t.name} translation failed: ${t.reason ?? "no reason given"}`
      : `${t.name} translation: ${t.status ?? "waiting"}…`;
  return h("span", { class: `translation-state ${t.status}`, "data-lang": t.lang }, text);
}
