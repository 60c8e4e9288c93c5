// Workers in Redis: each `valence worker` keeps a record (id, host, pid, what it declares) at a key
// with a TTL that its heartbeat refreshes, and its id in a set; the executor reads the live ones to
// route tasks and explain waits. The class queues tasks were sent to are kept in a set and announced
// on the control channel, so a worker that can serve one starts consuming it.
import type { RedisClient } from "./connection";
import { checkWorkerRecord, type ControlKeys, type ControlMessage, type WorkerRecord } from "./protocol";

/** A record lives this long without a heartbeat (a killed worker disappears after it). */
export const RECORD_TTL_MS = 10_000;
/** How often a worker refreshes its record. */
export const HEARTBEAT_MS = 3_000;

export async function register(client: RedisClient, keys: ControlKeys, record: WorkerRecord): Promise<void> {
  await client
    .multi()
    .set(keys.worker(record.id), JSON.stringify(record), "PX", RECORD_TTL_MS)
    .sadd(keys.workers, record.id)
    .exec();
}

export async function unregister(client: RedisClient, keys: ControlKeys, id: string): Promise<void> {
  await client.multi().del(keys.worker(id)).srem(keys.workers, id).exec();
}

/** The workers whose record has not expired; ids of expired ones are dropped from the set. */
export async function liveWorkers(client: RedisClient, keys: ControlKeys): Promise<WorkerRecord[]> {
  const ids = await client.smembers(keys.workers);
  if (!ids.length) return [];
  const records = await client.mget(ids.map((id) => keys.worker(id)));
  const live: WorkerRecord[] = [];
  const gone: string[] = [];
  records.forEach((text, i) => {
    const record = checkWorkerRecord(text);
    if (record) live.push(record);
    else gone.push(ids[i]!);
  });
  if (gone.length) await client.srem(keys.workers, ...gone);
  return live;
}

/** Records a class queue as in use and tells connected workers about it. */
export async function announceQueue(client: RedisClient, keys: ControlKeys, name: string): Promise<void> {
  const message: ControlMessage = { type: "queue", name };
  await client.multi().sadd(keys.queues, name).publish(keys.channel, JSON.stringify(message)).exec();
}

export async function announcedQueues(client: RedisClient, keys: ControlKeys): Promise<string[]> {
  return client.smembers(keys.queues);
}

export async function publishControl(client: RedisClient, keys: ControlKeys, message: ControlMessage): Promise<void> {
  await client.publish(keys.channel, JSON.stringify(message));
}
