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
  const counters = new PipelineCounters();
  const receiver = new OtlpReceiver({
    address: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 1024 * 1024,
    spans: { add: () => 0 },
    emf: options.withEmfSink === false ? undefined : { add: (line) => intake.push(line) > 0 },
    counters,
  });
  const { port } = await receiver.listen();
  closers.push(() => receiver.close());
  return { receiver, port, intake, counters };
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

  it('delivers many concurrent batches exactly once while every third connection loses its answer', async () => {
    // Prepare
    const { port, intake, counters } = await startIntake();
    const faults: LinkFault[] = ['reset-after-request', 'pass', 'hold-answer'];
    const link = await linkTo(port, (connection) => faults[connection % faults.length]!);
    const { client, stdout } = clientOf(link.address);
    const batches = Array.from({ length: 40 }, (_, i) => documents(100 + i, 2));

    // Act
    for (const batch of batches) client.sendEmf(batch);
    await client.settled();

    // Assess
    const everything = [...intake, ...stdout].sort();
    expect(everything).toEqual(batches.flat().sort());
    expect(stdout).toEqual([]);
    expect(counters.batchesRepeated).toBeGreaterThan(0);
  });
});
