import { describe, expect, it } from 'vitest';
import { readConfig, readRegistrationConfig } from '../../extension/src/config';
import { ConfigError } from '../../extension/src/errors';

// The layer's launcher registers (and subscribes) before Node starts and hands the result over
// in TELEMETRY_EXTENSION_* variables; the extension's config module reads them.
const base = { AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' };
const IDENTIFIER = '8f3c2f4e-6a55-4bd6-9d8a-2f6f3b8d1c7e';
const REGISTRATION = '{"functionName":"todos","functionVersion":"$LATEST","handler":"index.handler"}';
const handover = {
  ...base,
  TELEMETRY_EXTENSION_ID: IDENTIFIER,
  TELEMETRY_EXTENSION_REGISTRATION: REGISTRATION,
};

describe('launcher hand-over in the extension config', () => {
  it('has none when the launcher left registering to Node', () => {
    // Act
    const config = readRegistrationConfig(base);

    // Assess
    expect(config.launcher).toBeUndefined();
  });

  it('reads the identifier, the register body and the subscribed port', () => {
    // Act
    const config = readConfig({
      ...handover,
      TELEMETRY_LISTENER_ADDRESS: '127.0.0.2:4243',
      TELEMETRY_EXTENSION_SUBSCRIBED_PORT: '4243',
    });

    // Assess
    expect(config.launcher).toEqual({
      identifier: IDENTIFIER,
      registration: { functionName: 'todos', functionVersion: '$LATEST', handler: 'index.handler' },
      subscribedPort: 4243,
    });
  });

  it('leaves subscribing to Node when the launcher registered but did not subscribe', () => {
    // Act
    const config = readRegistrationConfig(handover);

    // Assess
    expect(config.launcher?.identifier).toBe(IDENTIFIER);
    expect(config.launcher?.subscribedPort).toBeUndefined();
  });

  it.each([
    [
      { ...base, TELEMETRY_EXTENSION_ID: 'has space', TELEMETRY_EXTENSION_REGISTRATION: '{}' },
      'TELEMETRY_EXTENSION_ID',
    ],
    [{ ...base, TELEMETRY_EXTENSION_ID: IDENTIFIER }, 'TELEMETRY_EXTENSION_REGISTRATION is not set'],
    [
      { ...handover, TELEMETRY_EXTENSION_REGISTRATION: '{"functionName":' },
      'TELEMETRY_EXTENSION_REGISTRATION',
    ],
    [{ ...handover, TELEMETRY_EXTENSION_REGISTRATION: '["todos"]' }, 'TELEMETRY_EXTENSION_REGISTRATION'],
    [
      { ...handover, TELEMETRY_EXTENSION_REGISTRATION: '{"functionName":7}' },
      'TELEMETRY_EXTENSION_REGISTRATION',
    ],
    [{ ...handover, TELEMETRY_EXTENSION_SUBSCRIBED_PORT: 'http' }, 'TELEMETRY_EXTENSION_SUBSCRIBED_PORT'],
    [{ ...handover, TELEMETRY_EXTENSION_SUBSCRIBED_PORT: '0' }, 'TELEMETRY_EXTENSION_SUBSCRIBED_PORT'],
    [{ ...handover, TELEMETRY_EXTENSION_SUBSCRIBED_PORT: '65536' }, 'TELEMETRY_EXTENSION_SUBSCRIBED_PORT'],
    [{ ...base, TELEMETRY_EXTENSION_REGISTRATION: REGISTRATION }, 'without TELEMETRY_EXTENSION_ID'],
    [{ ...base, TELEMETRY_EXTENSION_SUBSCRIBED_PORT: '4243' }, 'without TELEMETRY_EXTENSION_ID'],
  ])('refuses a malformed hand-over %#, naming the variable', (env, named) => {
    // Act
    const read = () => readRegistrationConfig(env);

    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(named);
  });

  it('refuses a subscription to another port than the listener will bind', () => {
    // Act
    const read = () =>
      readConfig({
        ...handover,
        TELEMETRY_LISTENER_ADDRESS: '127.0.0.2:4300',
        TELEMETRY_EXTENSION_SUBSCRIBED_PORT: '4243',
      });

    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(
      /TELEMETRY_EXTENSION_SUBSCRIBED_PORT="4243" differs from the port of TELEMETRY_LISTENER_ADDRESS/,
    );
  });
});
