import {
  CodeDeployClient,
  LifecycleEventStatus,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type HookConfig, loadHookConfig } from './config';
import { type Invoke, parseInvokeResult, runSmokeTest } from './smoke-test';

/** The event CodeDeploy sends a lifecycle hook. */
export interface LifecycleHookEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

let config: HookConfig | undefined;
let lambda: LambdaClient | undefined;
let codeDeploy: CodeDeployClient | undefined;

const invokeVersion =
  (client: LambdaClient, functionArn: string): Invoke =>
  async (event) => {
    try {
      const result = await client.send(
        new InvokeCommand({
          FunctionName: functionArn,
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
      return parseInvokeResult({
        functionError: result.FunctionError,
        payload: result.Payload === undefined ? undefined : new TextDecoder().decode(result.Payload),
      });
    } catch (error) {
      return {
        kind: 'failure',
        reason: `invoke failed: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  };

/**
 * CodeDeploy's BeforeAllowTraffic hook: smoke-tests the new version (create, read, delete a
 * todo by invoking the version directly) and reports Succeeded or Failed. CodeDeploy waits for
 * the report (up to an hour), so every outcome, including an unexpected error, is reported.
 */
export const handler = async (event: LifecycleHookEvent): Promise<void> => {
  config ??= loadHookConfig();
  lambda ??= new LambdaClient({});
  codeDeploy ??= new CodeDeployClient({});
  let status: LifecycleEventStatus = LifecycleEventStatus.FAILED;
  try {
    const result = await runSmokeTest({
      executionId: event.LifecycleEventHookExecutionId,
      invoke: invokeVersion(lambda, config.targetVersionArn),
    });
    console.log(
      JSON.stringify({ message: 'smoke test finished', version: config.targetVersionArn, ...result }),
    );
    if (result.passed) status = LifecycleEventStatus.SUCCEEDED;
  } catch (error) {
    console.error(JSON.stringify({ message: 'smoke test crashed', error: String(error) }));
  }
  await codeDeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status,
    }),
  );
};
