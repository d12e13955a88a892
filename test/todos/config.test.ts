import { describe, expect, it } from 'vitest';
import { ConfigurationError, DYNAMODB_LIMITS, loadConfig } from '../../functions/todos/config';

describe('loadConfig', () => {
  it('fails naming TABLE_NAME when it is missing or blank', () => {
    // Act + Assess
    for (const env of [{}, { TABLE_NAME: '  ' }]) {
      expect(() => loadConfig(env)).toThrow(ConfigurationError);
      expect(() => loadConfig(env)).toThrow(/TABLE_NAME/);
    }
  });

  it('reads the table, region and cursor secret', () => {
    // Act
    const config = loadConfig({ TABLE_NAME: 'todos', AWS_REGION: 'eu-west-1', CURSOR_SECRET: 's3cret' });

    // Assess
    expect(config).toMatchObject({ tableName: 'todos', region: 'eu-west-1', cursorSecretDerived: false });
    expect(config.cursorSecret.toString()).toBe('s3cret');
    expect(config.dynamoDB).toEqual(DYNAMODB_LIMITS);
  });

  it('falls back to AWS_DEFAULT_REGION, then us-east-1', () => {
    // Act + Assess
    expect(loadConfig({ TABLE_NAME: 't', AWS_DEFAULT_REGION: 'ap-south-1' }).region).toBe('ap-south-1');
    expect(loadConfig({ TABLE_NAME: 't' }).region).toBe('us-east-1');
  });

  it('derives a development cursor key per table when CURSOR_SECRET is unset', () => {
    // Act
    const one = loadConfig({ TABLE_NAME: 'one' });
    const two = loadConfig({ TABLE_NAME: 'two' });

    // Assess
    expect(one.cursorSecretDerived).toBe(true);
    expect(one.cursorSecret.equals(loadConfig({ TABLE_NAME: 'one' }).cursorSecret)).toBe(true);
    expect(one.cursorSecret.equals(two.cursorSecret)).toBe(false);
  });

  it('keeps DynamoDB calls well inside a 10 s function timeout', () => {
    // Act
    const worstCase =
      DYNAMODB_LIMITS.maxAttempts * (DYNAMODB_LIMITS.connectionTimeoutMs + DYNAMODB_LIMITS.requestTimeoutMs);

    // Assess
    expect(worstCase).toBeLessThanOrEqual(9_000);
  });
});
