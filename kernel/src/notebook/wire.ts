// The Jupyter wire protocol (messaging spec 5.3): frames ⇄ messages, HMAC signatures. Only this file
// knows the byte layout; the rest of the kernel deals in `JupyterMessage` objects.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const PROTOCOL_VERSION = "5.3";

const DELIMITER = Buffer.from("<IDS|MSG>");

export interface MessageHeader {
  readonly msg_id: string;
  readonly msg_type: string;
  readonly session: string;
  readonly username: string;
  readonly date: string;
  readonly version: string;
}

export interface JupyterMessage<C = Record<string, unknown>> {
  /** ZeroMQ routing identities: a reply goes back through the same ones. */
  readonly identities: readonly Buffer[];
  readonly header: MessageHeader;
  /** The header of the message this one answers (empty object for none). */
  readonly parent: MessageHeader | Record<string, never>;
  readonly metadata: Record<string, unknown>;
  readonly content: C;
  readonly buffers: readonly Buffer[];
}

export class WireError extends Error {
  override readonly name = "WireError";
}

export class Signer {
  constructor(
    private readonly key: string,
    private readonly scheme = "hmac-sha256",
  ) {
    if (key && scheme !== "hmac-sha256") throw new WireError(`unsupported signature scheme "${scheme}"`);
  }

  sign(parts: readonly (string | Buffer)[]): string {
    if (!this.key) return "";
    const hmac = createHmac("sha256", this.key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }

  verify(signature: string, parts: readonly Buffer[]): boolean {
    if (!this.key) return true;
    const expected = Buffer.from(this.sign(parts));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/** Frames as they arrive on a ROUTER socket → a message; throws a WireError naming what is wrong. */
export function decode(frames: readonly Buffer[], signer: Signer): JupyterMessage {
  const split = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (split < 0) throw new WireError("message has no <IDS|MSG> delimiter");
  const [signature, ...parts] = frames.slice(split + 1);
  if (!signature || parts.length < 4) throw new WireError("message has fewer than four parts after the signature");
  if (!signer.verify(signature.toString(), parts.slice(0, 4))) throw new WireError("message signature does not match");
  const json = (buffer: Buffer, what: string): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(buffer.toString("utf8"));
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // named below
    }
    throw new WireError(`message ${what} is not a JSON object`);
  };
  const header = json(parts[0]!, "header") as unknown as MessageHeader;
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string")
    throw new WireError("message header lacks msg_type or msg_id");
  return {
    identities: frames.slice(0, split),
    header,
    parent: json(parts[1]!, "parent header") as JupyterMessage["parent"],
    metadata: json(parts[2]!, "metadata"),
    content: json(parts[3]!, "content"),
    buffers: parts.slice(4),
  };
}

export function encode(message: JupyterMessage<unknown>, signer: Signer): Buffer[] {
  const parts = [message.header, message.parent, message.metadata, message.content].map((part) =>
    Buffer.from(JSON.stringify(part), "utf8"),
  );
  return [...message.identities, DELIMITER, Buffer.from(signer.sign(parts)), ...parts, ...message.buffers];
}

/** A new message answering (or caused by) `parent`, in the parent's session. */
export function replyTo<C>(
  parent: JupyterMessage<unknown> | undefined,
  msgType: string,
  content: C,
  options: { identities?: readonly Buffer[]; metadata?: Record<string, unknown>; session?: string } = {},
): JupyterMessage<C> {
  return {
    identities: options.identities ?? [],
    header: {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: parent?.header.session ?? options.session ?? "",
      username: parent?.header.username ?? "valence",
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent: parent?.header ?? {},
    metadata: options.metadata ?? {},
    content,
    buffers: [],
  };
}
