import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EXTENSION_METRICS } from '../../extension/src/metric-names';
import { readMetrics } from '../../local/logs/metric-store';
import { type Sandbox, startSandbox } from '../../local/sandbox';

/**
 * A probe function for fault tests, plain JavaScript run by the sandbox's nodejs runtime next to
 * the built extension layer. Query string: `spans` (per request, default 2) and `requests`
 * (default 1) POSTed as OTLP/JSON to the extension's receiver under the invocation's trace
 * header, each awaited so the test knows they were accepted; `kill=1` SIGKILLs the extension
 * process of this environment first (found in /proc by its launcher name, its Runtime API
 * address and its network namespace: environments with their own all use 127.0.0.1:9001). Answers `{pid, accepted, rejected}` with the OTLP partial-success counts.
 */
const PROBE_FUNCTION = `
import { request } from 'node:http';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
const hex = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
function killExtension() {
  const api = 'AWS_LAMBDA_RUNTIME_API=' + process.env.AWS_LAMBDA_RUNTIME_API;
  const network = readlinkSync('/proc/self/ns/net');
  for (const pid of readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p))) {
    try {
      const cmdline = readFileSync('/proc/' + pid + '/cmdline', 'utf8');
      const environ = readFileSync('/proc/' + pid + '/environ', 'utf8').split('\\0');
      const sameNetwork = readlinkSync('/proc/' + pid + '/ns/net') === network;
      if (cmdline.includes('telemetry-extension') && environ.includes(api) && sameNetwork && Number(pid) !== process.pid) {
        process.kill(Number(pid), 'SIGKILL');
      }
    } catch {}
  }
}
function send(body) {
  return new Promise((resolve) => {
    const req = request('http://' + (process.env.TELEMETRY_RECEIVER_ADDRESS ?? '127.0.0.1:4318') + '/v1/traces',
      { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => { try { resolve(Number(JSON.parse(text).partialSuccess?.rejectedSpans ?? 0)); } catch { resolve(-1); } });
      });
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}
export const handler = async (event) => {
  const query = new URLSearchParams(event.rawQueryString ?? '');
  if (query.get('kill') === '1') killExtension();
  const header = process.env._X_AMZN_TRACE_ID ?? '';
  const root = /Root=1-([0-9a-f]{8})-([0-9a-f]{24})/.exec(header);
  const parent = /Parent=([0-9a-f]{16})/.exec(header)?.[1];
  const perRequest = Number(query.get('spans') ?? 2);
  const requests = Number(query.get('requests') ?? 1);
  let accepted = 0;
  let rejected = 0;
  if (root && /Sampled=1/.test(header)) {
    const traceId = root[1] + root[2];
    const start = BigInt(Date.now()) * 1000000n;
    for (let r = 0; r < requests; r++) {
      const spans = Array.from({ length: perRequest }, () => ({
        traceId, spanId: hex(16), parentSpanId: parent, name: 'GET /probe', kind: 2,
        startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000000n),
        attributes: [{ key: 'http.route', value: { stringValue: '/probe' } }],
      }));
      const refused = await send(JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'probe' }, spans }] }] }));
      if (refused >= 0) { rejected += refused; accepted += perRequest - refused; }
    }
  }
  return { statusCode: 200, body: JSON.stringify({ pid: process.pid, accepted, rejected }) };
};
`;

/** A sandbox running {@link PROBE_FUNCTION} with the built extension layer. */
export interface ProbeSandbox {
  readonly sandbox: Sandbox;
  /** Invokes through the HTTP API with a sampled trace header; `query` without `?`. */
  call(query?: string): Promise<{ status: number; pid: number; accepted: number; rejected: number }>;
  /** Closes the sandbox (SHUTDOWN to the extension); its stored metrics stay readable. */
  close(): Promise<void>;
  /** Removes the sandbox's state directory. */
  remove(): Promise<void>;
  /** Sum of a self-metric over every stored datum, per drop reason when `reason` is given. */
  total(metricName: string, reason?: string): Promise<number>;
  /** Every stored value of a metric (expanded by count). */
  values(metricName: string): Promise<number[]>;
}

/** Starts a sandbox with the probe function and `environment` for function and extension. */
export async function startProbeSandbox(environment: Record<string, string>): Promise<ProbeSandbox> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'extension-faults-'));
  const codeDir = path.join(stateDir, 'code');
  await mkdir(codeDir);
  await writeFile(path.join(codeDir, 'index.mjs'), PROBE_FUNCTION);
  const sandbox = await startSandbox({
    inMemory: true,
    stateDir,
    codeDir,
    handler: 'index.handler',
    timeoutSec: 10,
    concurrency: 1,
    // As if set in the sandbox's own environment: a backend's loopback URL is this machine's.
    passthrough: environment,
  });
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}000000000000`;
  const values = async (metricName: string, reason?: string) => {
    const stored = await readMetrics(sandbox.paths.metrics, {
      metricName,
      ...(reason ? { dimensions: { [EXTENSION_METRICS.dimensions.reason]: reason } } : {}),
    });
    // Drop metrics are also published without the Reason dimension (a total): never count both.
    return stored
      .filter((m) => reason !== undefined || m.dimensions[EXTENSION_METRICS.dimensions.reason] === undefined)
      .flatMap((m) => m.values.flatMap((v, i) => Array<number>(m.counts[i] ?? 1).fill(v)));
  };
  return {
    sandbox,
    async call(query = '') {
      const response = await fetch(`${sandbox.apiUrl}/todos${query ? `?${query}` : ''}`, {
        headers: { 'x-amzn-trace-id': `Root=${root};Sampled=1` },
      });
      const text = await response.text();
      let body = { pid: 0, accepted: 0, rejected: 0 };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // A failed invoke answers with API Gateway's error body.
      }
      return { status: response.status, ...body };
    },
    async close() {
      await sandbox.close();
    },
    async total(metricName, reason) {
      return (await values(metricName, reason)).reduce((sum, v) => sum + v, 0);
    },
    values: (metricName) => values(metricName),
    async remove() {
      await rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
