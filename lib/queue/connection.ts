// A Redis URL as the connection options BullMQ takes. Each Queue, Worker and
// QueueEvents then opens its own connections (QueueEvents and the worker block
// on theirs), and all of them retry forever, so that a Redis restart is waited
// out instead of failing the run.
import type { ConnectionOptions } from 'bullmq';

import { DarknetError } from '../errors.js';

export type RedisConnection = string | ConnectionOptions;

export function connectionOptions(connection: RedisConnection): ConnectionOptions {
  if (typeof connection !== 'string') return connection;
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new DarknetError(`not a Redis URL: ${connection} (redis://host:port[/db])`, 'ERR_INVALID_INPUT');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new DarknetError(`not a Redis URL: ${connection} (redis://host:port[/db])`, 'ERR_INVALID_INPUT');
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new DarknetError(`bad database number in ${connection}`, 'ERR_INVALID_INPUT');
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // Commands wait through a disconnection instead of failing after 20 retries.
    maxRetriesPerRequest: null,
  };
}
