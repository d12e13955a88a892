import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { assertArtifactsBuilt } from './artifacts';
import { readDeploymentSettings } from './deployment-settings';
import { TodoApiStack } from './todo-api-stack';

/** How the app is built. */
interface TodoAppOptions {
  /**
   * Validates at synth time: the plugins below and CDK's built-in CloudFormation validation.
   * Off only for local tools that read the template (the release rehearsal's alarm
   * evaluator): validation takes most of the synth time and changes nothing in the template.
   * @default true
   */
  readonly validate?: boolean;
}

/**
 * Builds the CDK app with its synth-time validation: cdk-nag (AWS Solutions and Serverless
 * packs) and cfn-guard (Control Tower proactive controls). A finding that is not acknowledged,
 * with a reason, on the construct it concerns fails the synth.
 */
export const createTodoApp = (
  props: AppProps = {},
  options: TodoAppOptions = {},
): { app: App; stack: TodoApiStack } => {
  assertArtifactsBuilt();
  const validate = options.validate ?? true;
  const app = new App(validate ? props : { builtinCloudFormationValidation: false, ...props });
  if (validate) {
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app),
      new ServerlessChecks(app),
      new CfnGuardValidator(),
    );
  }
  const settings = readDeploymentSettings(app.node);
  const stack = new TodoApiStack(app, settings.stackName, { settings });
  return { app, stack };
};
