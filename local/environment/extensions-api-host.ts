/**
 * The environment's side of the Extensions API: registration (open only while registering),
 * `event/next`, and the error reports of extensions. `local/apis/extensions-api.ts` speaks the
 * HTTP; this decides.
 */
import { ForbiddenError } from '../apis/api-error';
import {
  type ExtensionEvent,
  type ExtensionEventType,
  type ExtensionsApiHost,
  MAX_EXTENSIONS,
  missingIdentifier,
  type RegisterResponse,
  unknownIdentifier,
} from '../apis/extensions-api';
import { functionVersion, LOCAL_ACCOUNT_ID } from './environment-variables';
import type { Extension, ExtensionRegistry } from './extension-registry';
import { errorPayload } from './invocation';
import type { Lifecycle } from './lifecycle';
import type { PlatformTelemetry } from './platform-telemetry';
import type { ProcessSupervisor } from './process-supervisor';
import type { FunctionDefinition } from './types';

/** An extension's error report is quoted into the invoker's error message up to this length. */
const REPORT_QUOTE_CHARS = 1024;

export class EnvironmentExtensionsApi implements ExtensionsApiHost {
  constructor(
    private readonly def: FunctionDefinition,
    private readonly lifecycle: Lifecycle,
    private readonly extensions: ExtensionRegistry,
    private readonly processes: ProcessSupervisor,
    private readonly telemetry: PlatformTelemetry,
  ) {}

  register(name: string, events: ExtensionEventType[], acceptAccountId: boolean) {
    if (!this.lifecycle.registrationOpen)
      throw new ForbiddenError('Extension.RegistrationClosed', 'Extension registration is closed');
    // A name among the layers' executables is that external extension; anything else registers
    // from inside the runtime process and is internal.
    const external = this.processes.externalNames.has(name) && !this.extensions.hasExternal(name);
    if (!external && !this.processes.runtimeStarted) {
      throw new ForbiddenError('Extension.InvalidExtensionName', `No extension executable named ${name}`);
    }
    if (!external && events.includes('SHUTDOWN')) {
      throw new ForbiddenError(
        'Extension.InvalidEventType',
        'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension',
      );
    }
    if (this.extensions.size >= MAX_EXTENSIONS) {
      throw new ForbiddenError(
        'Extension.TooManyExtensions',
        `At most ${MAX_EXTENSIONS} extensions can register`,
      );
    }
    const { identifier } = this.extensions.add(name, events, external);
    this.telemetry.extension(name, events);
    const body: RegisterResponse = {
      functionName: this.def.name,
      functionVersion: functionVersion(this.def),
      handler: this.def.handler,
      ...(acceptAccountId ? { accountId: LOCAL_ACCOUNT_ID } : {}),
    };
    return { identifier, body };
  }

  checkIdentifier(identifier: string | undefined): string {
    return this.extension(identifier).identifier;
  }

  nextEvent(identifier: string, signal: AbortSignal): Promise<ExtensionEvent> {
    return this.extensions.next(this.extension(identifier), signal);
  }

  reportError(identifier: string, phase: 'init' | 'exit', errorType: string, body: Buffer): void {
    const extension = this.extension(identifier);
    const message = `Extension ${extension.name} reported ${errorType}: ${body.toString('utf8').slice(0, REPORT_QUOTE_CHARS)}`;
    if (phase === 'init' && !this.lifecycle.initialized) {
      this.lifecycle.failInit({ status: 'failure', errorType, payload: errorPayload(errorType, message) });
    } else {
      this.lifecycle.fail({ status: 'failure', errorType, message, reason: 'failure' });
    }
  }

  /** The registered extension the identifier names; 403 when it is missing or unknown. */
  extension(identifier: string | undefined): Extension {
    if (!identifier) throw missingIdentifier();
    const extension = this.extensions.get(identifier);
    if (!extension) throw unknownIdentifier(identifier);
    return extension;
  }
}
