/**
 * Variant (d): the todo handler instrumented the way Powertools for AWS Lambda documents it
 * without middy: the Tracer (the X-Ray SDK underneath, segments to the daemon over UDP) opens a
 * handler subsegment per invocation and captures the DynamoDB client; Metrics records the same
 * payload sizes as the project's telemetry and writes EMF to stdout at the end of each invocation.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createDynamoDBClient } from '../../functions/todos/dynamodb-client';
import { createHandler } from '../../functions/todos/handler';
import type { HttpApiEvent } from '../../functions/todos/http-request';
import { TODO_METRICS } from '../../functions/todos/metric-names';

const tracer = new Tracer({ serviceName: TODO_METRICS.defaultService });
const metrics = new Metrics({
  namespace: TODO_METRICS.defaultNamespace,
  serviceName: TODO_METRICS.defaultService,
});
const todos = createHandler({
  dynamoDBClient: (config) => tracer.captureAWSv3Client(createDynamoDBClient(config)),
});

const byteLength = (body: string | undefined, base64: boolean | undefined): number =>
  body === undefined ? 0 : Buffer.byteLength(body, base64 ? 'base64' : 'utf8');

/** The todo handler wrapped by Powertools Tracer and Metrics. */
export const handler = async (
  event: HttpApiEvent,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const segment = tracer.getSegment();
  // Powertools names it after _HANDLER; the bench's variant is always `index.handler`.
  const subsegment = segment?.addNewSubsegment('## index.handler');
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  metrics.captureColdStartMetric();
  try {
    const result = await todos(event, context);
    tracer.addResponseAsMetadata(result, 'handler');
    metrics.addDimension(TODO_METRICS.dimensions.route, event.routeKey ?? '$default');
    metrics.addMetric(
      TODO_METRICS.requestSize,
      MetricUnit.Bytes,
      byteLength(event.body, event.isBase64Encoded),
    );
    metrics.addMetric(
      TODO_METRICS.responseSize,
      MetricUnit.Bytes,
      byteLength(result.body, result.isBase64Encoded),
    );
    return result;
  } catch (error) {
    tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
    metrics.publishStoredMetrics();
  }
};
