import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReceiverClient } from '../../functions/telemetry/receiver-client';

// A plain HTTP server stands in for the receiver: these tests are about how the client frames
// requests and reads answers on its connections, whatever the server's answer style.
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function receiver(answer: (body: string, res: import('node:http').ServerResponse) => void) {
  const bodies: string[] = [];
  const connections = { count: 0 };
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      answer(body, res);
    });
  });
  server.on('connection', () => (connections.count += 1));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, connections };
}

describe('receiver client connections', () => {
  it('sends each batch once on kept-alive connections when answers carry a content-length', async () => {
    // Prepare
    const { address, bodies, connections } = await receiver((_body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
    const stdout: string[] = [];
    const client = new ReceiverClient(address, { stdout: (text) => stdout.push(text) });

    // Act
    for (let batch = 0; batch < 5; batch++) {
      client.sendEmf([`{"batch":${batch}}`]);
      await client.settled();
    }

    // Assess
    expect(bodies).toEqual([0, 1, 2, 3, 4].map((batch) => `{"batch":${batch}}\n`));
    expect(connections.count).toBe(1);
    expect(stdout).toEqual([]);
    expect(client.counters).toMatchObject({ emfSent: 5, emfToStdout: 0, emfUnconfirmed: 0, sendFailures: 0 });
  });

  it('reads chunked answers to their end on a kept-alive connection and opens a new one after connection-close', async () => {
    // Prepare
    let answered = 0;
    const { address, bodies, connections } = await receiver((_body, res) => {
      answered += 1;
      if (answered % 2 === 0) res.setHeader('connection', 'close');
      res.writeHead(answered === 3 ? 503 : 200, { 'content-type': 'application/json' });
      res.write('{"partial');
      res.end('Success":{}}');
    });
    const stdout: string[] = [];
    const client = new ReceiverClient(address, { stdout: (text) => stdout.push(text) });

    // Act
    for (let batch = 0; batch < 4; batch++) {
      client.sendEmf([`{"batch":${batch}}`]);
      await client.settled();
    }

    // Assess
    expect(bodies).toHaveLength(4);
    // Answers 2 and 4 close their connection; 1 and 3 leave it open for the next batch.
    expect(connections.count).toBe(2);
    // The 503 is a refusal: that batch, and only it, goes to stdout.
    expect(stdout).toEqual(['{"batch":2}\n']);
    expect(client.counters).toMatchObject({ emfSent: 3, emfToStdout: 1, emfUnconfirmed: 0, sendFailures: 1 });
  });

  it('sends the batches of one turn pipelined on one connection, each settled by its own answer', async () => {
    // Prepare: the second batch of each turn is refused, the others taken.
    const { address, bodies, connections } = await receiver((body, res) => {
      const status = body.includes('"refuse"') ? 503 : 200;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
    const stdout: string[] = [];
    const client = new ReceiverClient(address, { stdout: (text) => stdout.push(text) });

    // Act
    for (let turn = 0; turn < 3; turn++) {
      client.sendSpans(`{"turn":${turn}}`, 2);
      client.sendEmf([`{"refuse":${turn}}`]);
      client.sendEmf([`{"take":${turn}}`]);
      await client.settled();
    }

    // Assess
    expect(bodies).toHaveLength(9);
    expect(connections.count).toBe(1);
    expect(stdout).toEqual([0, 1, 2].map((turn) => `{"refuse":${turn}}\n`));
    expect(client.counters).toMatchObject({
      spansSent: 6,
      emfSent: 3,
      emfToStdout: 3,
      emfUnconfirmed: 0,
      sendFailures: 3,
    });
  });
});
