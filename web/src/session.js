// Who reads, and from where. Locally: the uid in the URL (?uid=alice), signed in to the Auth
// emulator as that test account (or, without one, a mock user token for the Firestore emulator).
// In production: Firebase Authentication with Google sign-in.
import { initializeApp } from "firebase/app";
import { connectFirestoreEmulator, getFirestore } from "firebase/firestore";
import { h, mount } from "./dom.js";

// config.json is served beside the app: the local stack writes its emulators' addresses, a deploy
// writes the Firebase web config from Terraform's outputs. It alone names every endpoint: a link
// cannot point the viewer (or the user's ID token) anywhere else. The URL only picks the test
// account, and only in emulator mode, where tokens are the emulator's unsigned ones.
export async function loadConfig(search = location.search) {
  const response = await fetch("config.json", { cache: "no-store" });
  const config = response.ok ? await response.json() : {};
  const uid = new URLSearchParams(search).get("uid");
  return config.emulator && uid ? { ...config, uid } : config;
}

// Resolves to {db, uid, config, signOut, idToken} once someone is signed in (or renders the sign-in screen).
export async function openSession(config, root) {
  if (config.emulator) return emulatorSession(config, root);
  if (config.firebase) return firebaseSession(config, root);
  mount(root, h("p", { role: "alert" }, "No configuration: config.json is missing."));
  return new Promise(() => {});
}

async function emulatorSession(config, root) {
  if (!config.uid) {
    mount(root, uidForm());
    return new Promise(() => {});
  }
  const projectId = config.project ?? "tabscribe-local";
  const app = initializeApp({ projectId, apiKey: "local-emulator" });
  const db = getFirestore(app);
  const [host, port] = config.emulator.split(":");
  if (!config.auth) {
    // An unsigned token the emulator accepts: the rules see request.auth.uid == uid.
    connectFirestoreEmulator(db, host, Number(port), {
      mockUserToken: { sub: config.uid, user_id: config.uid },
    });
    return { db, uid: config.uid, config, signOut: null, idToken: null };
  }
  // The Auth emulator: a test account for the uid in the URL, signed in with an unsigned custom
  // token (the emulator accepts them); Firestore and the upload function get its ID token.
  connectFirestoreEmulator(db, host, Number(port));
  const auth = await import("firebase/auth");
  const instance = auth.getAuth(app);
  auth.connectAuthEmulator(instance, `http://${config.auth}`, { disableWarnings: true });
  const { user } = await auth.signInWithCustomToken(instance, customToken(config.uid));
  return { db, uid: user.uid, config, signOut: null, idToken: () => user.getIdToken() };
}

function customToken(uid) {
  const part = (data) =>
    btoa(JSON.stringify(data)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const now = Math.floor(Date.now() / 1000);
  const audience =
    "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit";
  return `${part({ alg: "none", typ: "JWT" })}.${part({ uid, iat: now, exp: now + 3600, aud: audience })}.`;
}

function uidForm() {
  return h(
    "form",
    { class: "signin", method: "get" },
    h("h1", {}, "Local viewer"),
    h("label", { for: "uid" }, "User id (the <owner> in uploads/<owner>/…)"),
    h("input", { id: "uid", name: "uid", required: true, autocomplete: "username" }),
    h("button", { type: "submit" }, "Open"),
  );
}

async function firebaseSession(config, root) {
  const app = initializeApp(config.firebase);
  const auth = await import("firebase/auth");
  const instance = auth.getAuth(app);
  const user = await new Promise((resolve) => {
    const stop = auth.onAuthStateChanged(instance, (current) => {
      if (current) {
        stop();
        resolve(current);
      } else mount(root, signInButton(auth, instance));
    });
  });
  const db = getFirestore(app, config.database ?? "(default)");
  return {
    db,
    uid: user.uid,
    config,
    signOut: () => auth.signOut(instance).then(() => location.reload()),
    idToken: () => user.getIdToken(),
  };
}

function signInButton(auth, instance) {
  const signIn = () => auth.signInWithPopup(instance, new auth.GoogleAuthProvider());
  return h(
    "section",
    { class: "signin" },
    h("h1", {}, "Tabscribe"),
    h("button", { type: "button", onclick: signIn }, "Sign in with Google"),
  );
}
