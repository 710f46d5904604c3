// Counts the documents the app receives from Firestore (each one a billed read), and which ones,
// for tests and the benchmark: window.tabscribe.reads.
export const reads = { documents: 0, snapshots: 0, paths: [] };
globalThis.tabscribe = Object.assign(globalThis.tabscribe ?? {}, { reads });

function received(path) {
  reads.documents += 1;
  if (!reads.paths.includes(path)) reads.paths.push(path);
}

export function countDoc(snapshot) {
  reads.snapshots += 1;
  received(snapshot.ref.path);
}

export function countQuery(snapshot) {
  reads.snapshots += 1;
  for (const change of snapshot.docChanges()) {
    if (change.type !== "removed") received(change.doc.ref.path);
  }
}

// Errors are shown to the person and logged to the console, never thrown into the void.
export function reportError(where, error, show) {
  console.error(`${where}: ${error.code ?? ""} ${error.message}`);
  const hidden = error.code === "permission-denied" || error.code === "not-found";
  show(hidden ? "Not found, or not yours to read." : `Could not read ${where}: ${error.message}`);
}
