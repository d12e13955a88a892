// Entry point of `cdk synth` / `cdk deploy` (see cdk.json). Offline by design: no context
// lookups, no Docker; the deployed code is the prebuilt dist/ of `npm run build`.
import { createTodoApp } from './todo-app';

try {
  const { app } = createTodoApp();
  app.synth();
} catch (error) {
  const name = error instanceof Error ? error.name : '';
  if (name === 'DeploymentSettingsError' || name === 'MissingArtifactError') {
    console.error(`synth: ${(error as Error).message}`);
    process.exit(2);
  }
  throw error;
}
