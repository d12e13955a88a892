/** The builds of the todo handler the bench compares, in report order. */
import type { VariantId } from './run-result';

export interface VariantDescription {
  id: VariantId;
  label: string;
  description: string;
}

export const VARIANTS: readonly VariantDescription[] = [
  {
    id: 'none',
    label: '(a) no telemetry',
    description: 'the todo handler built with TELEMETRY=off: no spans, no metrics, no extension',
  },
  {
    id: 'ours',
    label: '(b) ours',
    description: 'the normal build (handler telemetry) with the project extension layer',
  },
  {
    id: 'adot',
    label: '(c) OpenTelemetry layer style',
    description:
      "(a) plus @opentelemetry/sdk-node, auto-instrumentations-node and the OTLP exporter, started by a wrapper loaded with NODE_OPTIONS before the handler, as the OpenTelemetry Lambda layer does; the layer's compiled collector extension is stood in for by the C floor extension (registers, then waits on event/next), so its registration is paid as in Lambda, not its export work",
  },
  {
    id: 'powertools',
    label: '(d) Powertools Tracer + Metrics',
    description:
      '(a) wrapped with @aws-lambda-powertools/tracer (X-Ray SDK, segments to the daemon over UDP) and Powertools Metrics flushed to stdout',
  },
];

export function labelOf(id: VariantId): string {
  return VARIANTS.find((variant) => variant.id === id)?.label ?? id;
}
