import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { assertArtifactsBuilt } from './artifacts';
import { readDeploymentSettings } from './deployment-settings';
import { TodoApiStack } from './todo-api-stack';

/**
 * Builds the CDK app with its synth-time validation: cdk-nag (AWS Solutions and Serverless
 * packs) and cfn-guard (Control Tower proactive controls). A finding that is not acknowledged,
 * with a reason, on the construct it concerns fails the synth.
 */
export const createTodoApp = (props: AppProps = {}): { app: App; stack: TodoApiStack } => {
  assertArtifactsBuilt();
  const app = new App(props);
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new ServerlessChecks(app),
    new CfnGuardValidator(),
  );
  const settings = readDeploymentSettings(app.node);
  const stack = new TodoApiStack(app, settings.stackName, { settings });
  return { app, stack };
};
