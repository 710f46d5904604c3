// Formatting shared by the pages: timecodes, names, speaker colours.

export function timecode(ms, withHours = false) {
  const total = Math.max(0, Math.floor((ms ?? 0) / 1000));
  const two = (n) => String(n).padStart(2, "0");
  const minutes = withHours ? Math.floor(total / 60) % 60 : Math.floor(total / 60);
  const mmss = `${two(minutes)}:${two(total % 60)}`;
  return withHours ? `${Math.floor(total / 3600)}:${mmss}` : mmss;
}

// One way everywhere: H:MM:SS for media of an hour or more, MM:SS below (as the player shows).
export function withHours(durationMs) {
  return (durationMs ?? 0) >= 3_600_000;
}

export function duration(ms) {
  return timecode(ms, withHours(ms));
}

export function fileName(doc) {
  const name = doc.source?.name ?? "";
  return name.slice(name.lastIndexOf("/") + 1) || "(unnamed)";
}

export const TERMINAL = new Set(["completed", "failed", "blocked", "rejected"]);

// What a status badge says: a transcription waiting in a batch job (decision 0032) says so.
export function statusText(doc) {
  if (doc.status === "queued") return "queued (batch)";
  return doc.status ?? "waiting";
}
export const TROUBLE = new Set(["failed", "blocked", "rejected"]);

// Colours for identified speakers, readable on white; unidentified ones are grey.
const PALETTE = ["#1b6ac9", "#c2410c", "#15803d", "#9333ea", "#b91c1c", "#0e7490", "#a16207"];
export const GREY = "#6b7280";

export function identified(speaker) {
  return Boolean(speaker && speaker.name && !speaker.placeholder);
}

// voice -> {speaker, label, colour, known}; every voice in the segments gets an entry.
export function speakerStyles(speakers, segments = []) {
  const styles = new Map();
  let next = 0;
  for (const speaker of speakers ?? []) {
    const known = identified(speaker);
    styles.set(speaker.voice, {
      speaker,
      known,
      label: known ? speaker.name : `Voice ${speaker.voice}`,
      colour: known ? PALETTE[next++ % PALETTE.length] : GREY,
    });
  }
  for (const { voice } of segments) {
    if (!styles.has(voice)) {
      const label = voice == null ? "Unknown voice" : `Voice ${voice}`;
      styles.set(voice, { speaker: null, known: false, label, colour: GREY });
    }
  }
  return styles;
}

export function percent(fraction) {
  return `${Math.round(Math.min(1, Math.max(0, fraction ?? 0)) * 100)}%`;
}
