// The Firebase Authentication emulator of the pinned firebase-tools, alone: its own server on the
// given port, without the CLI (which would also start a hub and a logging server on fixed ports,
// look for credentials and fetch its message of the day). Node only, no network.
// Usage: node serve.cjs PROJECT PORT
const { createApp } = require("firebase-tools/lib/emulator/auth/server");

const [project, port] = process.argv.slice(2);
createApp(project).then((app) => {
  app.listen(Number(port), "127.0.0.1", () => {
    console.log(`auth emulator for ${project} on 127.0.0.1:${port}`);
  });
});
