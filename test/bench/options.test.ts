import { describe, expect, it } from 'vitest';
import { parseOptions, positiveInteger, STAGES, UsageError } from '../../bench/options';

describe('parseOptions', () => {
  it('runs every stage with the full sample counts by default', () => {
    // Prepare / Act
    const options = parseOptions([]);

    // Assess
    expect(options.mode).toBe('full');
    expect(options.stages).toEqual([...STAGES]);
  });

  it('takes fewer samples with --quick', () => {
    // Prepare / Act
    const quick = parseOptions(['--quick']);
    const full = parseOptions([]);

    // Assess
    expect(quick.mode).toBe('quick');
    expect(quick.coldStarts).toBeLessThan(full.coldStarts);
    expect(quick.warmSeconds).toBeLessThan(full.warmSeconds);
  });

  it('selects and skips stages in either flag form', () => {
    // Prepare / Act
    const only = parseOptions(['--only', 'sizes,cold-start']);
    const skip = parseOptions(['--skip=warm-path']);

    // Assess
    expect(only.stages).toEqual(['sizes', 'cold-start']);
    expect(skip.stages).not.toContain('warm-path');
  });

  it('names the unknown stage and the valid ones', () => {
    // Prepare / Act / Assess
    expect(() => parseOptions(['--only', 'cold'])).toThrow(UsageError);
    expect(() => parseOptions(['--only', 'cold'])).toThrow(/unknown stage "cold".*cold-start/);
  });

  it('measures at 128 MB and 1,024 MB unless --memory names the sizes', () => {
    // Prepare / Act
    const defaults = parseOptions([]);
    const chosen = parseOptions(['--memory', '512, 1769,512']);

    // Assess
    expect(defaults.memorySizesMb).toEqual([128, 1024]);
    expect(chosen.memorySizesMb).toEqual([512, 1769]);
  });

  it('refuses a memory size Lambda does not allow, naming the range', () => {
    // Prepare / Act / Assess
    expect(() => parseOptions(['--memory', '64'])).toThrow(
      /--memory needs sizes in MB from 128 to 10240.*got "64"/,
    );
    expect(() => parseOptions(['--memory', '128,lots'])).toThrow(UsageError);
  });

  it('turns an unknown flag into one usage line naming it', () => {
    // Prepare / Act / Assess
    expect(() => parseOptions(['--fast'])).toThrow(UsageError);
    expect(() => parseOptions(['--fast'])).toThrow(/^Unknown option '--fast'; run with --help/);
  });

  it('asks for the usage text with --help', () => {
    // Prepare / Act
    const options = parseOptions(['--help']);

    // Assess
    expect(options.help).toBe(true);
  });
});

describe('positiveInteger', () => {
  it('reads a whole number and falls back when the flag is absent', () => {
    // Prepare / Act / Assess
    expect(positiveInteger('--runs', '12', 25)).toBe(12);
    expect(positiveInteger('--runs', undefined, 25)).toBe(25);
  });

  it('names the flag when the value is not a whole number of at least 1', () => {
    // Prepare / Act / Assess
    for (const value of ['0', '-3', '2.5', 'ten', '']) {
      expect(() => positiveInteger('--spans', value, 1)).toThrow(UsageError);
    }
    expect(() => positiveInteger('--spans', 'ten', 1)).toThrow(/^--spans needs a whole number/);
  });
});
