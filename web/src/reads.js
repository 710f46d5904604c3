// Counts the documents the app receives from Firestore (each one a billed read), for tests and
// the benchmark: window.tabscribe.reads.
export const reads = { documents: 0, snapshots: 0 };
globalThis.tabscribe = Object.assign(globalThis.tabscribe ?? {}, { reads });

export function countDoc() {
  reads.snapshots += 1;
  reads.documents += 1;
}

export function countQuery(snapshot) {
  reads.snapshots += 1;
  reads.documents += snapshot.docChanges().filter((c) => c.type !== "removed").length;
}

// Errors are shown to the person and logged to the console, never thrown into the void.
export function reportError(where, error, show) {
  console.error(`${where}: ${error.code ?? ""} ${error.message}`);
  const hidden = error.code === "permission-denied" || error.code === "not-found";
  show(hidden ? "Not found, or not yours to read." : `Could not read ${where}: ${error.message}`);
}
