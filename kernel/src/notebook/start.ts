// `valence kernel --connection-file F`: what Jupyter runs for the "TypeScript (Valence)" kernel.
import { readConnectionFile } from "./channels";
import { Kernel } from "./kernel";

export async function startKernel(connectionFile: string): Promise<Kernel> {
  const kernel = new Kernel(readConnectionFile(connectionFile));
  await kernel.start();
  return kernel;
}
