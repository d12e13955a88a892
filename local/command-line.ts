/**
 * Flag parsing shared by the sandbox's command-line tools: strict, no
 * positionals, and a bad flag becomes one {@link UsageError} line.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './sandbox-errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` against `options`; throws {@link UsageError} naming the bad flag. */
export function parseFlags<const T extends Options>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], strict: true, allowPositionals: false, options }).values;
  } catch (error) {
    // parseArgs explains the problem ("Unknown option '--x'"); the fix is the usage text.
    const reason = (error as Error).message.split('\n')[0]!.replace(/\.$/, '');
    throw new UsageError(`${reason}; run with --help for the options`);
  }
}
