// The viewer's Content-Security-Policy, one for both servers: firebase.json's (scripts from the
// site only, plus Google's sign-in loader; connections to the site and to Firebase's and Cloud
// Storage's Google endpoints; media from Cloud Storage's signed URLs), completed with the
// endpoints config.json names: the HTTP functions (and, locally, the emulators) to
// connect to, the sign-in domain to frame; locally, the signed-URL gateway (ORIGIN) that stands
// for Cloud Storage, to connect to and play media from. Hosting gets it from firebase.json (cloudbuild.yaml writes it there before
// deploying); the local stack's static server (stack/web.py) sends what this prints.
//
//   node policy.mjs CONFIG|- [ORIGIN...]    print the policy (ORIGINs: where signed URLs point)
//   node policy.mjs --write CONFIG          write it into firebase.json
import { readFileSync, writeFileSync } from "node:fs";

const FILE = new URL("./firebase.json", import.meta.url);

function completed(policy, config, signed) {
  const origin = (url) => url && new URL(url).origin;
  const http = (hostPort) => hostPort && `http://${hostPort}`; // the emulators' host:port
  const domain = config.firebase?.authDomain;
  const more = {
    "connect-src": [
      origin(config.uploads),
      origin(config.reads),
      origin(config.deletion),
      origin(config.corrections),
      http(config.emulator),
      http(config.auth),
      ...signed,
    ],
    "frame-src": [domain && `https://${domain}`],
    "media-src": signed,
  };
  return policy
    .split(";")
    .map((directive) => directive.trim())
    .map((directive) => [directive, ...(more[directive.split(" ")[0]] ?? [])].filter(Boolean))
    .map((sources) => [...new Set(sources)].join(" "))
    .join("; ");
}

const write = process.argv[2] === "--write";
const [file, ...signed] = process.argv.slice(write ? 3 : 2);
const hosting = JSON.parse(readFileSync(FILE, "utf8"));
const header = hosting.hosting.headers
  .find((rule) => rule.source === "**")
  .headers.find((h) => h.key === "Content-Security-Policy");
const config = JSON.parse(readFileSync(file === "-" ? 0 : file, "utf8"));
header.value = completed(header.value, config, signed);
if (write) writeFileSync(FILE, `${JSON.stringify(hosting, null, 2)}\n`);
else console.log(header.value);
