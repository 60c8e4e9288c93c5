#!/usr/bin/env node
// The `valence` command. Each subcommand lives in its own module; this file only wires them up.
import { Command } from "commander";
import { runScript } from "./run";
import { start, status, stop } from "./dispatcher-commands";
import { cancel, list, logs, purge, remove, show } from "./dispatch-commands";
import { workerCommand } from "./worker-command";
import { configCommand } from "./config-command";
import { stop as stopTriggerCommand, triggers } from "./trigger-commands";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require("../../package.json") as { version: string };

const program = new Command()
  .name("valence")
  .description("Covalent-style workflows for TypeScript notebooks and scripts")
  .version(version);

program
  .command("run")
  .description("run a workflow script (TypeScript or JavaScript) with a progress bar per workflow run")
  .argument("<file>", "the script, e.g. examples/seed.ts")
  .argument("[args...]", "arguments passed to the script (process.argv)")
  .allowUnknownOption()
  .action(async (file: string, args: string[]) => {
    await runScript(file, args);
  });

program
  .command("start")
  .description("start your dispatcher in the background (one per user; scripts and kernels share it)")
  .option("--port <port>", "port to listen on (default: a free one)")
  .option("--host <host>", "interface to bind (default 127.0.0.1)")
  .option("--data-dir <dir>", "where dispatches are stored (default: $VALENCE_DATA_DIR or ~/.local/share/valence)")
  .option("--allow-origin <origin...>", "browser origins allowed besides loopback ones")
  .option(
    "--config <file>",
    "config file (default: $VALENCE_CONFIG, else valence.config.json here or in a parent directory, else ~/.config/valence/config.json)",
  )
  .option("--foreground", "run in this terminal instead of the background")
  .action(start);

program
  .command("stop")
  .description("stop your dispatcher; unfinished dispatches resume at the next start")
  .option("--data-dir <dir>", "data directory of the dispatcher to stop")
  .action(stop);

program
  .command("status")
  .description("show the dispatcher's address, uptime, running dispatches, config file and executors")
  .option("--data-dir <dir>", "data directory of the dispatcher")
  .action(status);

const DATA_DIR = [
  "--data-dir <dir>",
  "data directory of the dispatcher (default: $VALENCE_DATA_DIR or ~/.local/share/valence)",
] as const;

program
  .command("list")
  .description("list your dispatches, newest first")
  .option("--status <status>", "only those with this status (running, completed, failed, cancelled, pending)")
  .option("--name <lattice>", "only those of the lattice with this name")
  .option("--limit <n>", "at most this many (default 20)")
  .option("--json", "print JSON instead of a table")
  .option(...DATA_DIR)
  .action(list);

program
  .command("show")
  .description("show a dispatch: its status and timings, and every node with its inputs, status and output or error")
  .argument("<id>", "the dispatch id")
  .option("--json", "print the result and the graph as JSON")
  .option(...DATA_DIR)
  .action(show);

program
  .command("logs")
  .description("print what a dispatch's tasks wrote to stdout and stderr")
  .argument("<id>", "the dispatch id")
  .argument("[node]", "only this node's lines")
  .option("-f, --follow", "keep printing new lines until the dispatch finishes")
  .option("--json", "one JSON object per line")
  .option(...DATA_DIR)
  .action(logs);

program
  .command("cancel")
  .description("cancel a dispatch, or only some of its nodes and what depends on them")
  .argument("<id>", "the dispatch id")
  .argument("[nodes...]", "node ids")
  .option(...DATA_DIR)
  .action(cancel);

program
  .command("delete")
  .description("delete finished dispatches for good: their nodes, logs, outputs and sublattices' dispatches")
  .argument("<ids...>", "dispatch ids")
  .option("--volumes", "also the volumes they named that no other dispatch names")
  .option("--json", "print what was deleted as JSON")
  .option(...DATA_DIR)
  .action(remove);

program
  .command("purge")
  .description("delete every finished dispatch (asks first; unfinished ones are kept)")
  .option("-y, --yes", "do not ask")
  .option("--volumes", "also the volumes they named")
  .option("--json", "print what was deleted as JSON")
  .option(...DATA_DIR)
  .action(purge);

const triggerCommand = program
  .command("triggers")
  .description("list the triggers that dispatch lattices again (running ones; --all: stopped ones too)")
  .option("--all", "also the stopped triggers")
  .option("--json", "print JSON instead of a table")
  .option(...DATA_DIR)
  .action(triggers);
triggerCommand
  .command("stop")
  .description("stop a trigger for good (the dispatches it made are kept)")
  .argument("<id>", "the trigger id")
  .option("--json", "print the stopped trigger as JSON")
  .option(...DATA_DIR)
  .action(stopTriggerCommand);

program
  .command("kernel")
  .description("run the Jupyter kernel (Jupyter starts this through the kernel spec)")
  .requiredOption("--connection-file <file>", "the connection file Jupyter wrote")
  .action(async (options: { connectionFile: string }) => {
    const { startKernel } = await import("../notebook/index.js");
    await startKernel(options.connectionFile);
  });

program
  .command("install")
  .description('register the "TypeScript (Valence)" kernel and the JupyterLab extension with Jupyter')
  .option("--data-dir <dir>", "Jupyter data directory (default: $JUPYTER_DATA_DIR, `jupyter --data-dir`)")
  .option("--no-extension", "install only the kernel spec")
  .action(async (options: { dataDir?: string; extension: boolean }) => {
    const { install } = await import("../notebook/index.js");
    const installed = install({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.extension ? {} : { extension: false }),
    });
    console.log(`kernel spec: ${installed.kernelDir}`);
    if (installed.extensionDir) console.log(`JupyterLab extension: ${installed.extensionDir}`);
    for (const warning of installed.warnings) console.warn(`warning: ${warning}`);
  });

program.addCommand(workerCommand());
program.addCommand(configCommand());

program.parseAsync().catch((error: unknown) => {
  if (!(error instanceof Error) || process.env.VALENCE_DEBUG === "1") console.error(error);
  else {
    console.error(`valence: ${error.message}`);
    // A failed task's own stack is what the user needs to see, not ours.
    if (error.cause instanceof Error) console.error(`caused by: ${error.cause.stack ?? error.cause.message}`);
  }
  process.exitCode = 1;
});
