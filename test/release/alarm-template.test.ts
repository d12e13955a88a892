import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredMetric } from '../../local/logs/metric-store';
import type { AlarmDefinition } from '../../local/release/alarm-definitions';
import { evaluateAlarm } from '../../local/release/alarm-evaluator';
import {
  readAlarms,
  readRollbackAlarms,
  type SynthesizedTemplate,
  sandboxResolver,
} from '../../local/release/alarm-template';
import { synthesizeTemplate } from '../../local/release/template-synth';
import {
  resolveTemplateValue,
  type TemplateResolver,
  TemplateValueError,
} from '../../local/release/template-values';

// Without validation a synth takes seconds; a loaded shared machine may still stretch it.
const SYNTH_TIMEOUT_MS = 120_000;
const SANDBOX = { functionName: 'todos', version: '2', aliasName: 'live' };
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

describe('alarms read from the synthesized template', () => {
  let template: SynthesizedTemplate;
  let resources: Resources;
  let rollback: AlarmDefinition[];
  beforeAll(() => {
    template = synthesizeTemplate();
    resources = template.Resources as Resources;
    rollback = readRollbackAlarms(template, sandboxResolver(template, SANDBOX));
  }, SYNTH_TIMEOUT_MS);

  const byPrefix = (prefix: string): AlarmDefinition => {
    const found = rollback.find((alarm) => alarm.logicalId.startsWith(prefix));
    if (!found) throw new Error(`no rollback alarm ${prefix}*`);
    return found;
  };

  it('selects exactly the alarms the deployment group lists, in its order', () => {
    // Prepare
    const group = Object.values(resources).find(
      (resource) => resource.Type === 'AWS::CodeDeploy::DeploymentGroup',
    );
    const listed = (
      group!.Properties.AlarmConfiguration as { Alarms: { Name: { Ref: string } }[] }
    ).Alarms.map((alarm) => alarm.Name.Ref);

    // Assess
    expect(rollback.map((alarm) => alarm.logicalId)).toEqual(listed);
    expect(rollback.every((alarm) => alarm.logicalId.startsWith('RollbackAlarms'))).toBe(true);
  });

  it('resolves the dimensions to the sandbox function, alias and version being deployed', () => {
    // Act
    const errors = byPrefix('RollbackAlarmsErrors');

    // Assess
    expect(errors.metric).toEqual({
      kind: 'metric',
      metricStat: {
        metric: {
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensions: { FunctionName: 'todos', Resource: 'todos:live', ExecutedVersion: '2' },
        },
        period: 60,
        stat: 'Sum',
        unit: undefined,
      },
    });
    expect(errors.alarmDescription).toMatch(/^Rollback:/);
  });

  it('puts only the alarm on errors of version 2 in ALARM after errors in minute 3', async () => {
    // Prepare: version 2 fails once in minute 3; version 1 fails too, which must not count.
    const errors = (version: string): StoredMetric => ({
      timestamp: T0 + 3 * MINUTE + 20_000,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: 'todos', Resource: 'todos:live', ExecutedVersion: version },
      unit: 'Count',
      storageResolution: 60,
      values: [1],
      counts: [1],
      logGroup: '/aws/lambda/todos',
      logStream: 'platform',
    });
    const metrics = [errors('1'), errors('2')];

    // Act
    const results = await Promise.all(
      rollback.map((alarm) => evaluateAlarm(alarm, () => metrics, { at: T0 + 4 * MINUTE + 500 })),
    );

    // Assess
    const states = Object.fromEntries(results.map((result) => [result.logicalId, result.state]));
    const errorsId = byPrefix('RollbackAlarmsErrors').logicalId;
    expect(states[errorsId]).toBe('ALARM');
    for (const [id, state] of Object.entries(states)) {
      if (id !== errorsId) expect(['OK', 'INSUFFICIENT_DATA']).toContain(state);
    }
    expect(results.find((result) => result.logicalId === errorsId)?.reason).toContain(
      '[1.0 (01/01/26 00:03:00)]',
    );
  });

  it('takes the threshold from the template: the same error is no alarm above it', async () => {
    // Prepare: the template as if the errors threshold in dashboards/rollback-alarms.ts were 2.
    const errorsId = byPrefix('RollbackAlarmsErrors').logicalId;
    const raised = structuredClone(template) as { Resources: Resources };
    raised.Resources[errorsId]!.Properties.Threshold = 2;
    const [alarm] = readRollbackAlarms(raised, sandboxResolver(raised, SANDBOX)).filter(
      (a) => a.logicalId === errorsId,
    );
    const error: StoredMetric = {
      timestamp: T0 + 3 * MINUTE,
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: { FunctionName: 'todos', Resource: 'todos:live', ExecutedVersion: '2' },
      unit: 'Count',
      storageResolution: 60,
      values: [1],
      counts: [1],
      logGroup: '/aws/lambda/todos',
      logStream: 'platform',
    };

    // Act
    const result = await evaluateAlarm(alarm!, () => [error], { at: T0 + 4 * MINUTE });

    // Assess
    expect(result.state).toBe('OK');
    expect(result.reason).toContain('the threshold (2.0)');
  });

  it('names the alarm and the expression it cannot resolve', () => {
    // Act / Assess: the paging alarms reference the HTTP API and the table, unknown to the sandbox.
    expect(() => readAlarms(template, sandboxResolver(template, SANDBOX))).toThrow(TemplateValueError);
    expect(() => readAlarms(template, sandboxResolver(template, SANDBOX))).toThrow(
      /alarm PagingAlarms\w+ .*cannot resolve Ref HttpApi\w+/,
    );
  });

  it('reads every alarm when the resolver answers for the other resources', () => {
    // Prepare
    const others: TemplateResolver = ({ logicalId }) => `${logicalId}-physical`;

    // Act
    const alarms = readAlarms(template, sandboxResolver(template, SANDBOX, others));

    // Assess
    const alarmCount = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::CloudWatch::Alarm',
    ).length;
    expect(alarms).toHaveLength(alarmCount);
    expect(alarms.length).toBeGreaterThan(rollback.length);
  });
});

describe('CloudFormation values', () => {
  const resolver: TemplateResolver = ({ logicalId, attribute }) =>
    ({ Fn: 'todos', 'Version.Version': '7' })[attribute ? `${logicalId}.${attribute}` : logicalId];

  it('applies Fn::Join, Fn::Select, Fn::Split and Fn::Sub around references', () => {
    // Act / Assess
    expect(resolveTemplateValue({ 'Fn::Join': ['', [{ Ref: 'Fn' }, ':live']] }, resolver, 'here')).toBe(
      'todos:live',
    );
    expect(
      resolveTemplateValue({ 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] }, resolver, 'here'),
    ).toBe('b');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's own placeholders, not JavaScript's
    expect(resolveTemplateValue({ 'Fn::Sub': '${Fn}:${Version.Version}' }, resolver, 'here')).toBe('todos:7');
    expect(resolveTemplateValue({ 'Fn::GetAtt': 'Version.Version' }, resolver, 'here')).toBe('7');
    expect(resolveTemplateValue(60, resolver, 'here')).toBe('60');
  });

  it('fails naming the place and the unresolved reference', () => {
    // Act / Assess
    expect(() =>
      resolveTemplateValue({ 'Fn::GetAtt': ['Gone', 'Arn'] }, resolver, 'alarm X Dimensions.Value'),
    ).toThrow(
      'alarm X Dimensions.Value: cannot resolve Fn::GetAtt Gone.Arn in {"Fn::GetAtt":["Gone","Arn"]}',
    );
    expect(() => resolveTemplateValue({ 'Fn::If': ['c', 'a', 'b'] }, resolver, 'here')).toThrow(
      /unsupported Fn::If/,
    );
  });
});
