/**
 * Variant (a) when the project build cannot produce it: the todo handler with nothing added,
 * the same `createHandler()` the entry point uses, without the telemetry wrapper.
 */
import { createHandler } from '../../functions/todos/handler';

export const handler = createHandler();
