/**
 * The local CodeDeploy endpoint (`AWS_ENDPOINT_URL_CODEDEPLOY`): the one operation a Lambda
 * lifecycle hook calls, `PutLifecycleEventHookExecutionStatus`, over CodeDeploy's wire protocol
 * (AWS JSON 1.1: `POST /`, `X-Amz-Target: CodeDeploy_20141006.<Operation>`,
 * `Content-Type: application/x-amz-json-1.1`, errors as `{"__type", "message"}` with status 400).
 * Signatures are not checked: the sandbox's functions run with dummy credentials.
 *
 * The deployment controller opens a hook execution per lifecycle event and waits for the status
 * the hook reports here; the hook itself (the real `deploy-hook` bundle) only sees the SDK.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseJson, readBody } from '../apis/http-exchange';
import { type ListeningServer, listen } from '../http-listen';

const TARGET_PREFIX = 'CodeDeploy_20141006.';
const JSON_1_1 = 'application/x-amz-json-1.1';
/** Deployment ids are `d-` and nine upper-case letters or digits. */
const DEPLOYMENT_ID = /^d-[A-Z0-9]{9}$/;

/** What a hook may report. */
export type HookStatus = 'Succeeded' | 'Failed';
/** The lifecycle events a Lambda deployment runs hooks for. */
type LifecycleEventName = 'BeforeAllowTraffic' | 'AfterAllowTraffic';

/** One run of a hook: the ids CodeDeploy hands the hook function, and the status it reports. */
interface HookExecution {
  readonly deploymentId: string;
  readonly lifecycleEventHookExecutionId: string;
  /** Settles with the status the hook reports through the endpoint. */
  readonly status: Promise<HookStatus>;
}

/** The running endpoint. */
export interface CodeDeployEndpoint {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_CODEDEPLOY`. */
  readonly url: string;
  /** Registers a new deployment and returns its id (`d-XXXXXXXXX`). */
  createDeployment(): string;
  /** Opens the hook execution of a lifecycle event of a deployment. */
  openHookExecution(deploymentId: string, lifecycleEvent: LifecycleEventName): HookExecution;
  /** Ends a deployment: later reports for it are refused as already completed. */
  completeDeployment(deploymentId: string): void;
  close(): Promise<void>;
}

/** An error answered the way CodeDeploy answers it: its exception name and a message. */
class CodeDeployError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface OpenExecution {
  readonly deploymentId: string;
  reported: boolean;
  readonly resolve: (status: HookStatus) => void;
}

const randomId = (alphabet: string, length: number): string =>
  Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join('');

/**
 * CodeDeploy's execution ids are opaque base64; this one encodes the deployment and the event
 * plus a nonce, so two runs of the same event never share an id.
 */
const executionIdFor = (deploymentId: string, lifecycleEvent: LifecycleEventName): string =>
  Buffer.from(
    JSON.stringify({
      deploymentId,
      lifecycleEventName: lifecycleEvent,
      nonce: randomId('0123456789abcdef', 8),
    }),
  ).toString('base64');

// A PutLifecycleEventHookExecutionStatus body is three short strings; anything near this is not one.
const MAX_REQUEST_BYTES = 64 * 1024;

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  try {
    const value = parseJson((await readBody(request, MAX_REQUEST_BYTES)).bytes) ?? {};
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Answered below as CodeDeploy answers a body it cannot read (malformed or oversized).
  }
  throw new CodeDeployError('SerializationException', 'The request body is not a JSON object');
}

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  if (response.headersSent) return;
  response.writeHead(status, {
    'content-type': JSON_1_1,
    'x-amzn-requestid': randomBytes(16).toString('hex'),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(JSON.stringify(body));
}

/**
 * Starts the endpoint.
 *
 * @example
 * const codeDeploy = await startCodeDeployEndpoint();
 * const deploymentId = codeDeploy.createDeployment();
 * const hook = codeDeploy.openHookExecution(deploymentId, 'BeforeAllowTraffic');
 * // invoke the hook function with { DeploymentId, LifecycleEventHookExecutionId }, then:
 * const status = await hook.status; // 'Succeeded' | 'Failed'
 */
export async function startCodeDeployEndpoint(host = '127.0.0.1', port = 0): Promise<CodeDeployEndpoint> {
  const deployments = new Map<string, { active: boolean }>();
  const executions = new Map<string, OpenExecution>();

  const putStatus = (input: Record<string, unknown>): { lifecycleEventHookExecutionId: string } => {
    const { deploymentId, lifecycleEventHookExecutionId: executionId, status } = input;
    if (typeof deploymentId !== 'string' || deploymentId === '') {
      throw new CodeDeployError('DeploymentIdRequiredException', 'Deployment id is required');
    }
    if (!DEPLOYMENT_ID.test(deploymentId)) {
      throw new CodeDeployError('InvalidDeploymentIdException', `Deployment id ${deploymentId} is invalid`);
    }
    const deployment = deployments.get(deploymentId);
    if (!deployment) {
      throw new CodeDeployError(
        'DeploymentDoesNotExistException',
        `Deployment ${deploymentId} does not exist`,
      );
    }
    const execution = typeof executionId === 'string' ? executions.get(executionId) : undefined;
    if (!execution || execution.deploymentId !== deploymentId) {
      throw new CodeDeployError(
        'InvalidLifecycleEventHookExecutionIdException',
        `Lifecycle event hook execution id ${String(executionId)} is invalid for deployment ${deploymentId}`,
      );
    }
    if (status !== 'Succeeded' && status !== 'Failed') {
      throw new CodeDeployError(
        'InvalidLifecycleEventHookExecutionStatusException',
        `Lifecycle event hook execution status ${String(status)} is invalid: report Succeeded or Failed`,
      );
    }
    if (execution.reported || !deployment.active) {
      throw new CodeDeployError(
        'LifecycleEventAlreadyCompletedException',
        `The lifecycle event of hook execution ${executionId as string} is already completed`,
      );
    }
    execution.reported = true;
    execution.resolve(status);
    return { lifecycleEventHookExecutionId: executionId as string };
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
      request.resume();
      throw new CodeDeployError('UnknownOperationException', `No operation at ${request.method} ${target}`);
    }
    const operation = target.slice(TARGET_PREFIX.length);
    const input = await readJson(request);
    if (operation !== 'PutLifecycleEventHookExecutionStatus') {
      throw new CodeDeployError(
        'UnknownOperationException',
        `The local CodeDeploy endpoint implements PutLifecycleEventHookExecutionStatus only, not ${operation}`,
      );
    }
    send(response, 200, putStatus(input));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const failure =
        error instanceof CodeDeployError
          ? error
          : new CodeDeployError('InternalFailure', 'The local CodeDeploy endpoint failed', 500);
      send(response, failure.status, { __type: failure.type, message: failure.message }, failure.type);
    });
  });
  const listening: ListeningServer = await listen(server, port, host);

  return {
    url: listening.url,
    createDeployment() {
      let id: string;
      do id = `d-${randomId('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 9)}`;
      while (deployments.has(id));
      deployments.set(id, { active: true });
      return id;
    },
    openHookExecution(deploymentId, lifecycleEvent) {
      if (!deployments.get(deploymentId)?.active)
        throw new Error(`deployment ${deploymentId} is not running`);
      const lifecycleEventHookExecutionId = executionIdFor(deploymentId, lifecycleEvent);
      let resolve!: (status: HookStatus) => void;
      const status = new Promise<HookStatus>((settle) => {
        resolve = settle;
      });
      executions.set(lifecycleEventHookExecutionId, { deploymentId, reported: false, resolve });
      return { deploymentId, lifecycleEventHookExecutionId, status };
    },
    completeDeployment(deploymentId) {
      const deployment = deployments.get(deploymentId);
      if (deployment) deployment.active = false;
    },
    close: listening.close,
  };
}
