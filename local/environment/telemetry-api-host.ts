/**
 * The environment's side of the Telemetry API: a registered extension subscribes while
 * registration is open, and receives this Init's events from its start. `local/apis/telemetry-api.ts`
 * speaks the HTTP and delivers; this decides.
 */
import { ForbiddenError } from '../apis/api-error';
import {
  type EnvironmentLoopback,
  type SubscribeRequest,
  type TelemetryApiHost,
  TelemetryDelivery,
} from '../apis/telemetry-api';
import type { EnvironmentExtensionsApi } from './extensions-api-host';
import type { Lifecycle } from './lifecycle';
import type { PlatformTelemetry } from './platform-telemetry';

export class EnvironmentTelemetryApi implements TelemetryApiHost {
  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly extensionsApi: EnvironmentExtensionsApi,
    private readonly telemetry: PlatformTelemetry,
    /** The environment's own loopback: `sandbox.localdomain` in a destination URI means it. */
    private readonly loopback: EnvironmentLoopback,
  ) {}

  checkIdentifier(identifier: string | undefined): string {
    return this.extensionsApi.checkIdentifier(identifier);
  }

  subscribe(identifier: string, request: SubscribeRequest): void {
    if (!this.lifecycle.registrationOpen) {
      throw new ForbiddenError(
        'Telemetry.SubscriptionClosed',
        'Telemetry API subscriptions are closed once Init has ended',
      );
    }
    const extension = this.extensionsApi.extension(identifier);
    extension.delivery?.close();
    const delivery = new TelemetryDelivery(request, this.loopback);
    // Events of this Init that happened before the subscription are delivered too.
    this.telemetry.replayInit(delivery);
    extension.delivery = delivery;
    this.telemetry.telemetrySubscription(extension.name, request.types);
  }
}
