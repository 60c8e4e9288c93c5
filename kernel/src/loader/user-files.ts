// Where a script's functions were written, so an electron failing in the dispatcher points at the
// user's file and line (as a notebook cell's does). The loader keeps the code of every user file it
// ran — the ES module hooks, on a thread of their own, send it over a port; the CommonJS hook runs
// here — and a function about to be sent is found by its source text in that code; the file's
// source map (see source-maps.ts) gives the slice that travels with it.
import { receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { setFileOriginLocator, type SourceOrigin } from "../workflow/serialize/origins";
import { functionMappings, type Segment } from "../workflow/serialize/source-map";
import { inlineMappings } from "./source-maps";

export interface UserFile {
  readonly path: string;
  /** The code as it ran: transpiled, instrumented, with its inline source map. */
  readonly code: string;
}

interface Known extends UserFile {
  map?: Segment[][] | null;
}

const files = new Map<string, Known>();
let hooks: MessagePort | undefined;

export function recordUserFile(file: UserFile): void {
  files.delete(file.path); // a file loaded again (a fresh require) is searched first
  files.set(file.path, { ...file });
}

/** Reads the files the module hooks sent on `port`; installs the locator that searches them. */
export function followUserFiles(port?: MessagePort): void {
  if (port) {
    hooks = port;
    port.unref();
  }
  setFileOriginLocator((_fn, source) => userFileOrigin(source));
}

function userFileOrigin(source: string): SourceOrigin | undefined {
  // Synchronously: a module's message is queued before the module runs, so it is here by now.
  for (let message = hooks && receiveMessageOnPort(hooks); message; message = receiveMessageOnPort(hooks!))
    recordUserFile(message.message as UserFile);
  for (const file of [...files.values()].reverse()) {
    const at = file.code.indexOf(source);
    if (at === -1) continue;
    if (file.map === undefined) file.map = inlineMappings(file.code) ?? null;
    return file.map
      ? { file: file.path, mappings: functionMappings(file.code, file.map, at, source.length) }
      : undefined;
  }
  return undefined;
}
