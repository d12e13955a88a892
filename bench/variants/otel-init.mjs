// Loaded with NODE_OPTIONS=--import, before the runtime imports the handler: starts the
// OpenTelemetry SDK from the bundled wrapper, then registers import-in-the-middle's hook so the
// ESM handler can be patched, in the order the OpenTelemetry Lambda layer's init uses.
import { createRequire, register } from 'node:module';

const require = createRequire(import.meta.url);
require('./otel-wrapper.cjs').startOpenTelemetry();
register('import-in-the-middle/hook.mjs', import.meta.url);
