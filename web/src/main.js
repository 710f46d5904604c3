// Entry point: sign in, then route #/ (my transcriptions) and #/t/<id> (one transcription).
import { h, mount } from "./dom.js";
import { showList } from "./list.js";
import { loadConfig, openSession } from "./session.js";
import { showTranscription } from "./transcription.js";

const root = document.getElementById("app");
let stop = () => {};

function route(session) {
  stop();
  const match = /^#\/t\/([\w-]+)$/.exec(location.hash);
  stop = match ? showTranscription(session, root, match[1]) : showList(session, root);
}

function showUser(session) {
  const who = document.getElementById("who");
  mount(
    who,
    h("span", {}, `Signed in as ${session.uid}`),
    session.signOut && h("button", { type: "button", onclick: session.signOut }, "Sign out"),
  );
}

async function start() {
  performance.mark("viewer-start");
  const session = await openSession(await loadConfig(), root);
  showUser(session);
  window.addEventListener("hashchange", () => route(session));
  route(session);
}

start().catch((error) => {
  console.error(error);
  mount(
    root,
    h("p", { role: "alert", class: "problem" }, `The viewer could not start: ${error.message}`),
  );
});
