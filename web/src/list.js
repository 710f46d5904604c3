// My transcriptions: the signed-in user's documents, newest first, live.
import { collection, onSnapshot, orderBy, query, where } from "firebase/firestore";
import { h, mount } from "./dom.js";
import { duration, fileName, percent, statusText } from "./format.js";
import { countQuery, reportError } from "./reads.js";
import { uploadForm } from "./upload.js";

export function showList(session, root) {
  const heading = h("h1", {}, "My transcriptions");
  const body = h("div", {}, "Loading…");
  mount(root, heading, uploadForm(session), body);
  const mine = query(
    collection(session.db, "transcriptions"),
    where("owner", "==", session.uid),
    // composite index (owner ASC, created_at DESC): infra/firestore.tf
    orderBy("created_at", "desc"),
  );
  return onSnapshot(
    mine,
    (snapshot) => {
      countQuery(snapshot);
      mount(body, snapshot.empty ? emptyState() : listOf(snapshot.docs));
    },
    (error) => reportError("your transcriptions", error, (text) => mount(body, alert(text))),
  );
}

function emptyState() {
  return h("p", {}, "Nothing yet. Upload media to see its transcription here.");
}

function alert(text) {
  return h("p", { role: "alert", class: "problem" }, text);
}

function listOf(docs) {
  return h("ul", { class: "docs", "aria-label": "Transcriptions" }, docs.map(item));
}

function item(snap) {
  const doc = snap.data();
  const progress = doc.progress ?? {};
  const speakers = doc.counts?.speakers ?? doc.speakers?.length;
  return h(
    "li",
    { class: `doc status-${doc.status}`, "data-id": snap.id },
    h("a", { href: `#/t/${snap.id}`, class: "doc-name" }, fileName(doc)),
    h("span", { class: `badge ${doc.status}` }, statusText(doc)),
    doc.status === "processing" && progressBar(progress.fraction),
    h(
      "span",
      { class: "facts" },
      doc.created_at && h("span", {}, `Uploaded ${doc.created_at.toDate().toLocaleString()}`),
      doc.duration_ms != null && h("span", {}, `Duration ${duration(doc.duration_ms)}`),
      speakers != null && h("span", {}, `${speakers} speaker${speakers === 1 ? "" : "s"}`),
      progress.segments != null && h("span", {}, `${progress.segments} segments`),
    ),
  );
}

export function progressBar(fraction) {
  const value = Math.min(1, Math.max(0, fraction ?? 0));
  return h(
    "span",
    { class: "progress" },
    h("progress", { max: 1, value, "aria-label": "Progress" }),
    h("span", {}, percent(value)),
  );
}
