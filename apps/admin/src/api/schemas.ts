import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/** OpenAPI schemas of the admin API's answers (mirrors backend/types.ts). */
const str = { type: 'string' } as const;
const nstr = { type: 'string', nullable: true } as const;
const num = { type: 'number' } as const;
const nnum = { type: 'number', nullable: true } as const;
const bool = { type: 'boolean' } as const;

export const sourceSchema: SchemaObject = {
  type: 'object',
  properties: {
    slot: str,
    database: nstr,
    exists: bool,
    active: bool,
    activePid: nnum,
    plugin: nstr,
    confirmedLsn: { ...nstr, example: '0/16B3748' },
    restartLsn: nstr,
    currentLsn: str,
    retainedWalBytes: { ...nstr, description: 'current LSN − restart LSN, decimal string' },
    confirmedLagBytes: { ...nstr, description: 'current LSN − confirmed LSN, decimal string' },
    connector: {
      type: 'object',
      properties: {
        leader: { ...nstr, description: 'owner of the connector lease (the active instance)' },
        leaseTtlMs: nnum,
        fencingToken: nstr,
        state: { type: 'object', additionalProperties: str },
      },
    },
  },
};

export const partitionSchema: SchemaObject = {
  type: 'object',
  properties: {
    partition: num,
    key: str,
    length: num,
    firstId: nstr,
    lastId: nstr,
    entriesAdded: num,
    memoryBytes: nnum,
  },
};

export const sinkSchema: SchemaObject = {
  type: 'object',
  properties: {
    name: str,
    kind: str,
    lagEntries: num,
    lagCapped: bool,
    lagBytes: { ...str, description: 'LSN bytes, decimal string' },
    lagSeconds: nnum,
    throughput: { ...nnum, description: 'entries consumed per second' },
    errors: { ...num, description: 'partitions whose worker is retrying after an error right now' },
    degraded: {
      type: 'array',
      items: str,
      description: 'why partitions are degraded (retrying a failed step longer than the bound)',
    },
    dlqSize: num,
    paused: bool,
    fanOut: {
      type: 'object',
      description: 'Elasticsearch sinks: the fan-out queue (roots re-indexed after lookup/child changes)',
      properties: {
        pending: { ...num, description: 'lookup/child keys whose roots wait for a re-index pass' },
        runningSince: { ...str, description: 'ISO time the running pass started (absent: none runs)' },
        running: { ...str, description: 'the key the running pass re-indexes the roots of (JSON)' },
        rootsReindexed: { ...num, description: 'roots re-indexed by passes so far, every worker' },
      },
    },
    partitions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          partition: num,
          committedId: nstr,
          lagEntries: num,
          lagCapped: bool,
          lagBytes: str,
          lagSeconds: nnum,
        },
      },
    },
  },
};

export const deadLetterPageSchema: SchemaObject = {
  type: 'object',
  properties: {
    sink: str,
    total: num,
    next: { ...nstr, description: 'pass as `after` for the next page' },
    entries: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: str,
          sink: str,
          partition: nnum,
          time: nstr,
          error: nstr,
          table: nstr,
          op: nstr,
          key: { type: 'object', nullable: true },
          eventId: nstr,
          fields: { type: 'object' },
        },
      },
    },
  },
};

export const metricsSampleSchema: SchemaObject = {
  type: 'object',
  properties: {
    t: { ...num, description: 'unix ms' },
    retainedWalBytes: nnum,
    logEntries: num,
    appendRate: nnum,
    sinks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        properties: { lagEntries: num, lagBytes: num, lagSeconds: nnum, throughput: nnum, dlqSize: num },
      },
    },
  },
};

export const idsBodySchema: SchemaObject = {
  type: 'object',
  properties: { ids: { type: 'array', items: str, description: 'dead-letter entry IDs; omit for all' } },
};

export const replayBodySchema: SchemaObject = {
  type: 'object',
  required: ['from'],
  properties: {
    from: { ...str, description: '"start", an entry ID ("23456789-0") or an LSN ("16/B374D848")', example: 'start' },
  },
};

export const snapshotStartSchema: SchemaObject = {
  type: 'object',
  properties: { tables: { type: 'array', items: str, description: 'omit for every configured table' } },
};

export const errorSchema: SchemaObject = {
  type: 'object',
  properties: { statusCode: num, message: str, error: str },
};
