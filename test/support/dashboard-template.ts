/**
 * What the dashboard tests render against: the sandbox names the stack's references resolve to,
 * and a minimal template holding one function, version, alias and a dashboard of the given
 * widgets (the smallest template the dashboard resolver accepts).
 */
import type { SynthesizedTemplate } from '../../local/release/alarm-template';

/** The sandbox's function, alias, version being deployed, API, table and region. */
export const DASHBOARD_NAMES = {
  functionName: 'todos',
  aliasName: 'live',
  version: '2',
  apiId: 'api1',
  tableName: 'todos',
  region: 'us-east-1',
};

/** 2026-01-01T00:00Z: the tests' epoch. */
export const T0 = Date.UTC(2026, 0, 1);

/** A template whose one dashboard body holds `widgets`. */
export const templateWithWidgets = (widgets: readonly unknown[]): SynthesizedTemplate => ({
  Resources: {
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
    FnVersion: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Fn' } } },
    FnAlias: {
      Type: 'AWS::Lambda::Alias',
      Properties: {
        Name: 'live',
        FunctionName: { Ref: 'Fn' },
        FunctionVersion: { 'Fn::GetAtt': ['FnVersion', 'Version'] },
      },
    },
    Board: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardBody: JSON.stringify({ widgets }) },
    },
  },
});
