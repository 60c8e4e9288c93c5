// BullMQ's moveToActive script, as `valence worker` runs it. BullMQ's own re-adds the queue's marker
// after every job it hands over ("there may be more"), which wakes every other idle worker of the
// queue for a fetch that finds nothing: with tasks coming one at a time (a chain of dependent tasks),
// each job cost another worker a wake-up, a script and a new blocking read, on the same cores as the
// job itself (a chain step took longer with a second idle worker). This variant re-adds the
// marker only when jobs are left waiting, so a backlog still wakes every worker. It is defined on the
// worker's connection before BullMQ's Worker loads its scripts (BullMQ keeps a command already
// defined); a BullMQ whose script is not the one expected keeps its own.
import type { RedisClient } from "../executors/bullmq/connection";

interface Script {
  readonly name: string;
  readonly content: string;
  readonly keys: number;
}

/** BullMQ's re-adding of the marker in moveToActive (prepareJobForProcessing), exactly once. */
const READD = "addBaseMarkerIfNeeded(markerKey, false)";
/** KEYS[1] is the wait list, KEYS[3] the prioritized set, in moveToActive's keys. */
const READD_IF_LEFT = `if rcall("LLEN", KEYS[1]) > 0 or rcall("ZCARD", KEYS[3]) > 0 then ${READD} end`;

/** Defines the quieter moveToActive on `client`; false (BullMQ's own stays) when it cannot. */
export function quietMarker(client: RedisClient): boolean {
  let scripts: Record<string, Script>;
  let version: string;
  try {
    // BullMQ's compiled scripts and the version its command names carry ("moveToActive:6.7.6").
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal modules, no types
    scripts = require("bullmq/dist/cjs/scripts") as Record<string, Script>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    version = (require("bullmq/dist/cjs/version") as { version: string }).version;
  } catch {
    return false;
  }
  const stock = Object.values(scripts).find((script) => script.name === "moveToActive");
  if (!stock || stock.keys !== 11 || stock.content.split(READD).length !== 2) return false;
  const name = `moveToActive:${version}`;
  if (name in client) return false;
  client.defineCommand(name, { numberOfKeys: stock.keys, lua: stock.content.replace(READD, READD_IF_LEFT) });
  return true;
}
