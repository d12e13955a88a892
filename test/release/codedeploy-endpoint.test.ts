import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CodeDeployClient,
  DeploymentDoesNotExistException,
  InvalidDeploymentIdException,
  InvalidLifecycleEventHookExecutionIdException,
  LifecycleEventAlreadyCompletedException,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CodeDeployEndpoint, startCodeDeployEndpoint } from '../../local/release/codedeploy-endpoint';

const clientFor = (endpoint: string) =>
  new CodeDeployClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

describe('the request the AWS SDK sends', () => {
  it('is AWS JSON 1.1 with the CodeDeploy target and camel-cased members', async () => {
    // Prepare: a bare server that records the request, so the test reads the SDK's wire format
    // rather than trusting what the endpoint expects.
    let seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string } | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        seen = {
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        };
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end('{"lifecycleEventHookExecutionId":"x"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    // Act
    await clientFor(`http://127.0.0.1:${port}`).send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: 'd-ABCDEFGHI',
        lifecycleEventHookExecutionId: 'x',
        status: 'Succeeded',
      }),
    );
    server.close();

    // Assess
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/');
    expect(seen?.headers['x-amz-target']).toBe('CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus');
    expect(seen?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(seen?.body ?? '')).toEqual({
      deploymentId: 'd-ABCDEFGHI',
      lifecycleEventHookExecutionId: 'x',
      status: 'Succeeded',
    });
  });
});

describe('PutLifecycleEventHookExecutionStatus', () => {
  let endpoint: CodeDeployEndpoint;
  let client: CodeDeployClient;
  beforeAll(async () => {
    endpoint = await startCodeDeployEndpoint();
    client = clientFor(endpoint.url);
  });
  afterAll(() => endpoint.close());

  it('hands the status the hook reports to the deployment', async () => {
    const deploymentId = endpoint.createDeployment();
    const hook = endpoint.openHookExecution(deploymentId, 'BeforeAllowTraffic');

    const output = await client.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId,
        lifecycleEventHookExecutionId: hook.lifecycleEventHookExecutionId,
        status: 'Failed',
      }),
    );

    expect(output.lifecycleEventHookExecutionId).toBe(hook.lifecycleEventHookExecutionId);
    await expect(hook.status).resolves.toBe('Failed');
  });

  it('refuses a second report of the same execution as already completed', async () => {
    const deploymentId = endpoint.createDeployment();
    const hook = endpoint.openHookExecution(deploymentId, 'BeforeAllowTraffic');
    const report = new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId,
      lifecycleEventHookExecutionId: hook.lifecycleEventHookExecutionId,
      status: 'Succeeded',
    });
    await client.send(report);

    await expect(client.send(report)).rejects.toBeInstanceOf(LifecycleEventAlreadyCompletedException);
  });

  it('answers DeploymentDoesNotExistException for a deployment it never ran', async () => {
    const attempt = client.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: 'd-NOTSTARTD',
        lifecycleEventHookExecutionId: 'x',
        status: 'Succeeded',
      }),
    );

    await expect(attempt).rejects.toBeInstanceOf(DeploymentDoesNotExistException);
  });

  it('answers InvalidDeploymentIdException for an id not shaped like d-XXXXXXXXX', async () => {
    const attempt = client.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: 'deployment-1',
        lifecycleEventHookExecutionId: 'x',
        status: 'Succeeded',
      }),
    );

    await expect(attempt).rejects.toBeInstanceOf(InvalidDeploymentIdException);
  });

  it('answers InvalidLifecycleEventHookExecutionIdException for an execution of another deployment', async () => {
    const first = endpoint.createDeployment();
    const second = endpoint.createDeployment();
    const hook = endpoint.openHookExecution(first, 'BeforeAllowTraffic');

    const attempt = client.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId: second,
        lifecycleEventHookExecutionId: hook.lifecycleEventHookExecutionId,
        status: 'Succeeded',
      }),
    );

    await expect(attempt).rejects.toBeInstanceOf(InvalidLifecycleEventHookExecutionIdException);
  });

  it('refuses reports after the deployment ended', async () => {
    const deploymentId = endpoint.createDeployment();
    const hook = endpoint.openHookExecution(deploymentId, 'BeforeAllowTraffic');
    endpoint.completeDeployment(deploymentId);

    const attempt = client.send(
      new PutLifecycleEventHookExecutionStatusCommand({
        deploymentId,
        lifecycleEventHookExecutionId: hook.lifecycleEventHookExecutionId,
        status: 'Succeeded',
      }),
    );

    await expect(attempt).rejects.toBeInstanceOf(LifecycleEventAlreadyCompletedException);
  });
});
