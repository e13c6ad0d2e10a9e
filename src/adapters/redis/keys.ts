/**
 * Key names. Every key of one deployment shares the hash tag `{<prefix>}`, so each script touches a
 * single slot and runs on Redis Cluster too.
 */
export interface JobStoreKeys {
  /** hash id -> definition JSON without the fields kept apart (nextRunTime, dueAt, paused, pause info, version) */
  jobs: string;
  /** hash id -> "nextRunTime:dueAt", or "" when finished */
  next: string;
  /** hash id -> version, so scripts can compare-and-set without decoding JSON */
  ver: string;
  /** set of paused ids */
  paused: string;
  /** hash id -> JSON {pausedAt, pauseReason}; absent when both are null */
  pauseinfo: string;
  /** zset id -> dueAt, for unpaused jobs with a dueAt and no current claim */
  due: string;
  /** zset id -> 0, for ZRANGEBYLEX cursor pagination */
  ids: string;
  /** zset "id|token" -> lease expiry ms */
  claims: string;
  /** hash id -> token of the claim holding the job's current fire */
  claimed: string;
  /** counter for fencing tokens */
  fence: string;
  /** string: this store's epoch, a random id; gone after a flush or an empty restart */
  epoch: string;
  /** zset JSON [jobId, executionId] -> lease expiry, for reaping */
  slots: string;
  /** zset replica life id -> heartbeat expiry; hash life id -> JSON ReplicaLife */
  lives: string;
  lifeinfo: string;
  /** hash claim member / slot member -> the replica life holding it */
  claimowner: string;
  slotowner: string;
  /** prefix of the running:<jobId> keys, for scripts that find them from a slot member */
  runningPrefix: string;
  /** pub/sub channel: the schedule changed */
  changed: string;
  /** counter moved by every write get/list/count can see (JobStore.changeCount; scripts/changes.ts) */
  changes: string;
  /** zset executionId -> lease expiry: the job's held maxInstances slots */
  running(jobId: string): string;
  /** zset executionId -> order (nominal time): fires waiting for a slot (overlap policies) */
  waiting(jobId: string): string;
  /** zset executionId -> lease expiry of the waiting places */
  waitlease(jobId: string): string;
  /** prefix of the cancel:<executionId> marks (cancel_other) */
  cancelPrefix: string;
  /** string, kept a short while: the reply of one removeJobs call, for the same call resent */
  receipt(token: string): string;
}

export function hashTag(prefix: string): string {
  if (prefix === '' || /[{}]/.test(prefix)) {
    throw new Error(`Redis prefix must be non-empty and free of braces, got "${prefix}"`);
  }
  return `{${prefix}}`;
}

export function jobStoreKeys(prefix: string): JobStoreKeys {
  const tag = hashTag(prefix);
  return {
    jobs: `${tag}:jobs`,
    next: `${tag}:next`,
    ver: `${tag}:ver`,
    paused: `${tag}:paused`,
    pauseinfo: `${tag}:pauseinfo`,
    due: `${tag}:due`,
    ids: `${tag}:ids`,
    claims: `${tag}:claims`,
    claimed: `${tag}:claimed`,
    fence: `${tag}:fence`,
    epoch: `${tag}:epoch`,
    slots: `${tag}:slots`,
    lives: `${tag}:lives`,
    lifeinfo: `${tag}:lifeinfo`,
    claimowner: `${tag}:claimowner`,
    slotowner: `${tag}:slotowner`,
    runningPrefix: `${tag}:running:`,
    changed: `${tag}:changed`,
    changes: `${tag}:changes`,
    running: (jobId) => `${tag}:running:${jobId}`,
    waiting: (jobId) => `${tag}:waiting:${jobId}`,
    waitlease: (jobId) => `${tag}:waitlease:${jobId}`,
    cancelPrefix: `${tag}:cancel:`,
    receipt: (token) => `${tag}:receipt:${token}`,
  };
}

export interface EventBusKeys {
  /** counter per stream: the last sequence handed out */
  sequence(stream: string): string;
  /** pub/sub channel carrying batches of events (see scripts/publish-event.ts) */
  events: string;
  /**
   * The channel of the versions before batches, one "<sequence> <event JSON>" per message, on the
   * same counters: still heard, so during a rolling upgrade no replica's events go unheard.
   */
  singleEvents: string;
}

export function eventBusKeys(prefix: string): EventBusKeys {
  const tag = hashTag(prefix);
  return {
    sequence: (stream) => `${tag}:seq:${stream}`,
    events: `${tag}:event-batches`,
    singleEvents: `${tag}:events`,
  };
}
