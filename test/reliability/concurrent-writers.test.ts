import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OWNER } from '../../functions/todos/http-request';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { documentedFetch } from '../support/openapi-contract';
import { assertProperty } from './support/fuzz-run';
import { RELIABILITY_CONFIG } from './support/reliability-config';
import { TableReader } from './support/table-snapshot';

// Through the sandbox's HTTP front door over real HTTP: the built bundle in up to
// CONCURRENCY execution environments at once, against the embedded DynamoDB.
const CONCURRENCY = 3;
const CLIENTS = 3;
const IDS_PER_ROUND = 3;

type Step =
  | { readonly kind: 'create' | 'get'; readonly slot: number }
  | { readonly kind: 'put' | 'patch' | 'delete'; readonly slot: number; readonly blind: boolean };

/** An accepted write, as its response told it. */
interface AcceptedWrite {
  readonly id: string;
  readonly seq: string;
  readonly version: number;
  readonly text: string;
  readonly done: boolean;
  readonly client: number;
}

interface AcceptedDelete {
  readonly id: string;
  readonly seq: string;
  readonly version: number;
}

let sandbox: Sandbox;
let stateDir: string;
let table: TableReader;
let round = 0;
const totals = { operations: 0, accepted: 0, conflicts: 0, notFound: 0, lostUpdates: 0, phantoms: 0 };

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'todos-concurrency-'));
  sandbox = await startSandbox({ inMemory: true, stateDir, timeoutSec: 10, concurrency: CONCURRENCY });
  table = new TableReader(sandbox.dynamodbEndpoint, 'todos');
});

afterAll(async () => {
  table?.close();
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
  console.info(
    `concurrent writers: ${round} rounds, ${totals.operations} operations, ${totals.accepted} accepted writes, ` +
      `${totals.conflicts} conflicts (409/412), ${totals.notFound} not found, ${totals.lostUpdates} lost updates, ${totals.phantoms} phantoms`,
  );
});

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('create' as const, 'get' as const),
    slot: fc.nat({ max: IDS_PER_ROUND - 1 }),
  }),
  fc.record({
    kind: fc.constantFrom('put' as const, 'patch' as const, 'delete' as const),
    slot: fc.nat({ max: IDS_PER_ROUND - 1 }),
    // A blind write sends the ETag the client saw last even if others wrote since: the stale case.
    blind: fc.boolean(),
  }),
);

const ETAG = /^"(\d+)\.([0-9a-f-]{36})"$/;

function parseETag(etag: string | null): { version: number; seq: string } {
  const match = ETAG.exec(etag ?? '');
  expect(match, `ETag ${etag}`).not.toBeNull();
  return { version: Number(match![1]), seq: match![2]! };
}

async function runClient(client: number, steps: readonly Step[], ids: readonly string[]) {
  const seen = new Map<string, string>();
  const writes: AcceptedWrite[] = [];
  const deletes: AcceptedDelete[] = [];
  const reads: { id: string; seq: string; version: number }[] = [];
  let conflicts = 0;
  let notFound = 0;
  for (const [index, step] of steps.entries()) {
    const id = ids[step.slot]!;
    const url = `${sandbox.apiUrl}/todos/${id}`;
    const text = `client ${client} step ${index}`;
    const done = index % 2 === 0;
    let response: Response;
    if (step.kind === 'create') {
      response = await documentedFetch(`${sandbox.apiUrl}/todos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id, text, done }),
      });
    } else if (step.kind === 'get') {
      response = await documentedFetch(url);
    } else {
      // Without a remembered ETag the client refreshes first, so every write is conditional on a version.
      if (!seen.has(id) || !('blind' in step && step.blind)) {
        const fresh = await documentedFetch(url);
        await fresh.arrayBuffer();
        if (fresh.status === 200) seen.set(id, fresh.headers.get('etag')!);
      }
      const etag = seen.get(id) ?? '"1.00000000-0000-7000-8000-000000000000"';
      response = await documentedFetch(url, {
        method: step.kind === 'put' ? 'PUT' : step.kind === 'patch' ? 'PATCH' : 'DELETE',
        headers: {
          'if-match': etag,
          ...(step.kind === 'delete' ? {} : { 'content-type': 'application/json' }),
        },
        ...(step.kind === 'delete' ? {} : { body: JSON.stringify({ text, done }) }),
      });
      if (response.status === 204) deletes.push({ id, ...parseETag(etag) });
    }
    const body = await response.text();
    expect(response.status, body).toBeLessThan(500);
    if (response.status === 409 || response.status === 412) conflicts += 1;
    if (response.status === 404) notFound += 1;
    if (response.status === 200 || response.status === 201) {
      const etag = response.headers.get('etag');
      seen.set(id, etag!);
      const revision = parseETag(etag);
      const todo = JSON.parse(body) as { text: string; done: boolean; version: number };
      expect(todo.version).toBe(revision.version);
      if (step.kind === 'get') reads.push({ id, ...revision });
      else writes.push({ id, ...revision, text: todo.text, done: todo.done, client });
    }
  }
  return { writes, deletes, reads, conflicts, notFound };
}

describe('concurrent clients with If-Match through the HTTP front door', () => {
  it(
    'end in the state a sequential model of the accepted writes predicts: gap-free versions, no lost update, no phantom',
    async () => {
      const scripts = fc.array(fc.array(stepArbitrary, { minLength: 6, maxLength: 14 }), {
        minLength: CLIENTS,
        maxLength: CLIENTS,
      });
      await assertProperty(
        'concurrent round',
        scripts,
        async (clientSteps) => {
          // Prepare: ids of their own per round, so rounds do not see each other.
          round += 1;
          const ids = Array.from(
            { length: IDS_PER_ROUND },
            (_, slot) => `r${round}-${Date.now().toString(36)}-${slot}`,
          );

          // Act: the clients run at the same time.
          const results = await Promise.all(
            clientSteps.map((steps, client) => runClient(client, steps, ids)),
          );

          // Assess
          const writes = results.flatMap((result) => result.writes);
          const deletes = results.flatMap((result) => result.deletes);
          const stored = await table.items();
          totals.operations += clientSteps.reduce((sum, steps) => sum + steps.length, 0);
          totals.accepted += writes.length + deletes.length;
          totals.conflicts += results.reduce((sum, result) => sum + result.conflicts, 0);
          totals.notFound += results.reduce((sum, result) => sum + result.notFound, 0);
          for (const id of ids) {
            // One incarnation per creation (its seq); the model replays each one's accepted writes in version order.
            const incarnations = new Map<string, AcceptedWrite[]>();
            for (const write of writes.filter((candidate) => candidate.id === id)) {
              incarnations.set(write.seq, [...(incarnations.get(write.seq) ?? []), write]);
            }
            let live: AcceptedWrite | undefined;
            for (const [seq, history] of incarnations) {
              const versions = history.map((write) => write.version).sort((a, b) => a - b);
              // Two accepted writes on one version would be a lost update; a missing version, a write nobody was told about.
              const gapFree = versions.every((version, index) => version === index + 1);
              if (!gapFree) totals.lostUpdates += 1;
              expect(versions, `versions of ${id} (${seq})`).toEqual(versions.map((_, index) => index + 1));
              const last = history.find((write) => write.version === versions.at(-1))!;
              const deleted = deletes.find((candidate) => candidate.id === id && candidate.seq === seq);
              if (deleted) {
                // A delete conditional on a version is that incarnation's last accepted operation.
                expect(deleted.version, `delete of ${id} (${seq})`).toBe(last.version);
              } else {
                expect(live, `two live incarnations of ${id}`).toBeUndefined();
                live = last;
              }
            }
            const item = stored.get(`${DEFAULT_OWNER}/${id}`);
            if (!live && item) totals.phantoms += 1;
            if (live) {
              expect(item, `stored ${id}`).toMatchObject({
                seq: live.seq,
                version: live.version,
                text: live.text,
                done: live.done,
              });
            } else {
              expect(item, `stored ${id}`).toBeUndefined();
            }
            // Every version a client read was one some client wrote.
            for (const read of results
              .flatMap((result) => result.reads)
              .filter((candidate) => candidate.id === id)) {
              expect(writes.some((write) => write.seq === read.seq && write.version === read.version)).toBe(
                true,
              );
            }
          }
        },
        0.05,
      );
      expect(totals.operations).toBeGreaterThan(0);
    },
    RELIABILITY_CONFIG.propertyTimeoutMs,
  );
});
