import { LambdaApiError } from './errors';
import { callLambdaApi } from './lambda-http';

const BASE = '/2020-01-01/extension';

/** `INVOKE` event as the Extensions API delivers it. */
export interface InvokeEvent {
  readonly eventType: 'INVOKE';
  readonly deadlineMs: number;
  readonly requestId: string;
  readonly invokedFunctionArn: string;
  /** Omitted when the invocation carries no trace header. */
  readonly tracing?: { readonly type: string; readonly value: string };
}

/** `SHUTDOWN` event; the reason arrives lower-case from the service and upper-case in the docs. */
interface ShutdownEvent {
  readonly eventType: 'SHUTDOWN';
  readonly shutdownReason: string;
  readonly deadlineMs: number;
}

export type ExtensionEvent = InvokeEvent | ShutdownEvent;

/** Body of a successful `register`. */
export interface RegisterResponse {
  readonly functionName?: string;
  readonly functionVersion?: string;
  readonly handler?: string;
}

/** Client of the Extensions API (`2020-01-01`) for one registered extension. */
export class ExtensionsApiClient {
  private constructor(
    private readonly runtimeApi: string,
    /** `Lambda-Extension-Identifier` returned by `register`; every later call carries it. */
    readonly identifier: string,
    readonly registration: RegisterResponse,
  ) {}

  /**
   * Registers for INVOKE and SHUTDOWN. Lambda starts the runtime only once every external
   * extension has registered, so this must be the extension's first act.
   */
  static async register(runtimeApi: string, extensionName: string): Promise<ExtensionsApiClient> {
    const res = await callLambdaApi(
      runtimeApi,
      'POST',
      `${BASE}/register`,
      { 'lambda-extension-name': extensionName },
      JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'] }),
    );
    const identifier = res.headers['lambda-extension-identifier'];
    if (res.status !== 200 || typeof identifier !== 'string') {
      throw new LambdaApiError(`register answered ${res.status}: ${res.body.slice(0, 200)}`, res.status);
    }
    return new ExtensionsApiClient(runtimeApi, identifier, parseJson(res.body) as RegisterResponse);
  }

  /**
   * The registration the layer's launcher made before Node started (Lambda accepts one
   * `register` per extension): every later call carries its identifier.
   */
  static adopt(runtimeApi: string, identifier: string, registration: RegisterResponse): ExtensionsApiClient {
    return new ExtensionsApiClient(runtimeApi, identifier, registration);
  }

  /** Blocks until Lambda delivers the next event; calling it also tells Lambda this extension is done. */
  async next(): Promise<ExtensionEvent> {
    const res = await callLambdaApi(this.runtimeApi, 'GET', `${BASE}/event/next`, this.idHeader());
    if (res.status !== 200) {
      throw new LambdaApiError(`event/next answered ${res.status}: ${res.body.slice(0, 200)}`, res.status);
    }
    const event = parseJson(res.body) as { eventType?: unknown };
    if (event.eventType !== 'INVOKE' && event.eventType !== 'SHUTDOWN') {
      throw new LambdaApiError(
        `event/next returned unknown eventType ${String(event.eventType)}`,
        res.status,
      );
    }
    return event as ExtensionEvent;
  }

  /** Reports a failed initialisation (`Extension.<reason>`); Lambda then fails Init. The extension should exit. */
  initError(errorType: string, error: Error): Promise<void> {
    return this.reportError('init/error', errorType, error);
  }

  /** Reports a fatal error after Init; the extension should exit afterwards. */
  exitError(errorType: string, error: Error): Promise<void> {
    return this.reportError('exit/error', errorType, error);
  }

  private async reportError(path: string, errorType: string, error: Error): Promise<void> {
    await callLambdaApi(
      this.runtimeApi,
      'POST',
      `${BASE}/${path}`,
      { ...this.idHeader(), 'lambda-extension-function-error-type': errorType },
      JSON.stringify({ errorMessage: error.message, errorType: error.name, stackTrace: [] }),
    );
  }

  private idHeader(): Record<string, string> {
    return { 'lambda-extension-identifier': this.identifier };
  }
}

function parseJson(body: string): unknown {
  try {
    return body ? JSON.parse(body) : {};
  } catch {
    throw new LambdaApiError(`Lambda API returned a body that is not JSON: ${body.slice(0, 200)}`, 200);
  }
}
