// Finds the running Valence kernels of open notebooks and asks each, over the "valence.dispatcher"
// comm, where the dispatcher is; the answer feeds the DispatcherLink. A restarted kernel is asked
// again once it is idle, since its comms closed with the old process.
import type { ISessionContext } from "@jupyterlab/apputils";
import type { INotebookTracker } from "@jupyterlab/notebook";
import type { Kernel } from "@jupyterlab/services";

import type { DispatcherLink, KernelRequest } from "./link";
import type { KernelCommReply } from "./schema/protocol.generated";

export const KERNEL_NAME = "valence";
export const COMM_TARGET = "valence.dispatcher";

/** How long a cancel request waits for the kernel's answer. */
const REQUEST_TIMEOUT_MS = 15_000;

function openComm(kernel: Kernel.IKernelConnection, link: DispatcherLink): Kernel.IComm {
  const comm = kernel.createComm(COMM_TARGET);
  const pending = new Map<number, (data: KernelCommReply) => void>();
  let nextRequest = 1;
  const request: KernelRequest = (data) =>
    new Promise((resolve, reject) => {
      const requestId = nextRequest++;
      const timer = setTimeout(() => {
        pending.delete(requestId);
        reject(new Error("the kernel did not answer (is it busy or gone?)"));
      }, REQUEST_TIMEOUT_MS);
      pending.set(requestId, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      comm.send({ ...data, requestId } as never);
    });
  comm.onMsg = (message) => {
    const data = reply(message.content.data);
    if (!data) return console.warn("Valence: the kernel sent a comm message that is not a KernelCommReply");
    if (data.requestId !== undefined) {
      pending.get(data.requestId)?.(data);
      pending.delete(data.requestId);
    } else if (data.type === "connection") {
      link.connect({ url: data.url, readToken: data.readToken }, request);
    } else if (data.type === "error") {
      console.warn(`Valence: ${data.message}`);
    }
  };
  comm.onClose = () => link.forgetKernel(request);
  comm.open({});
  return comm;
}

/** The kernel's message as a KernelCommReply (protocol.schema.json), checked field by field; undefined if it is not one. */
export function reply(value: unknown): KernelCommReply | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const data = value as Record<string, unknown>;
  if (data.requestId !== undefined && !Number.isInteger(data.requestId)) return undefined;
  const text = (key: string): boolean => typeof data[key] === "string";
  if (data.type === "connection" && text("url") && text("readToken")) return data as KernelCommReply;
  if (data.type === "error" && text("message")) return data as KernelCommReply;
  if (data.type === "cancelled" && text("dispatchId")) return data as KernelCommReply;
  return undefined;
}

function watchSession(context: ISessionContext, link: DispatcherLink): void {
  let comm: Kernel.IComm | undefined;
  let asked: Kernel.IKernelConnection | undefined;
  const ask = (): void => {
    const kernel = context.session?.kernel;
    if (!kernel || kernel.name !== KERNEL_NAME || kernel.status !== "idle") return;
    if (asked === kernel && comm && !comm.isDisposed) return;
    asked = kernel;
    try {
      comm = openComm(kernel, link);
    } catch (error) {
      console.warn("Valence: cannot open the dispatcher comm", error);
    }
  };
  context.statusChanged.connect((_, status) => {
    if (status === "restarting" || status === "autorestarting") comm = undefined;
    ask();
  });
  context.kernelChanged.connect(() => {
    comm = undefined;
    ask();
  });
  ask();
}

/** Watches every notebook, open now or later. */
export function watchNotebookKernels(tracker: INotebookTracker, link: DispatcherLink): void {
  tracker.forEach((panel) => watchSession(panel.sessionContext, link));
  tracker.widgetAdded.connect((_, panel) => watchSession(panel.sessionContext, link));
}
