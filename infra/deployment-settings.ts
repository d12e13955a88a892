import type { Node } from 'constructs';
import { parseOrigin } from './cors-policy';

/** Deployment settings of the stack, read once from CDK context (`-c key=value` or `cdk.json`). */
export interface DeploymentSettings {
  /** CloudFormation stack name. Context `stackName`. @default 'ObservableTodos' */
  readonly stackName: string;
  /**
   * A throwaway stack: the table and logs are destroyed with the stack, and the table has no
   * deletion protection. Context `ephemeral`. @default false (production: retain and protect)
   */
  readonly ephemeral: boolean;
  /** Traffic shifted to the new version first, in percent. Context `canaryPercent`. @default 10 */
  readonly canaryPercent: number;
  /** Minutes the canary runs before the rest of the traffic shifts. Context `canaryMinutes`. @default 5 */
  readonly canaryMinutes: number;
  /** JWT issuer URL; with it, every route requires a valid token. Context `jwtIssuer`. @default none (open API, single tenant) */
  readonly jwtIssuer?: string;
  /** Accepted JWT audiences (comma-separated in context). Context `jwtAudience`. @default none */
  readonly jwtAudience: readonly string[];
  /** E-mail address subscribed to the paging topic. Context `alarmEmail`. @default none */
  readonly alarmEmail?: string;
  /**
   * Origins whose pages may call the API (a list, or comma-separated). Context `corsOrigins`.
   * @default none (no CORS configuration: browsers refuse cross-origin calls)
   */
  readonly corsOrigins: readonly string[];
}

/** Thrown when a context value cannot be used; its message names the key and the fix. */
export class DeploymentSettingsError extends Error {
  override readonly name = 'DeploymentSettingsError';
}

const DEFAULT_STACK_NAME = 'ObservableTodos';
// CodeDeploy's predefined Canary10Percent5Minutes: enough traffic for the one-minute rollback
// alarms to see errors from the new version before it takes everything.
const DEFAULT_CANARY_PERCENT = 10;
const DEFAULT_CANARY_MINUTES = 5;

const asString = (node: Node, key: string): string | undefined => {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    throw new DeploymentSettingsError(`context "${key}" must be a string; pass -c ${key}=<value>`);
  }
  return String(raw);
};

const asBoolean = (node: Node, key: string, fallback: boolean): boolean => {
  const raw = asString(node, key);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new DeploymentSettingsError(`context "${key}" must be true or false, got "${raw}"`);
};

const asInteger = (node: Node, key: string, fallback: number, min: number, max: number): number => {
  const raw = asString(node, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DeploymentSettingsError(
      `context "${key}" must be a whole number from ${min} to ${max}, got "${raw}"`,
    );
  }
  return value;
};

/** `corsOrigins`: a JSON list (cdk.json) or a comma-separated string (`-c corsOrigins=a,b`). */
const asOrigins = (node: Node, key: string): readonly string[] => {
  const raw: unknown = node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return [];
  const items = Array.isArray(raw)
    ? raw
    : typeof raw === 'string'
      ? raw.split(',').filter((item) => item.trim() !== '')
      : undefined;
  if (items === undefined) {
    throw new DeploymentSettingsError(
      `context "${key}" must be a list or a comma-separated string of origins`,
    );
  }
  return items.map((item: unknown) => {
    const origin = typeof item === 'string' ? parseOrigin(item.trim()) : undefined;
    if (origin === undefined) {
      throw new DeploymentSettingsError(
        `context "${key}" has "${String(item)}", not an origin; use scheme://host[:port], e.g. https://app.example.com`,
      );
    }
    return origin;
  });
};

/**
 * Reads the deployment settings from the context of `node` (normally the app's node), validating
 * each value so a typo fails the synth with one line instead of deploying something unintended.
 */
export const readDeploymentSettings = (node: Node): DeploymentSettings => {
  const jwtIssuer = asString(node, 'jwtIssuer');
  if (jwtIssuer !== undefined && !/^https:\/\/\S+$/.test(jwtIssuer)) {
    throw new DeploymentSettingsError(`context "jwtIssuer" must be an https:// URL, got "${jwtIssuer}"`);
  }
  const jwtAudience = (asString(node, 'jwtAudience') ?? '')
    .split(',')
    .map((audience) => audience.trim())
    .filter((audience) => audience.length > 0);
  if (jwtIssuer !== undefined && jwtAudience.length === 0) {
    throw new DeploymentSettingsError(
      'context "jwtAudience" is required with "jwtIssuer"; pass -c jwtAudience=<id>',
    );
  }
  return {
    stackName: asString(node, 'stackName') ?? DEFAULT_STACK_NAME,
    ephemeral: asBoolean(node, 'ephemeral', false),
    // CodeDeploy accepts 1–99 percent and intervals of whole minutes (at most 2,880).
    canaryPercent: asInteger(node, 'canaryPercent', DEFAULT_CANARY_PERCENT, 1, 99),
    canaryMinutes: asInteger(node, 'canaryMinutes', DEFAULT_CANARY_MINUTES, 1, 2880),
    jwtIssuer,
    jwtAudience,
    alarmEmail: asString(node, 'alarmEmail'),
    corsOrigins: asOrigins(node, 'corsOrigins'),
  };
};
