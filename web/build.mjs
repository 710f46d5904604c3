// Bundle src/ into dist/: one ES module entry (plus lazily loaded chunks), the page and the styles.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const dist = new URL("./dist/", import.meta.url);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  format: "esm",
  splitting: true, // Firebase Auth is only loaded in production (see src/session.js)
  minify: true,
  sourcemap: true,
  target: "es2022",
  outdir: "dist",
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) {
  copyFileSync(new URL(`./src/${file}`, import.meta.url), new URL(file, dist));
}
console.log("built web/dist");
