import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTodoApi, type TodoApi } from '../support/todo-api';

// Lambda's Invoke API and CodeDeploy cannot run here (no AWS account). This server speaks their
// wire protocols (Lambda REST-JSON `POST /2015-03-31/functions/{name}/invocations`, CodeDeploy
// JSON 1.1 `X-Amz-Target`) to the real AWS SDK clients of the hook, and runs each invocation
// through the real todo handler on an embedded DynamoDB.
const VERSION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:todos-fn:7';

interface Recorded {
  invokedPaths: string[];
  statuses: { deploymentId: string; lifecycleEventHookExecutionId: string; status: string }[];
}

const readBody = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

describe('pre-traffic hook handler', () => {
  let api: TodoApi;
  let server: Server;
  let failReads = false;
  const recorded: Recorded = { invokedPaths: [], statuses: [] };

  beforeAll(async () => {
    api = await startTodoApi();
    server = createServer(async (request, response) => {
      const body = await readBody(request);
      if (request.headers['x-amz-target'] === 'CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus') {
        recorded.statuses.push(JSON.parse(body));
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify({ lifecycleEventHookExecutionId: JSON.parse(body).lifecycleEventHookExecutionId }),
        );
        return;
      }
      recorded.invokedPaths.push(decodeURIComponent(request.url ?? ''));
      const event = JSON.parse(body);
      const result =
        failReads && event.routeKey === 'GET /todos/{id}'
          ? { statusCode: 500, headers: {}, body: '{"status":500}' }
          : await api.handler(event);
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '7' });
      response.end(JSON.stringify(result));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The hook's environment, as the stack sets it (plus endpoint overrides the SDK honours).
    Object.assign(process.env, {
      TARGET_VERSION_ARN: VERSION_ARN,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_LAMBDA: endpoint,
      AWS_ENDPOINT_URL_CODEDEPLOY: endpoint,
    });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await api.close();
  });

  it('invokes the target version and reports Succeeded when the smoke test passes', async () => {
    // Prepare
    const { handler } = await import('../../functions/deploy-hook/index');

    // Act
    await handler({ DeploymentId: 'd-HEALTHY01', LifecycleEventHookExecutionId: 'exec-ok' });

    // Assess
    expect(recorded.invokedPaths).toHaveLength(3);
    for (const path of recorded.invokedPaths)
      expect(path).toBe(`/2015-03-31/functions/${VERSION_ARN}/invocations`);
    expect(recorded.statuses).toEqual([
      { deploymentId: 'd-HEALTHY01', lifecycleEventHookExecutionId: 'exec-ok', status: 'Succeeded' },
    ]);
  });

  it('reports Failed when the new version answers a step wrongly', async () => {
    // Prepare
    const { handler } = await import('../../functions/deploy-hook/index');
    failReads = true;
    recorded.statuses.length = 0;

    // Act
    await handler({ DeploymentId: 'd-BROKEN01', LifecycleEventHookExecutionId: 'exec-bad' });

    // Assess
    expect(recorded.statuses).toEqual([
      { deploymentId: 'd-BROKEN01', lifecycleEventHookExecutionId: 'exec-bad', status: 'Failed' },
    ]);
  });
});
