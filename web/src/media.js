// Media and downloads through the reads function (config.reads), locally as deployed: it checks
// the user's ID token and that the transcription is theirs, and answers a signed URL to Cloud
// Storage that lives 15 minutes, so one is asked for when it is needed, never kept (the player
// asks again when its URL has lapsed).

export function canRead(session) {
  return Boolean(session.idToken && session.config.reads);
}

// object: "source" | "vtt" | "srt" | "json"; lang: a completed translation's code, for its vtt or
// srt (omitted: the transcript's own).
export async function signedUrl(session, transcription, object, lang = undefined) {
  const response = await fetch(session.config.reads, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await session.idToken()}`,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ transcription, object, lang }),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer.url;
}
