/**
 * The extensions registered in one Init of an execution environment: their identifiers, the
 * events they subscribed to, the events waiting for their next `event/next`, and their
 * Telemetry API subscriptions.
 */
import { randomUUID } from 'node:crypto';
import type { ExtensionEvent, ExtensionEventType } from '../apis/extensions-api';
import type { TelemetryDelivery } from '../apis/telemetry-api';

/**
 * - `registered`: has not called `next` yet (its own init runs).
 * - `waiting`: blocked in `next` with nothing to do.
 * - `busy`: took an event (or has one queued) and has not called `next` since.
 */
type ExtensionState = 'registered' | 'waiting' | 'busy';

export interface Extension {
  readonly identifier: string;
  readonly name: string;
  readonly events: ReadonlySet<ExtensionEventType>;
  /** Launched from a layer's `extensions/`; an internal one registers from the runtime process. */
  readonly external: boolean;
  state: ExtensionState;
  /** Events delivered while it was not waiting in `next`. */
  readonly queue: ExtensionEvent[];
  /** Its pending `next`, if any. */
  waiter: ((event: ExtensionEvent) => void) | undefined;
  delivery: TelemetryDelivery | undefined;
}

export class ExtensionRegistry {
  private byIdentifier = new Map<string, Extension>();

  constructor(
    /** Called whenever an extension's state changes. */
    private readonly onChange: () => void,
  ) {}

  get size(): number {
    return this.byIdentifier.size;
  }

  get(identifier: string): Extension | undefined {
    return this.byIdentifier.get(identifier);
  }

  add(name: string, events: readonly ExtensionEventType[], external: boolean): Extension {
    const identifier = randomUUID();
    const extension: Extension = {
      identifier,
      name,
      events: new Set(events),
      external,
      state: 'registered',
      queue: [],
      waiter: undefined,
      delivery: undefined,
    };
    this.byIdentifier.set(identifier, extension);
    this.onChange();
    return extension;
  }

  /** Whether the external extension `name` has registered already. */
  hasExternal(name: string): boolean {
    return this.all().some((e) => e.external && e.name === name);
  }

  /** Every one of these external extension names has registered (the barrier before the runtime starts). */
  allRegistered(externalNames: ReadonlySet<string>): boolean {
    const registered = new Set(
      this.all()
        .filter((e) => e.external)
        .map((e) => e.name),
    );
    return [...externalNames].every((name) => registered.has(name));
  }

  /** Every extension has called `next` at least once (its part of Init is over). */
  allCalledNext(): boolean {
    return this.all().every((e) => e.state !== 'registered');
  }

  /** Every INVOKE subscriber is back in `next` (the invoke phase may end). */
  invokeSubscribersDone(): boolean {
    return this.all().every((e) => !e.events.has('INVOKE') || e.state !== 'busy');
  }

  get hasInternal(): boolean {
    return this.all().some((e) => !e.external);
  }

  /** Sends the event to every extension that subscribed to its type. */
  broadcast(event: ExtensionEvent): void {
    for (const extension of this.byIdentifier.values()) {
      if (extension.events.has(event.eventType)) this.deliver(extension, event);
    }
  }

  /** The extension's `next`: its oldest queued event, else the next one delivered. */
  next(extension: Extension, signal: AbortSignal): Promise<ExtensionEvent> {
    const queued = extension.queue.shift();
    if (queued) {
      extension.state = 'busy';
      this.onChange();
      return Promise.resolve(queued);
    }
    extension.state = 'waiting';
    this.onChange();
    return new Promise((resolve) => {
      const waiter = (event: ExtensionEvent) => resolve(event);
      extension.waiter = waiter;
      signal.addEventListener('abort', () => {
        if (extension.waiter === waiter) extension.waiter = undefined;
      });
    });
  }

  /** The current Telemetry API subscriptions. */
  *deliveries(): Generator<TelemetryDelivery> {
    for (const extension of this.byIdentifier.values()) if (extension.delivery) yield extension.delivery;
  }

  /** Forgets every extension and closes its subscription (the processes are gone). */
  clear(): void {
    for (const delivery of this.deliveries()) delivery.close();
    this.byIdentifier = new Map();
  }

  private deliver(extension: Extension, event: ExtensionEvent): void {
    extension.state = 'busy';
    const waiter = extension.waiter;
    if (waiter) {
      extension.waiter = undefined;
      waiter(event);
    } else {
      extension.queue.push(event);
    }
    this.onChange();
  }

  private all(): Extension[] {
    return [...this.byIdentifier.values()];
  }
}
