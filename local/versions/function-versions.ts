/**
 * The published versions and the aliases of one function, kept as Lambda keeps them. Publishing
 * copies the code and the layers under the state directory, so a version stays what it was when
 * published whatever happens to `dist/` afterwards; `$LATEST` is the code directory as it is.
 * Aliases are checked as `UpdateAlias` checks them.
 */
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FunctionDefinition } from '../environment/types';

/** Where an alias sends invocations, as Lambda's `FunctionVersion` plus `RoutingConfig`. */
export interface AliasRouting {
  /** The primary version. */
  readonly functionVersion: string;
  /** At most one additional version and the share (0 < weight < 1) of invocations it takes, as Lambda's RoutingConfig.AdditionalVersionWeights. */
  readonly additionalVersionWeights?: Readonly<Record<string, number>>;
}

/** Versions and aliases of the sandbox's function. */
export interface FunctionVersions {
  /** Publishes an immutable version: the code directory (default: the sandbox's code) and the layers are copied at publish time under the state directory; returns the version number as a string ("1", "2", …), as PublishVersion does. */
  publish(options?: {
    readonly codeDir?: string;
    readonly layers?: readonly string[];
    readonly description?: string;
  }): Promise<string>;
  /** The published versions, oldest first. */
  list(): readonly string[];
  /** The alias's routing, or undefined when there is no such alias. */
  alias(name: string): AliasRouting | undefined;
  /** Creates or updates an alias (validation as Lambda's UpdateAlias: versions must exist, one additional version at most, weight in (0,1), not the primary itself); throws a clear error otherwise. */
  updateAlias(name: string, routing: AliasRouting): void;
}

/** The version `$LATEST`: the function's code and layers as they are now. */
const LATEST = '$LATEST';
/** Lambda's alias name rule: letters, digits, `-` and `_`, not only digits (that would be a version). */
const ALIAS_NAME = /^(?!\d+$)[A-Za-z0-9_-]{1,128}$/;

/** A refused `updateAlias`, with the error type Lambda answers. */
export class AliasUpdateError extends Error {
  constructor(
    readonly errorType:
      | 'ResourceNotFoundException'
      | 'InvalidParameterValueException'
      | 'ValidationException',
    message: string,
  ) {
    super(message);
    this.name = 'AliasUpdateError';
  }
}

/** One resolved qualifier: which version runs, chosen per invocation for a weighted alias. */
export interface Target {
  /** The version that runs this invocation. */
  readonly version: string;
  /** The alias the caller named, when it named one. */
  readonly alias?: string;
}

export class VersionRegistry implements FunctionVersions {
  private readonly published = new Map<string, FunctionDefinition>();
  private readonly aliases = new Map<string, AliasRouting>();
  private lastNumber = 0;

  /**
   * @param latest the function as configured: `$LATEST`
   * @param directory where published code and layers are copied (`<state dir>/versions`)
   */
  constructor(
    readonly latest: FunctionDefinition,
    private readonly directory: string,
  ) {}

  async publish(
    options: {
      readonly codeDir?: string;
      readonly layers?: readonly string[];
      readonly description?: string;
    } = {},
  ): Promise<string> {
    // The number is taken before copying, so publishes in parallel never share one.
    const version = String(++this.lastNumber);
    const root = path.join(this.directory, version);
    const codeDir = path.join(root, 'code');
    // Symlinks are followed: a version must not change when what a link points to does.
    const copy = (from: string, to: string) =>
      cp(from, to, { recursive: true, dereference: true, force: true });
    // A directory left by an earlier sandbox run with the same state directory goes first.
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    await copy(path.resolve(options.codeDir ?? this.latest.codeDir), codeDir);
    const layers: string[] = [];
    for (const [index, layer] of (options.layers ?? this.latest.layers).entries()) {
      // Numbered: later layers overwrite earlier ones in /opt, so their order is part of the version.
      const target = path.join(root, 'layers', `${index + 1}-${path.basename(layer)}`);
      await copy(path.resolve(layer), target);
      layers.push(target);
    }
    this.published.set(version, {
      ...this.latest,
      environment: { ...this.latest.environment },
      codeDir,
      layers,
      version,
    });
    return version;
  }

  list(): readonly string[] {
    return [...this.published.keys()].sort((a, b) => Number(a) - Number(b));
  }

  alias(name: string): AliasRouting | undefined {
    return this.aliases.get(name);
  }

  updateAlias(name: string, routing: AliasRouting): void {
    if (!ALIAS_NAME.test(name)) {
      throw new AliasUpdateError(
        'ValidationException',
        `Alias name "${name}" is invalid: use 1-128 letters, digits, - or _, not only digits`,
      );
    }
    this.requireVersion(routing.functionVersion);
    const weights = Object.entries(routing.additionalVersionWeights ?? {});
    if (weights.length > 1) {
      throw new AliasUpdateError(
        'InvalidParameterValueException',
        `Alias ${name} routes to ${weights.length} additional versions; at most one is allowed`,
      );
    }
    for (const [version, weight] of weights) {
      if (routing.functionVersion === LATEST || version === LATEST) {
        throw new AliasUpdateError(
          'InvalidParameterValueException',
          `Alias ${name}: $LATEST cannot be part of a weighted alias; publish a version and route to it`,
        );
      }
      this.requireVersion(version);
      if (version === routing.functionVersion) {
        throw new AliasUpdateError(
          'InvalidParameterValueException',
          `Alias ${name}: additional version ${version} is the primary version itself`,
        );
      }
      if (!(typeof weight === 'number' && weight > 0 && weight < 1)) {
        throw new AliasUpdateError(
          'ValidationException',
          `Alias ${name}: the weight of version ${version} is ${weight}; it must be above 0 and below 1`,
        );
      }
    }
    this.aliases.set(name, {
      functionVersion: routing.functionVersion,
      ...(weights.length > 0 ? { additionalVersionWeights: Object.fromEntries(weights) } : {}),
    });
  }

  /** True when `qualifier` names `$LATEST`, a published version or an alias. */
  has(qualifier: string): boolean {
    return qualifier === LATEST || this.published.has(qualifier) || this.aliases.has(qualifier);
  }

  /**
   * The version that runs one invocation of `qualifier` (none: `$LATEST`); undefined when the
   * qualifier names nothing. A weighted alias picks at random with the given share, per
   * invocation, as Lambda does.
   */
  resolve(qualifier: string | undefined, random: () => number = Math.random): Target | undefined {
    if (qualifier === undefined || qualifier === LATEST) return { version: LATEST };
    if (this.published.has(qualifier)) return { version: qualifier };
    const routing = this.aliases.get(qualifier);
    if (!routing) return undefined;
    const [additional] = Object.entries(routing.additionalVersionWeights ?? {});
    const version = additional && random() < additional[1] ? additional[0] : routing.functionVersion;
    return { version, alias: qualifier };
  }

  /** The definition the environments of `version` run. */
  definition(version: string): FunctionDefinition {
    if (version === LATEST) return this.latest;
    const definition = this.published.get(version);
    if (!definition) throw new Error(`Version ${version} of ${this.latest.name} is not published`);
    return definition;
  }

  private requireVersion(version: string): void {
    if (version === LATEST || this.published.has(version)) return;
    throw new AliasUpdateError(
      'ResourceNotFoundException',
      `Function not found: ${this.latest.name}:${version} (published: ${this.list().join(', ') || 'none'})`,
    );
  }
}
