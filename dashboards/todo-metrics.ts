import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { EXTENSION_METRICS } from '../extension/src/metric-names';
import { TODO_METRICS } from '../functions/todos/metric-names';
import { type Route, routeKey } from '../functions/todos/routes';

/**
 * One-minute periods everywhere: the canary lasts minutes, so a five-minute default period
 * would let a bad version take all traffic before its first datapoint.
 */
export const METRIC_PERIOD = Duration.minutes(1);

/** What the metric factory needs to know about the deployed function. */
export interface TodoMetricSources {
  /** The function's name. */
  readonly functionName: string;
  /** The alias that takes traffic, e.g. `live`. */
  readonly aliasName: string;
  /** The version being deployed (a CloudFormation token in the stack). */
  readonly version: string;
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`). @default TODO_METRICS.defaultService */
  readonly serviceName?: string;
  /** Handler EMF namespace (`POWERTOOLS_METRICS_NAMESPACE`). @default TODO_METRICS.defaultNamespace */
  readonly handlerNamespace?: string;
  /** Extension EMF namespace (`TELEMETRY_METRICS_NAMESPACE`). @default EXTENSION_METRICS.defaultNamespace */
  readonly extensionNamespace?: string;
}

/**
 * Builds every metric the alarms and the dashboard use, with names and namespaces taken from
 * the constants the handler and the extension emit with, so a rename cannot orphan a widget.
 */
export class TodoMetricFactory {
  readonly serviceName: string;
  readonly handlerNamespace: string;
  readonly extensionNamespace: string;

  constructor(readonly sources: TodoMetricSources) {
    this.serviceName = sources.serviceName ?? TODO_METRICS.defaultService;
    this.handlerNamespace = sources.handlerNamespace ?? TODO_METRICS.defaultNamespace;
    this.extensionNamespace = sources.extensionNamespace ?? EXTENSION_METRICS.defaultNamespace;
  }

  /** `<function>:<alias>`, the `Resource` dimension Lambda uses for invocations through the alias. */
  get aliasResource(): string {
    return `${this.sources.functionName}:${this.sources.aliasName}`;
  }

  /**
   * An AWS/Lambda metric of the NEW version only. Lambda reports invocations through an alias
   * under `FunctionName` + `Resource` + `ExecutedVersion`; `Version.metric*()` uses other
   * dimensions that never receive data, which would leave a rollback alarm silent.
   */
  lambdaOfNewVersion(metricName: string, statistic: string, label?: string): Metric {
    return new Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: {
        FunctionName: this.sources.functionName,
        Resource: this.aliasResource,
        ExecutedVersion: this.sources.version,
      },
      statistic,
      period: METRIC_PERIOD,
      label,
    });
  }

  /** An AWS/Lambda metric of all traffic through the alias, old and new versions mixed. */
  lambdaOfAlias(metricName: string, statistic: string, label?: string): Metric {
    return new Metric({
      namespace: 'AWS/Lambda',
      metricName,
      dimensionsMap: { FunctionName: this.sources.functionName, Resource: this.aliasResource },
      statistic,
      period: METRIC_PERIOD,
      label,
    });
  }

  /**
   * One line per executed version (stable and canary side by side during a deployment).
   * SEARCH works on dashboards only, never in alarms.
   */
  lambdaByExecutedVersion(metricName: string, statistic: string): MathExpression {
    const search =
      `SEARCH('{AWS/Lambda,ExecutedVersion,FunctionName,Resource} MetricName="${metricName}" ` +
      `FunctionName="${this.sources.functionName}" Resource="${this.aliasResource}"', '${statistic}', 60)`;
    return new MathExpression({
      expression: search,
      usingMetrics: {},
      label: `${metricName} ${statistic} by version`,
      period: METRIC_PERIOD,
    });
  }

  /** An extension EMF metric of the new version (`FunctionName` + `FunctionVersion`). */
  extension(metricName: string, statistic: string, label?: string): Metric {
    return new Metric({
      namespace: this.extensionNamespace,
      metricName,
      dimensionsMap: {
        [EXTENSION_METRICS.dimensions.functionName]: this.sources.functionName,
        [EXTENSION_METRICS.dimensions.functionVersion]: this.sources.version,
      },
      statistic,
      period: METRIC_PERIOD,
      label,
    });
  }

  /** Telemetry the new version's extension had to drop: spans plus metric documents. */
  telemetryDropped(): MathExpression {
    return new MathExpression({
      expression: 'FILL(spans, 0) + FILL(documents, 0)',
      usingMetrics: {
        spans: this.extension(EXTENSION_METRICS.spansDropped, Stats.SUM),
        documents: this.extension(EXTENSION_METRICS.metricDocumentsDropped, Stats.SUM),
      },
      label: 'Telemetry dropped',
      period: METRIC_PERIOD,
    });
  }

  /**
   * Requests the NEW version served (handler EMF, one data point per request whatever the
   * trace sampling), all of them or those of one status class (`2xx`, `4xx`, `5xx`).
   */
  requestsOfNewVersion(statusClass?: string): Metric {
    const { dimensions } = TODO_METRICS;
    return new Metric({
      namespace: this.handlerNamespace,
      metricName: TODO_METRICS.requests,
      dimensionsMap: {
        [dimensions.service]: this.serviceName,
        [dimensions.functionVersion]: this.sources.version,
        ...(statusClass === undefined ? {} : { [dimensions.statusClass]: statusClass }),
      },
      statistic: Stats.SUM,
      period: METRIC_PERIOD,
      label: statusClass === undefined ? 'Requests (new version)' : `${statusClass} (new version)`,
    });
  }

  /**
   * The new version's 5xx share of its requests in percent, judged only in minutes with at
   * least `minRequests` requests (0 otherwise, so a lone early error on a tiny canary is not a
   * 100 % rate). CloudWatch metric math only (FILL, IF, arithmetic, comparison): alarms take no
   * SEARCH. `requests` is never 0 when present (each data point is one request), so
   * `FILL(requests, 1)` only replaces an empty minute, which the IF has ruled out already:
   * nothing is divided by zero anywhere.
   */
  serverErrorRateOfNewVersion(minRequests: number): MathExpression {
    return new MathExpression({
      expression: `IF(FILL(requests, 0) >= ${minRequests}, 100 * FILL(serverErrors, 0) / FILL(requests, 1), 0)`,
      usingMetrics: {
        requests: this.requestsOfNewVersion(),
        serverErrors: this.requestsOfNewVersion('5xx'),
      },
      label: `5xx rate of the new version (%, minutes with >= ${minRequests} requests)`,
      period: METRIC_PERIOD,
    });
  }

  /**
   * Requests per minute of every version by status class (`<version> <class>` lines), stable
   * and canary side by side. SEARCH: dashboards only.
   */
  requestsByVersionAndStatusClass(): MathExpression {
    return this.requestsSearch(TODO_METRICS.dimensions.functionVersion);
  }

  /** Requests per minute of every route by status class (all versions). SEARCH: dashboards only. */
  requestsByRouteAndStatusClass(): MathExpression {
    return this.requestsSearch(TODO_METRICS.dimensions.route);
  }

  /** One line per value of `groupBy` and status class, from the handler's `Requests` counts. */
  private requestsSearch(groupBy: string): MathExpression {
    const { dimensions } = TODO_METRICS;
    const search =
      `SEARCH('{${this.handlerNamespace},${groupBy},${dimensions.service},${dimensions.statusClass}} ` +
      `MetricName="${TODO_METRICS.requests}" ${dimensions.service}="${this.serviceName}"', 'Sum', 60)`;
    return new MathExpression({ expression: search, usingMetrics: {}, label: '', period: METRIC_PERIOD });
  }

  /** A handler payload-size metric of one route (dimensions `service` + `route`). */
  payloadSize(kind: 'request' | 'response', route: Route, statistic: string): Metric {
    const key = routeKey(route);
    return new Metric({
      namespace: this.handlerNamespace,
      metricName: kind === 'request' ? TODO_METRICS.requestSize : TODO_METRICS.responseSize,
      dimensionsMap: {
        [TODO_METRICS.dimensions.service]: this.serviceName,
        [TODO_METRICS.dimensions.route]: key,
      },
      statistic,
      period: METRIC_PERIOD,
      label: `${key} ${statistic}`,
    });
  }

  /** Powertools' cold-start count (dimensions `service` + `function_name`). */
  coldStarts(): Metric {
    return new Metric({
      namespace: this.handlerNamespace,
      metricName: TODO_METRICS.coldStart,
      dimensionsMap: {
        [TODO_METRICS.dimensions.service]: this.serviceName,
        function_name: this.sources.functionName,
      },
      statistic: Stats.SUM,
      period: METRIC_PERIOD,
      label: 'Cold starts',
    });
  }
}
