/** Lambda's paths inside an execution environment (see `reference/lambda-platform.md`). */
export const LAMBDA_PATHS = {
  taskRoot: '/var/task',
  opt: '/opt',
  runtimeDir: '/var/runtime',
  langDir: '/var/lang',
} as const;
