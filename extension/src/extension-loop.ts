import { readConfig } from './config';
import type { ExtensionsApiClient } from './extensions-api';

/** Runs the extension after registration: reads the configuration, then serves events until SHUTDOWN. */
export async function runExtension(api: ExtensionsApiClient): Promise<void> {
  try {
    readConfig();
  } catch (error) {
    await api.initError('Extension.ConfigError', error as Error);
    throw error;
  }
  for (;;) {
    const event = await api.next();
    if (event.eventType === 'SHUTDOWN') return;
  }
}
