import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/todos/routes';
import { DeploymentSettingsError, readDeploymentSettings } from '../../infra/deployment-settings';
import { onlyResource, type SynthesizedApp, synthesizeApp } from './synthesized-app';

// One synth with the validation plugins takes tens of seconds on a shared machine.
const SYNTH_TIMEOUT_MS = 300_000;

describe('a throwaway stack without an authorizer and with a custom canary', () => {
  let synth: SynthesizedApp;
  beforeAll(() => {
    synth = synthesizeApp({
      ephemeral: 'true',
      canaryPercent: '25',
      canaryMinutes: '15',
      stackName: 'TodosPreview',
    });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => synth.cleanup());

  it('passes validation with the open API acknowledged for that reason only', () => {
    // Assess
    for (const report of synth.reports) expect(report.violations).toEqual([]);
    const acknowledged = synth.reports.flatMap((report) => report.suppressedViolations ?? []);
    const openApi = acknowledged.filter(
      (finding) =>
        finding.ruleName === 'AwsSolutions-APIG4' ||
        finding.ruleName === 'api_gw_v2_authorization_type_configured_check',
    );
    expect(openApi.map((finding) => finding.reason)).toEqual(
      expect.arrayContaining([expect.stringContaining('without jwtIssuer on purpose')]),
    );
    expect(openApi.length).toBeGreaterThanOrEqual(2);
  });

  it('leaves every route open, with no authorizer', () => {
    // Assess: one per route of the table, and $default.
    const routes = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes).toHaveLength(ROUTES.length + 1);
    for (const route of routes) expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
    synth.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('destroys the table and logs with the stack and drops deletion protection', () => {
    // Assess
    const { resource: table } = onlyResource(synth.template, 'AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    for (const logGroup of Object.values(synth.template.findResources('AWS::Logs::LogGroup'))) {
      expect(logGroup.DeletionPolicy).toBe('Delete');
      expect(logGroup.Properties.RetentionInDays).toBe(7);
    }
  });

  it('uses a custom time-based canary of the configured share and interval', () => {
    // Assess
    synth.template.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: {
        Type: 'TimeBasedCanary',
        TimeBasedCanary: { CanaryPercentage: 25, CanaryInterval: 15 },
      },
    });
    const { resource: group } = onlyResource(synth.template, 'AWS::CodeDeploy::DeploymentGroup');
    expect(JSON.stringify(group.Properties.DeploymentConfigName)).toContain('ReleaseConfig');
  });
});

describe('deployment settings', () => {
  const read = (context: Record<string, string>) => readDeploymentSettings(new App({ context }).node);

  it('defaults to a protected production stack with a 10 % / 5 minute canary, no authorizer and no CORS', () => {
    // Act
    const settings = read({});

    // Assess
    expect(settings).toEqual({
      stackName: 'ObservableTodos',
      ephemeral: false,
      canaryPercent: 10,
      canaryMinutes: 5,
      jwtIssuer: undefined,
      jwtAudience: [],
      alarmEmail: undefined,
      corsOrigins: [],
    });
  });

  it('splits a comma-separated audience list', () => {
    // Act
    const settings = read({ jwtIssuer: 'https://id.example.com/', jwtAudience: 'web, cli' });

    // Assess
    expect(settings.jwtAudience).toEqual(['web', 'cli']);
  });

  it.each([
    [{ ephemeral: 'yes' }, /"ephemeral" must be true or false/],
    [{ canaryPercent: '100' }, /"canaryPercent" must be a whole number from 1 to 99/],
    [{ canaryMinutes: '2.5' }, /"canaryMinutes" must be a whole number/],
    [{ jwtIssuer: 'http://plain.example.com' }, /"jwtIssuer" must be an https:\/\/ URL/],
    [{ jwtIssuer: 'https://id.example.com/' }, /"jwtAudience" is required with "jwtIssuer"/],
  ])('rejects %o naming the key and the fix', (context, message) => {
    // Act / Assess
    expect(() => read(context)).toThrow(DeploymentSettingsError);
    expect(() => read(context)).toThrow(message);
  });
});
