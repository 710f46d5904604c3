// One transcription: live status and progress, the player, chapters, summary, speakers, issues,
// exports, transcript and its translations. Reads as docs/firestore.md says: the document (with its
// live page), and the pages of the run it names, constrained on that run (the rules show a run's
// pages only while it is the current run); a translation's pages alike, once its language is chosen.
import { collection, doc, documentId, onSnapshot, orderBy, query, where } from "firebase/firestore";
import { Chapters, summaryBlock } from "./chapters.js";
import { deleteButton } from "./delete.js";
import { h, mount } from "./dom.js";
import {
  duration,
  fileName,
  speakerStyles,
  statusText,
  timecode,
  TERMINAL,
  TROUBLE,
  withHours,
} from "./format.js";
import { canCorrect, Editor } from "./corrections.js";
import { progressBar } from "./list.js";
import { canRead, signedUrl } from "./media.js";
import { countDoc, countQuery, reportError } from "./reads.js";
import { issuesList, speakersTable } from "./speakers.js";
import { assemble, TranscriptView } from "./transcript.js";
import { LanguageSwitcher, translate, translationsOf } from "./translations.js";

export function showTranscription(session, root, id) {
  const page = new TranscriptionPage(session, root, doc(session.db, "transcriptions", id));
  const stop = onSnapshot(
    page.ref,
    (snap) => page.onDoc(snap),
    (e) => page.fail("this transcription", e),
  );
  return () => {
    stop();
    page.stopPages();
    page.stopTranslation();
  };
}

const runKey = (run) => (run ? `${run.generation}/${run.attempt}` : "");

// The pages of `run` in a pages collection (the transcript's, or a translation's), in page order.
function runPages(pages, run) {
  return query(
    pages,
    where("run.generation", "==", run.generation),
    where("run.attempt", "==", run.attempt),
    orderBy(documentId()),
  );
}

class TranscriptionPage {
  constructor(session, root, ref) {
    this.session = session;
    this.root = root;
    this.ref = ref;
    this.doc = null;
    this.pages = new Map();
    this.run = "";
    this.stopPages = () => {};
    this.player = null;
    this.lang = ""; // the transcript's language shown: "" the original
    this.translated = null; // page index -> the chosen translation's page; null until read
    this.translatedKey = "";
    this.translatedVersion = 0; // snapshots received: the rows redraw on each
    this.stopTranslation = () => {};
    this.switcher = new LanguageSwitcher((lang) => this.chooseLanguage(lang));
    this.view = new TranscriptView(
      (ms) => this.seek(ms),
      [this.switcher.element, this.switcher.note],
    );
    this.chapters = null;
    this.playedMs = -1; // where the player was last seen (chapters highlight from it)
    this.editor = new Editor(session, ref.id);
    this.scheduled = false;
    this.failed = false;
    this.shown = new Map(); // box -> what it last showed (redraw)
    mount(root, h("p", {}, "Loading…"));
  }

  onDoc(snap) {
    countDoc(snap);
    if (!this.doc) performance.mark("transcript-document");
    if (!snap.exists())
      return this.fail("this transcription", { code: "not-found", message: "no such document" });
    this.doc = snap.data();
    this.followRun(this.doc.run);
    this.schedule();
  }

  // A new run (an overwrite, a retry) is a new query; the old run's pages are dropped.
  followRun(run) {
    const key = runKey(run);
    if (key === this.run) return;
    this.stopPages();
    this.run = key;
    this.pages = new Map();
    this.followTranslation(run);
    if (!run) return;
    this.stopPages = onSnapshot(
      runPages(collection(this.ref, "pages"), run),
      (snap) => key === this.run && this.onPages(snap),
      (e) => this.pagesFailed(e, key),
    );
  }

  // The run moved on while its listener was open: the rules hide its pages now, and the next
  // document snapshot opens the new run's listener. Anything else fails the page.
  pagesFailed(error, key) {
    if (key !== this.run || error.code === "permission-denied") {
      console.warn(`pages of run ${key}: ${error.code ?? ""} ${error.message}`);
      return;
    }
    this.fail("its pages", error);
  }

  onPages(snap) {
    countQuery(snap);
    if (!this.pages.size) performance.mark("transcript-pages");
    for (const change of snap.docChanges()) {
      if (change.type === "removed") this.pages.delete(change.doc.data().index);
      else this.pages.set(change.doc.data().index, change.doc.data());
    }
    this.schedule();
  }

  chooseLanguage(lang) {
    this.lang = lang;
    this.followTranslation(this.doc?.run);
    this.schedule();
  }

  // The chosen translation's pages of `run`, queried like the transcript's.
  followTranslation(run) {
    this.stopTranslation();
    this.stopTranslation = () => {};
    this.translated = null;
    const key = run && this.lang ? `${runKey(run)}/${this.lang}` : "";
    this.translatedKey = key;
    if (!key) return;
    this.stopTranslation = onSnapshot(
      runPages(collection(this.ref, "translations", this.lang, "pages"), run),
      (snap) => key === this.translatedKey && this.onTranslation(snap),
      (e) => this.translationFailed(e, key),
    );
  }

  onTranslation(snap) {
    countQuery(snap);
    this.translated ??= new Map();
    this.translatedVersion += 1;
    for (const change of snap.docChanges()) {
      if (change.type === "removed") this.translated.delete(change.doc.data().index);
      else this.translated.set(change.doc.data().index, change.doc.data());
    }
    this.schedule();
  }

  // The transcript stays readable: the original is shown, and the switcher says why.
  translationFailed(error, key) {
    console.warn(`translation ${key}: ${error.code ?? ""} ${error.message}`);
    if (key !== this.translatedKey) return;
    this.switcher.unreadable(this.lang);
    this.chooseLanguage("");
  }

  // Every failed listener is logged; the first one replaces the page with its message.
  fail(what, error) {
    const first = !this.failed;
    this.failed = true;
    reportError(
      what,
      error,
      (text) => first && mount(this.root, h("p", { role: "alert", class: "problem" }, text)),
    );
  }

  schedule() {
    if (this.scheduled || this.failed || !this.doc) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      if (!this.failed) this.render();
    });
  }

  render() {
    const d = this.doc;
    const live = !d.live_page?.run || runKey(d.live_page.run) === this.run ? d.live_page : null;
    if (this.switcher.update(translationsOf(d))) this.chooseLanguage(this.switcher.value);
    const segments = this.translated
      ? translate(this.pages, this.translated, this.lang)
      : assemble(this.pages, live);
    const styles = speakerStyles(d.speakers, segments);
    const hours = withHours(d.duration_ms);
    if (!this.layout) this.build(d);
    const status = [d.status, d.reason, d.complete, d.progress, d.duration_ms];
    this.redraw(this.statusBox, status, () => [statusLine(d), trouble(d)]);
    const reveal = (ms) => this.seek(ms, true);
    const editor = canCorrect(this.session, d) ? this.editor : null;
    this.redraw(this.chaptersBox, [d.chapters, hours], () => this.showChapters(d.chapters, hours));
    this.redraw(this.summaryBox, [d.summary], () => summaryBlock(d.summary));
    this.redraw(this.speakersBox, [d.speakers, Boolean(editor), d.corrections?.standing], () => [
      editor?.undoButton(d),
      editor?.box,
      speakersTable(d.speakers, styles, reveal, hours, editor),
    ]);
    const files = downloads(d);
    this.redraw(this.extrasBox, [d.issues, d.counts?.issues, files], () => [
      issuesList(d),
      exportsList(this.session, this.ref.id, files),
    ]);
    const shown = `${this.translatedKey}:${this.translated ? this.translatedVersion : "-"}`;
    const signature = `${d.status}:${rowsSignature(segments, d.speakers)}:${d.events?.length}:${shown}`;
    if (signature !== this.signature) {
      this.signature = signature;
      this.view.update(segments, styles, hours, !TERMINAL.has(d.status), d.events ?? []);
      if (this.playedMs >= 0) this.view.highlight(this.playedMs); // e.g. across a switch
    }
    this.markPainted(d, segments);
  }

  showChapters(chapters, hours) {
    const seek = (ms) => this.seek(ms, true);
    this.chapters = chapters?.length ? new Chapters(chapters, seek, hours) : null;
    this.chapters?.highlight(this.playedMs);
    return this.chapters?.element;
  }

  // Replace a box's content only when what it shows changed: keeps focus and an open <details>.
  redraw(box, shown, build) {
    const key = JSON.stringify(shown ?? null);
    if (this.shown.get(box) === key) return;
    this.shown.set(box, key);
    mount(box, build());
  }

  build(d) {
    this.statusBox = h("div", { class: "status", "aria-live": "polite" });
    this.speakersBox = h("div", { class: "speakers-box" });
    this.extrasBox = h("div", { class: "extras" });
    this.chaptersBox = h("div", { class: "chapters-box" });
    this.summaryBox = h("div", { class: "summary-box" });
    this.player = mediaPlayer(this.session, this.ref.id, d);
    this.player?.addEventListener("timeupdate", () => this.follow());
    this.layout = h(
      "div",
      { class: "layout" },
      h("div", { class: "side" }, this.player ?? noMedia(), this.chaptersBox, this.extrasBox),
      h(
        "div",
        { class: "main" },
        this.summaryBox,
        h("h2", {}, "Speakers"),
        this.speakersBox,
        this.view.element,
      ),
    );
    const back = h("a", { href: "#/", class: "back" }, "← My transcriptions");
    const remove = deleteButton(this.session, this.ref.id, fileName(d));
    mount(this.root, back, h("h1", {}, fileName(d)), remove, this.statusBox, this.layout);
  }

  // While playing, the highlighted row and chapter follow the media; the row stays in view.
  follow() {
    const before = this.view.current;
    this.playedMs = this.player.currentTime * 1000;
    this.view.highlight(this.playedMs);
    this.chapters?.highlight(this.playedMs);
    if (!this.player.paused && this.view.current !== before) {
      this.view.rows[this.view.current]?.scrollIntoView({ block: "nearest" });
    }
  }

  seek(ms, reveal = false) {
    if (!this.player) return;
    this.player.currentTime = ms / 1000;
    this.playedMs = ms;
    this.view.highlight(ms);
    this.chapters?.highlight(ms);
    if (reveal) this.view.rows[this.view.current]?.scrollIntoView({ block: "center" });
  }

  // Once everything the document promises is on screen: a mark for the benchmark and the tests.
  markPainted(d, segments) {
    const expected = d.counts?.segments ?? segments.length;
    if (!TERMINAL.has(d.status) || segments.length < expected || this.root.dataset.painted) return;
    this.root.dataset.painted = "true";
    performance.mark("transcript-painted");
  }
}

// Rows change when segments are added or the speaker table (names, colours) changes.
function rowsSignature(segments, speakers) {
  const last = segments.at(-1);
  const names = (speakers ?? []).map((s) => `${s.voice}:${s.name}:${s.placeholder}`).join("|");
  return `${segments.length}:${last?.start_ms}:${last?.text?.length}:${names}`;
}

function statusLine(d) {
  const p = d.progress ?? {};
  return h(
    "p",
    { class: "status-line" },
    h("span", { class: `badge ${d.status}`, id: "status" }, statusText(d)),
    d.status === "processing" && progressBar(p.fraction),
    p.segments != null && h("span", {}, `${p.segments} segments`),
    d.status === "processing" &&
      p.last_start_ms != null &&
      h("span", {}, `up to ${timecode(p.last_start_ms)}`),
    d.duration_ms != null && h("span", {}, `Duration ${duration(d.duration_ms)}`),
  );
}

function trouble(d) {
  const cut = d.status === "completed" && d.complete === false;
  if (!TROUBLE.has(d.status) && !cut) return null;
  const title = cut
    ? "Incomplete"
    : { failed: "Failed", blocked: "Blocked", rejected: "Rejected" }[d.status];
  const reason = d.reason ?? (cut ? "the model's output was cut off" : "no reason given");
  return h("div", { role: "alert", class: "problem" }, h("strong", {}, `${title}: `), reason);
}

// The player gets its media through a signed URL, asked for once the page is built.
function mediaPlayer(session, id, d) {
  if (!canRead(session) || !d.source?.name) return null;
  const tag = d.has_video === false ? "audio" : "video";
  const player = h(tag, {
    controls: true,
    preload: "metadata",
    id: "player",
    "aria-label": "Media player",
  });
  const load = () =>
    signedUrl(session, id, "source").then(
      (url) => {
        player.src = url;
      },
      (error) => console.error(`media: ${error.message}`),
    );
  renewWhenLapsed(player, load);
  load();
  return player;
}

// A signed URL lives 15 minutes: a read the player makes after that fails, and a new URL (`load`)
// takes over where the player stood (at most once a minute, so a source that really fails does
// not loop).
const RENEW_EVERY_MS = 60_000;

function renewWhenLapsed(player, load) {
  // Where the player stood with its media (a reload's reset to 0, with nothing loaded, is not).
  let at = 0;
  let playing = false;
  player.addEventListener("timeupdate", () => {
    if (player.readyState > 0) at = player.currentTime;
  });
  player.addEventListener("play", () => (playing = true));
  player.addEventListener("pause", () => (playing = player.readyState === 0 && playing));
  let renewed = 0;
  player.addEventListener("error", () => {
    if (!player.src || Date.now() - renewed < RENEW_EVERY_MS) return;
    renewed = Date.now();
    const [from, resume] = [at, playing];
    const goOn = () => {
      player.currentTime = from;
      if (resume) player.play().catch(() => {});
    };
    player.addEventListener("loadedmetadata", goOn, { once: true });
    load();
  });
}

function noMedia() {
  return h("p", { class: "muted" }, "Media and downloads need a signed-in session.");
}

const FORMATS = { vtt: "WebVTT", srt: "SRT", json: "JSON" };

// [{object, lang, label}]: the transcript's exports, then each completed translation's subtitles.
function downloads(d) {
  const own = Object.keys(FORMATS)
    .filter((object) => d.exports?.[object])
    .map((object) => ({ object, label: FORMATS[object] }));
  const translated = translationsOf(d)
    .filter((t) => t.status === "completed")
    .flatMap((t) =>
      ["vtt", "srt"]
        .filter((object) => t.exports?.[object])
        .map((object) => ({ object, lang: t.lang, label: `${FORMATS[object]} (${t.name})` })),
    );
  return [...own, ...translated];
}

// Each download asks for its signed URL when clicked: the file comes as an attachment, named
// after the upload (and the language), and the page stays.
function exportsList(session, id, files) {
  if (!canRead(session) || !files.length) return null;
  const open = (file) => async (event) => {
    event.preventDefault();
    try {
      location.assign(await signedUrl(session, id, file.object, file.lang));
    } catch (error) {
      console.error(`download: ${error.message}`);
    }
  };
  return h(
    "nav",
    { class: "exports", "aria-label": "Downloads" },
    h("h2", {}, "Download"),
    h(
      "ul",
      {},
      files.map((file) => {
        const href = `#download-${file.lang ? `${file.lang}-` : ""}${file.object}`;
        return h("li", {}, h("a", { href, onclick: open(file) }, file.label));
      }),
    ),
  );
}
