/**
 * The pre-traffic hook's configuration: the one place that reads `process.env`.
 */

/** A required variable is missing or unusable. */
export class HookConfigurationError extends Error {
  override readonly name = 'HookConfigurationError';
}

/** Everything the hook reads from its environment. */
export interface HookConfig {
  /** ARN of the exact function version to smoke-test (`TARGET_VERSION_ARN`, required). */
  readonly targetVersionArn: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the configuration.
 *
 * @throws HookConfigurationError naming the variable when `TARGET_VERSION_ARN` is missing or is
 *   not a qualified function ARN (an unqualified one would test `$LATEST`, not the new version).
 */
export const loadHookConfig = (env: Environment = process.env): HookConfig => {
  const targetVersionArn = env.TARGET_VERSION_ARN?.trim();
  if (!targetVersionArn) {
    throw new HookConfigurationError("TARGET_VERSION_ARN is not set: set it to the new version's ARN");
  }
  if (!/^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+:\d+$/.test(targetVersionArn)) {
    throw new HookConfigurationError(
      `TARGET_VERSION_ARN must be a version-qualified function ARN (…:function:name:7), got "${targetVersionArn}"`,
    );
  }
  return { targetVersionArn };
};
