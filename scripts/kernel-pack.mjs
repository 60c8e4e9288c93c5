// `npm pack` / `npm publish` of kernel/ (the package users install): `prepack` builds what the
// package carries and `postpack` removes the copies it made. Node's standard library only.
//   prepack:  builds the kernel and the prebuilt JupyterLab extension, copies the extension to
//             kernel/labextension (where `valence install` finds it), and copies @valence/schema
//             (not published) into kernel/node_modules so that npm bundles it (bundleDependencies;
//             npm bundles nothing through the workspace's hoisted symlink).
//   postpack: removes both copies: the workspace resolves ../schema again, and `valence install`
//             takes the extension from extension/dist.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const kernel = join(root, "kernel");
const schemaCopy = join(kernel, "node_modules", "@valence", "schema");

// npm runs this script with its own settings in the environment; the npm installs the extension's
// build may run must not inherit them (npm_config_dry_run of `npm pack --dry-run` made `npm ci`
// install nothing, and npm_config_local_prefix points at the workspace root, not extension/).
for (const name of Object.keys(process.env)) if (name.startsWith("npm_config_")) delete process.env[name];

function prepack() {
  // Children print to stderr only: `npm pack --json` passes this script's stdout into its JSON.
  const run = (script, args) =>
    execFileSync(process.execPath, [script, ...args], { cwd: root, stdio: ["ignore", 2, 2] });
  run(join(root, "node_modules", "typescript", "bin", "tsc"), ["-b", "kernel"]);
  run(join(root, "extension", "scripts", "build.mjs"), []);
  const extension = join(root, "extension", "dist", "labextensions", "@valence", "jupyterlab-extension");
  const target = join(kernel, "labextension");
  rmSync(target, { recursive: true, force: true });
  cpSync(extension, target, { recursive: true });

  rmSync(schemaCopy, { recursive: true, force: true });
  mkdirSync(schemaCopy, { recursive: true });
  const schema = join(root, "schema");
  for (const name of [
    "package.json",
    "README.md",
    "dag.schema.json",
    "protocol.schema.json",
    "config.schema.json",
    "options.schema.json",
    "bullmq.schema.json",
    "runtime.schema.json",
  ])
    cpSync(join(schema, name), join(schemaCopy, name));
  // Only what runs: no source maps (their sources are not shipped), no build info.
  cpSync(join(schema, "dist"), join(schemaCopy, "dist"), {
    recursive: true,
    filter: (path) => !path.endsWith(".map") && !path.endsWith(".tsbuildinfo"),
  });
}

function postpack() {
  // A stale copy would shadow the extension a later build makes (install.ts looks here first).
  rmSync(join(kernel, "labextension"), { recursive: true, force: true });
  rmSync(schemaCopy, { recursive: true, force: true });
  try {
    rmdirSync(dirname(schemaCopy)); // kernel/node_modules/@valence, when nothing else is in it
  } catch {
    // not empty, or already gone
  }
}

const step = process.argv[2];
if (step === "prepack") prepack();
else if (step === "postpack") postpack();
else {
  console.error("usage: node scripts/kernel-pack.mjs prepack|postpack");
  process.exit(2);
}
