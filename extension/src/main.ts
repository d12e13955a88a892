// Entry point of the telemetry extension process (launched from /opt/extensions/telemetry-extension).
//
// Lambda starts the function's runtime only after every external extension has registered, so
// registration comes first: the layer's launcher (launcher.sh) usually registered before Node
// started and hands the registration over, else Node registers here. Everything heavier
// (receiver, exporters, metrics) is evaluated afterwards: esbuild keeps the dynamically imported
// modules lazy inside the single bundle.
import { readRegistrationConfig } from './config';
import { ExtensionsApiClient } from './extensions-api';

async function main(): Promise<void> {
  const registration = readRegistrationConfig();
  const { launcher } = registration;
  const api = launcher
    ? ExtensionsApiClient.adopt(registration.runtimeApi, launcher.identifier, launcher.registration)
    : await ExtensionsApiClient.register(registration.runtimeApi, registration.extensionName);
  const { runExtension } = await import('./extension-loop');
  await runExtension(api);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // Before registration (or with a hand-over from the launcher that cannot be read) there is
    // nobody to report to; the message goes to the function's log and the exit fails Init.
    console.error(
      JSON.stringify({ level: 'error', message: 'telemetry extension stopped', error: String(error) }),
    );
    process.exit(1);
  },
);
