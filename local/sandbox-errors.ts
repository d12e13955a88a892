/** The sandbox's own errors: what a CLI user or a test gets when the sandbox cannot start. */

/** Base class of every error the sandbox raises on purpose. */
export class SandboxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line input; the message says what is wrong and how to fix it. CLI exit code 2. */
export class UsageError extends SandboxError {}

/** The sandbox could not start: a port in use, a missing build, a failed build. CLI exit code 1. */
export class StartupError extends SandboxError {}
