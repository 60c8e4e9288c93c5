// `valence config path | get | set | unset` run as a user runs them: which file they read and write
// (the project's valence.config.json over the user's), values typed as JSON or text, and a change the
// schema refuses never written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { temporaryDir } from "../support/dispatcher.ts";
import { cliEnv, runCli } from "./project.ts";

function setup() {
  const home = temporaryDir("valence-config-home-");
  const project = temporaryDir("valence-config-project-");
  const env = cliEnv({ XDG_CONFIG_HOME: home });
  const userFile = join(home, "valence", "config.json");
  const valence = (...args: string[]) => runCli(args, { cwd: project, env });
  return { project, userFile, valence };
}

test("valence config set writes the user config when there is none, checked by the schema first; get and unset read and remove", async () => {
  const { userFile, valence } = setup();
  assert.match(
    (await valence("config", "path")).out,
    /^none: the built-in executors \(valence config set writes .*config\.json\)/,
  );

  const set = await valence("config", "set", "local.maxWorkers", "3");
  assert.equal(set.code, 0, set.out);
  assert.match(set.out, /local\.maxWorkers = 3 in .*config\.json/);
  assert.deepEqual(JSON.parse(readFileSync(userFile, "utf8")), { local: { maxWorkers: 3 } });
  assert.equal((await valence("config", "get", "local.maxWorkers")).out.trim(), "3");
  assert.match((await valence("config", "path")).out, /config\.json \(user\)/);

  const typo = await valence("config", "set", "local.maxWorker", "2");
  assert.equal(typo.code, 1);
  assert.match(typo.out, /is unchanged: at local: unknown option "maxWorker" \(did you mean "maxWorkers"\?\)/);
  const wrong = await valence("config", "set", "local.maxWorkers", "many");
  assert.equal(wrong.code, 1);
  assert.match(wrong.out, /at local\.maxWorkers: must be integer \(got "many"\)/);
  assert.deepEqual(JSON.parse(readFileSync(userFile, "utf8")), { local: { maxWorkers: 3 } }, "nothing was written");

  const unset = await valence("config", "unset", "local.maxWorkers");
  assert.equal(unset.code, 0, unset.out);
  assert.deepEqual(JSON.parse(readFileSync(userFile, "utf8")), { local: {} });
  const missing = await valence("config", "get", "local.maxWorkers");
  assert.equal(missing.code, 1);
  assert.match(missing.out, /local\.maxWorkers is not set in /);
  assert.match(
    (await valence("config", "set", "__proto__.polluted", "1")).out,
    /"__proto__\.polluted" is not a config key/,
  );
});

test("valence config reads and writes the project's valence.config.json when there is one", async () => {
  const { project, userFile, valence } = setup();
  const projectFile = join(project, "valence.config.json");
  writeFileSync(projectFile, JSON.stringify({ inline: { concurrency: 2 } }));
  assert.equal((await valence("config", "path")).out.trim(), `${projectFile} (project)`);
  const set = await valence("config", "set", "defaultExecutor", "inline");
  assert.equal(set.code, 0, set.out);
  assert.deepEqual(JSON.parse(readFileSync(projectFile, "utf8")), {
    inline: { concurrency: 2 },
    defaultExecutor: "inline",
  });
  assert.ok(!existsSync(userFile), "the user config is left alone");
  const whole = JSON.parse((await valence("config", "get")).out) as unknown;
  assert.deepEqual(whole, { inline: { concurrency: 2 }, defaultExecutor: "inline" });
  const unknown = await valence("config", "set", "defaultExecutor", "gpu");
  assert.match(unknown.out, /there is no executor named "gpu"/);
});
