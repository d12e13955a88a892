import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/todos/routes';
import { corsPolicy } from '../../infra/cors-policy';
import { type SynthesizedApp, synthesizeApp } from './synthesized-app';

// One synth with the validation plugins takes tens of seconds on a shared machine.
const SYNTH_TIMEOUT_MS = 300_000;
const ORIGINS = ['https://app.example.com', 'http://localhost:5173'];

const apiOf = (synth: SynthesizedApp) => {
  const apis = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Api'));
  expect(apis).toHaveLength(1);
  return apis[0]!.Properties as Record<string, unknown>;
};

describe('CORS in the stack', () => {
  describe('with context corsOrigins and a JWT issuer', () => {
    let synth: SynthesizedApp;
    beforeAll(() => {
      synth = synthesizeApp({
        corsOrigins: ORIGINS.join(','),
        jwtIssuer: 'https://issuer.example.com/',
        jwtAudience: 'todo-api',
      });
    }, SYNTH_TIMEOUT_MS);
    afterAll(() => synth.cleanup());

    it('configures the HTTP API CORS from the shared policy', () => {
      // Prepare
      const policy = corsPolicy(ORIGINS);

      // Assess
      expect(apiOf(synth).CorsConfiguration).toEqual({
        AllowOrigins: ORIGINS,
        AllowMethods: [...policy.allowMethods],
        AllowHeaders: [...policy.allowHeaders],
        ExposeHeaders: [...policy.exposeHeaders],
        MaxAge: policy.maxAgeSeconds,
        AllowCredentials: false,
      });
    });

    it('allows every method of the route table and OPTIONS', () => {
      // Assess
      const methods = (apiOf(synth).CorsConfiguration as { AllowMethods: string[] }).AllowMethods;
      expect(methods.sort()).toEqual(
        [...new Set([...ROUTES.map((route) => route.method), 'OPTIONS'])].sort(),
      );
    });

    it('leaves no unacknowledged cdk-nag or cfn-guard finding', () => {
      // Assess
      for (const report of synth.reports) expect(report.violations).toEqual([]);
    });
  });

  describe('without corsOrigins', () => {
    let synth: SynthesizedApp;
    beforeAll(() => {
      synth = synthesizeApp();
    }, SYNTH_TIMEOUT_MS);
    afterAll(() => synth.cleanup());

    it('has no CORS configuration', () => {
      // Assess
      expect(apiOf(synth).CorsConfiguration).toBeUndefined();
    });
  });
});
