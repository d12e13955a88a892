import { afterEach, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../extension/src/otlp-receiver';
import { PipelineCounters } from '../../extension/src/pipeline-counters';
import { ReceiverClient } from '../../functions/telemetry/receiver-client';
import { type FaultyLink, type LinkFault, startFaultyLink } from '../telemetry/support/faulty-link';
import { closedPort } from '../telemetry/support/receiver';

// Every EMF document a handler sends ends up exactly once in the extension's intake or on the
// function's stdout, whatever happens on the wire. The handler's own client on one side, the
// extension's own receiver on the other; between them a link that breaks chosen connections.

// Short, so a withheld answer turns into a timeout quickly; the receiver answers in microseconds.
const TIMEOUT_MS = 1_000;

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

async function startIntake(options: { withEmfSink?: boolean } = {}) {
  const intake: string[] = [];
  const spanIntake: string[] = [];
  const counters = new PipelineCounters();
  const receiver = new OtlpReceiver({
    address: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 1024 * 1024,
    spans: {
      add: (spans) => {
        spanIntake.push(...spans.map((span) => span.name));
        return 0;
      },
    },
    emf: options.withEmfSink === false ? undefined : { add: (line) => intake.push(line) > 0 },
    counters,
  });
  const { port } = await receiver.listen();
  closers.push(() => receiver.close());
  return { receiver, port, intake, spanIntake, counters };
}

async function linkTo(port: number, faultOf: (connection: number) => LinkFault): Promise<FaultyLink> {
  const link = await startFaultyLink(port, faultOf);
  closers.push(() => link.close());
  return link;
}

function clientOf(address: string) {
  const stdout: string[] = [];
  const client = new ReceiverClient(address, {
    stdout: (text) => stdout.push(...text.split('\n').filter((line) => line !== '')),
    timeoutMs: TIMEOUT_MS,
  });
  return { client, stdout };
}

/** `count` distinct EMF documents tagged with `batch`. */
const documents = (batch: number, count = 3) =>
  Array.from({ length: count }, (_, i) =>
    JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [] }, Requests: 1, batch, i }),
  );

/** An OTLP/JSON request holding one span named `name`. */
const spanRequest = (name: string, n: number) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [] },
        scopeSpans: [
          {
            scope: { name: 'exact-once' },
            spans: [
              {
                traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700',
                spanId: (0x1000 + n).toString(16).padStart(16, '0'),
                name,
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000001000000',
              },
            ],
          },
        ],
      },
    ],
  });

const firstConnection =
  (fault: LinkFault) =>
  (connection: number): LinkFault =>
    connection === 0 ? fault : 'pass';

describe('exact-once EMF delivery from handler to extension', () => {
  it('takes a batch once when the receiver took it and the connection dropped before the answer', async () => {
    // Prepare
    const { port, intake, counters } = await startIntake();
    const link = await linkTo(port, firstConnection('reset-after-request'));
    const { client, stdout } = clientOf(link.address);
    const sent = documents(1);

    // Act
    client.sendEmf(sent);
    await client.settled();

    // Assess
    expect(intake).toEqual(sent);
    expect(stdout).toEqual([]);
    expect(counters.batchesRepeated).toBe(1);
    expect(client.counters).toMatchObject({ emfSent: 3, emfToStdout: 0, emfUnconfirmed: 0, sendFailures: 1 });
  });

  it('takes a batch once when its answer is held past the client timeout, as a freeze cutting the wait does', async () => {
    // Prepare
    const { port, intake, counters } = await startIntake();
    const link = await linkTo(port, firstConnection('hold-answer'));
    const { client, stdout } = clientOf(link.address);
    const sent = documents(2);

    // Act
    client.sendEmf(sent);
    await client.settled();

    // Assess: on a loaded host the first request may not even have reached the receiver when the
    // client gives up; either way the receiver holds the batch once.
    expect(intake).toEqual(sent);
    expect(stdout).toEqual([]);
    expect(counters.batchesRepeated).toBeLessThanOrEqual(1);
    expect(client.counters).toMatchObject({ emfSent: 3, emfToStdout: 0, emfUnconfirmed: 0 });
  });

  it('takes a batch on the repeat when the first request was cut before the receiver had all of it', async () => {
    // Prepare
    const { port, intake, counters } = await startIntake();
    const link = await linkTo(port, firstConnection('reset-mid-request'));
    const { client, stdout } = clientOf(link.address);
    const sent = documents(3);

    // Act
    client.sendEmf(sent);
    await client.settled();

    // Assess
    expect(intake).toEqual(sent);
    expect(stdout).toEqual([]);
    expect(counters.batchesRepeated).toBe(0);
    expect(client.counters).toMatchObject({ emfSent: 3, emfToStdout: 0, emfUnconfirmed: 0 });
  });

  it('writes every document to stdout once when no receiver listens', async () => {
    // Prepare
    const port = await closedPort();
    const { client, stdout } = clientOf(`127.0.0.1:${port}`);
    const sent = [...documents(4), ...documents(5), ...documents(6)];

    // Act
    client.sendEmf(sent.slice(0, 3));
    await client.settled();
    // Within the receiver-down window the next batches go straight to stdout, unsent.
    client.sendEmf(sent.slice(3, 6));
    client.sendEmf(sent.slice(6));
    await client.settled();

    // Assess
    expect(stdout).toEqual(sent);
    expect(client.counters).toMatchObject({ emfSent: 0, emfToStdout: 9, emfUnconfirmed: 0, sendFailures: 1 });
  });

  it('writes a batch to stdout once when the repeat is refused: the first attempt took nothing either', async () => {
    // Prepare: a receiver without a metrics intake answers 503; the link loses the first 503.
    const { port, intake } = await startIntake({ withEmfSink: false });
    const link = await linkTo(port, firstConnection('reset-after-request'));
    const { client, stdout } = clientOf(link.address);
    const sent = documents(7);

    // Act
    client.sendEmf(sent);
    await client.settled();

    // Assess
    expect(intake).toEqual([]);
    expect(stdout).toEqual(sent);
    expect(client.counters).toMatchObject({ emfSent: 0, emfToStdout: 3, emfUnconfirmed: 0, sendFailures: 2 });
  });

  it('counts a batch unconfirmed, and does not write it, when the receiver vanished after it may have taken it', async () => {
    // Prepare: the receiver takes the batch, the answer is lost, then nothing listens any more.
    const { port, intake } = await startIntake();
    const link = await linkTo(port, () => 'vanish-after-request');
    const { client, stdout } = clientOf(link.address);
    const sent = documents(8);

    // Act
    client.sendEmf(sent);
    await client.settled();

    // Assess
    expect(intake).toEqual(sent);
    expect(stdout).toEqual([]);
    expect(client.counters).toMatchObject({ emfSent: 0, emfToStdout: 0, emfUnconfirmed: 3, sendFailures: 2 });
  });

  it('settles pipelined spans and EMF each by its own answer when the connection drops between them', async () => {
    // Prepare: the first connection carries the spans' answer back, then resets before the EMF's.
    const { port, intake, spanIntake, counters } = await startIntake();
    const link = await linkTo(port, firstConnection('reset-after-first-answer'));
    const { client, stdout } = clientOf(link.address);
    const sent = documents(9);

    // Act: sent in the same turn, as the handler does, so both go out in one write.
    client.sendSpans(spanRequest('GET /todos', 1), 1);
    client.sendEmf(sent);
    await client.settled();

    // Assess: the spans were answered and not sent again; the EMF was repeated once and taken once.
    expect(spanIntake).toEqual(['GET /todos']);
    expect(intake).toEqual(sent);
    expect(stdout).toEqual([]);
    expect(counters.batchesRepeated).toBeLessThanOrEqual(1);
    expect(client.counters).toMatchObject({
      spansSent: 1,
      spansDropped: 0,
      emfSent: 3,
      emfToStdout: 0,
      emfUnconfirmed: 0,
      sendFailures: 1,
    });
  });

  it('writes pipelined EMF to stdout and drops its spans when no receiver listens', async () => {
    // Prepare
    const port = await closedPort();
    const { client, stdout } = clientOf(`127.0.0.1:${port}`);
    const sent = documents(10);

    // Act
    client.sendSpans(spanRequest('GET /todos', 2), 1);
    client.sendEmf(sent);
    await client.settled();

    // Assess
    expect(stdout).toEqual(sent);
    expect(client.counters).toMatchObject({
      spansSent: 0,
      spansDropped: 1,
      emfSent: 0,
      emfToStdout: 3,
      sendFailures: 2,
    });
  });

  it('delivers many invocations exactly once while connections lose answers in every way', async () => {
    // Prepare
    const { port, intake, spanIntake, counters } = await startIntake();
    const faults: LinkFault[] = ['reset-after-request', 'pass', 'hold-answer', 'reset-after-first-answer'];
    const link = await linkTo(port, (connection) => faults[connection % faults.length]!);
    const { client, stdout } = clientOf(link.address);
    const invocations = Array.from({ length: 40 }, (_, i) => ({
      span: `invocation ${i}`,
      documents: documents(100 + i, 2),
    }));

    // Act: each invocation's spans and EMF in one turn, so in one write; the next invocation
    // starts while earlier ones still wait for answers, on connections of their own.
    for (const [i, invocation] of invocations.entries()) {
      client.sendSpans(spanRequest(invocation.span, i), 1);
      client.sendEmf(invocation.documents);
      await new Promise(setImmediate);
    }
    await client.settled();

    // Assess
    expect([...intake, ...stdout].sort()).toEqual(invocations.flatMap((i) => i.documents).sort());
    expect(stdout).toEqual([]);
    expect(spanIntake.sort()).toEqual(invocations.map((i) => i.span).sort());
    expect(counters.batchesRepeated).toBeGreaterThan(0);
    expect(client.counters).toMatchObject({ spansSent: 40, spansDropped: 0, emfSent: 80, emfUnconfirmed: 0 });
  });
});
