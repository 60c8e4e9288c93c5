// The dispatcher process's entry point (`valence-workflows/dispatcher` in the package's exports):
// `node <entry> --data-dir D [--config F] [--port N] [--host H] [--allow-origin O …]`. Clients
// start it through the package's exports; `valence start --foreground` runs the same process.
import { parseArgs } from "node:util";
import { defaultDataDir } from "../shared/paths";
import { runDispatcherProcess } from "./process";

const { values } = parseArgs({
  options: {
    "data-dir": { type: "string" },
    config: { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    "allow-origin": { type: "string", multiple: true },
  },
});
void runDispatcherProcess({
  dataDir: values["data-dir"] ?? defaultDataDir(),
  ...(values.config !== undefined ? { config: values.config } : {}),
  ...(values.port !== undefined ? { port: values.port } : {}),
  ...(values.host !== undefined ? { host: values.host } : {}),
  ...(values["allow-origin"] ? { allowOrigin: values["allow-origin"] } : {}),
});
