/**
 * Synthesizes the CDK app the way `cdk synth` does (context from cdk.json plus overrides, the
 * same validation plugins) into a temporary directory, and reads back the template and the
 * validation report.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createTodoApp } from '../../infra/todo-app';

/** A finding as the validation report lists it. */
interface ReportedViolation {
  readonly ruleName: string;
  readonly severity?: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
  /** Present on acknowledged findings. */
  readonly reason?: string;
  readonly acknowledgedAt?: string;
}

/** One plugin's part of the validation report. */
interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: string;
  readonly violations: readonly ReportedViolation[];
  readonly suppressedViolations?: readonly ReportedViolation[];
}

export interface SynthesizedApp {
  readonly template: Template;
  /** The raw template, for the snapshot and for searching the dashboard body. */
  readonly json: Record<string, unknown>;
  readonly reports: readonly PluginReport[];
  readonly cleanup: () => void;
}

const root = path.resolve(import.meta.dirname, '..', '..');

/** Synthesizes with cdk.json's context, overridden by `context`. */
export const synthesizeApp = (context: Record<string, string> = {}): SynthesizedApp => {
  const cdkJson = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const outdir = mkdtempSync(path.join(tmpdir(), 'todo-cdk-'));
  const { app, stack } = createTodoApp({ outdir, context: { ...cdkJson.context, ...context } });
  const assembly = app.synth();
  const json = assembly.getStackArtifact(stack.artifactId).template as Record<string, unknown>;
  const report = JSON.parse(
    readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as {
    pluginReports: PluginReport[];
  };
  return {
    template: Template.fromJSON(json),
    json,
    reports: report.pluginReports,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
};

/** The one resource of `type` (fails when there is not exactly one). */
export const onlyResource = (
  template: Template,
  type: string,
  // biome-ignore lint/suspicious/noExplicitAny: template JSON is untyped; tests read the parts they assert
): { id: string; resource: Record<string, any> } => {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return { id, resource };
};

/** The logical id of the resource of `type` whose logical id starts with `prefix`. */
export const logicalId = (template: Template, type: string, prefix: string): string => {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} named ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
};

/**
 * A CloudFormation value with every intrinsic function replaced by a readable placeholder
 * (`{Ref:X}`, `{GetAtt:X.Y}`), so a `Fn::Join` such as a dashboard body becomes plain text.
 */
export const flatten = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flatten).join('');
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('Fn::Join' in record) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
    if ('Ref' in record) return `{Ref:${String(record.Ref)}}`;
    if ('Fn::GetAtt' in record) return `{GetAtt:${(record['Fn::GetAtt'] as string[]).join('.')}}`;
  }
  return JSON.stringify(value);
};

/**
 * The template with what changes on every build masked: asset hashes and the content hash
 * in the function version's logical id.
 */
export const maskedTemplate = (json: Record<string, unknown>): unknown =>
  JSON.parse(
    JSON.stringify(json)
      .replace(/[0-9a-f]{64}(\.zip)?/g, '<asset-hash>$1')
      .replace(/CurrentVersion([0-9A-F]{8})[0-9a-f]{32}/g, 'CurrentVersion$1<content-hash>'),
  );
