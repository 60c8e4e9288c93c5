import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, findConfigFile, userConfigFile } from "#src/config/index.js";
import { temporaryDir } from "../support/dispatcher.ts";

/** A tree: root/valence.config.json, root/a/b (the working directory), a user config dir, and a named file. */
function tree() {
  const root = temporaryDir("valence-find-");
  const cwd = join(root, "a", "b");
  mkdirSync(cwd, { recursive: true });
  const xdg = join(root, "xdg");
  mkdirSync(join(xdg, "valence"), { recursive: true });
  const files = {
    project: join(root, "valence.config.json"),
    user: join(xdg, "valence", "config.json"),
    named: join(root, "named.json"),
    fromEnv: join(root, "env.json"),
  };
  for (const file of Object.values(files)) writeFileSync(file, "{}");
  return { root, cwd, xdg, files, done: () => rmSync(root, { recursive: true, force: true }) };
}

test("the config is found by --config first, then VALENCE_CONFIG, then the project upwards, then the user dir", () => {
  const t = tree();
  try {
    const env = { VALENCE_CONFIG: t.files.fromEnv, XDG_CONFIG_HOME: t.xdg };
    assert.deepEqual(findConfigFile({ flag: "../../named.json", cwd: t.cwd, env }), {
      path: t.files.named,
      source: "flag",
    });
    assert.deepEqual(findConfigFile({ cwd: t.cwd, env }), { path: t.files.fromEnv, source: "env" });
    assert.deepEqual(findConfigFile({ cwd: t.cwd, env: { XDG_CONFIG_HOME: t.xdg } }), {
      path: t.files.project,
      source: "project",
    });
    // A project file nearer the working directory wins over one further up.
    writeFileSync(join(t.root, "a", "valence.config.json"), "{}");
    assert.equal(findConfigFile({ cwd: t.cwd, env: {} })?.path, join(t.root, "a", "valence.config.json"));
    rmSync(join(t.root, "a", "valence.config.json"));
    rmSync(t.files.project);
    assert.deepEqual(findConfigFile({ cwd: t.cwd, env: { XDG_CONFIG_HOME: t.xdg } }), {
      path: t.files.user,
      source: "user",
    });
    rmSync(t.files.user);
    assert.equal(findConfigFile({ cwd: t.cwd, env: { XDG_CONFIG_HOME: t.xdg } }), undefined);
  } finally {
    t.done();
  }
});

test("the user config dir is $XDG_CONFIG_HOME/valence, else ~/.config/valence (a relative XDG_CONFIG_HOME is ignored)", () => {
  assert.equal(userConfigFile({ XDG_CONFIG_HOME: "/x/conf" }), "/x/conf/valence/config.json");
  assert.match(userConfigFile({}), /\/\.config\/valence\/config\.json$/);
  assert.match(userConfigFile({ XDG_CONFIG_HOME: "relative/conf" }), /\/\.config\/valence\/config\.json$/);
});

test("a config file named by --config or VALENCE_CONFIG that does not exist is an error, not a silent fallback", () => {
  const t = tree();
  try {
    assert.throws(() => findConfigFile({ flag: "missing.json", cwd: t.cwd, env: {} }), {
      name: "ConfigError",
      message: `invalid config ${join(t.cwd, "missing.json")}: --config missing.json: no such file`,
    });
    assert.throws(
      () => findConfigFile({ cwd: t.cwd, env: { VALENCE_CONFIG: t.root } }),
      (error: unknown) =>
        error instanceof ConfigError && error.message.endsWith(`VALENCE_CONFIG=${t.root}: not a file`),
    );
  } finally {
    t.done();
  }
});
