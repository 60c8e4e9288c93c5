// `valence worker`: runs BullMQ jobs that dispatchers' bullmq executors enqueue (worker.ts), until
// SIGTERM/SIGINT, which stop it cleanly (a second one hands running tasks back at once).
import { ValenceWorker, type WorkerOptions } from "./worker";

export { ValenceWorker, type WorkerOptions } from "./worker";

/** Starts a worker and stops it on SIGTERM/SIGINT; resolves when it has stopped. */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const worker = new ValenceWorker(options);
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      // Whatever happens to Redis, the process ends: grace period plus 10 s at most.
      setTimeout(
        () => {
          console.error("valence worker: could not stop cleanly in time; exiting");
          process.exit(0);
        },
        (options.graceMs ?? 30_000) + 10_000,
      ).unref();
      void worker.stop().then(resolve);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  await worker.start();
  await stopped;
}
