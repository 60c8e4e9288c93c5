// Large node outputs live in files beside the database, not in it: `outputs/<dispatchId>/<nodeId>.bin`
// under the data directory. A file is written and fsynced before the row that points to it commits,
// so a committed row never points to a missing or partial file.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

// Dispatch ids are UUIDs made by the dispatcher; anything else could escape the outputs directory.
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The path, relative to the data directory, where a node's large output is kept. */
export function outputFilePath(dispatchId: string, nodeId: number): string {
  if (!SAFE_ID.test(dispatchId)) throw new Error(`store: dispatch id ${JSON.stringify(dispatchId)} cannot name a file`);
  if (!Number.isSafeInteger(nodeId) || nodeId < 0) throw new Error(`store: node id ${nodeId} cannot name a file`);
  return join("outputs", dispatchId, `${nodeId}.bin`);
}

/** Writes `bytes` durably (file and directory entry fsynced) and returns the relative path. */
export function writeOutputFile(dataDir: string, dispatchId: string, nodeId: number, bytes: Uint8Array): string {
  const relative = outputFilePath(dispatchId, nodeId);
  const dir = join(dataDir, "outputs", dispatchId);
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fd = openSync(join(dataDir, relative), "w", 0o600);
  try {
    for (let written = 0; written < bytes.byteLength;) {
      written += writeSync(fd, bytes, written, bytes.byteLength - written);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDirectory(dir);
  if (created !== undefined) syncDirectory(join(dataDir, "outputs"));
  return relative;
}

export function readOutputFile(dataDir: string, relative: string): Uint8Array {
  return readFileSync(join(dataDir, relative));
}

// A new file's name is durable only once its directory is synced (Linux, macOS); Windows cannot open
// a directory for this and does not need it.
function syncDirectory(dir: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
