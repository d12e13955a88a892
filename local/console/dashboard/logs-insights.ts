/**
 * A CloudWatch Logs Insights subset over local log events: `fields`, `display`, `filter`
 * (`=`, `!=`, `<`, `<=`, `>`, `>=`, `and`, `or`, `not`, parentheses, `ispresent(field)`),
 * `sort <field> [asc|desc], ...` and `limit`, with `@timestamp`, `@message`, `@logStream`,
 * `@log` and the fields of JSON messages (dotted paths reach into nested objects, as Logs
 * Insights discovers them). A command or function outside the subset is a {@link QueryError},
 * never a wrong answer. `limit` keeps the first rows once every other command has run, wherever
 * it stands, as the dashboards' queries (limit last) expect.
 */

/** A query outside the supported subset, or malformed; the message says which part. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
}

/** One log event as the store keeps it. */
export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly logStream: string;
  readonly logGroup: string;
}

/** A parsed query, ready to run over events. */
export interface InsightsQuery {
  /** The `SOURCE '<group>'` log groups written before the commands. */
  readonly logGroups: readonly string[];
  readonly columns: readonly string[];
  readonly run: (events: readonly LogEvent[]) => Record<string, string>[];
}

/** What Logs Insights returns without a `limit`. */
const DEFAULT_LIMIT = 1000;
const DEFAULT_COLUMNS = ['@timestamp', '@message'];

type Value = string | number | boolean | undefined;
type Fields = (name: string) => Value;
type Condition = (fields: Fields) => boolean;

/** Splits on `|` outside quotes. */
const splitCommands = (query: string): string[] => {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const char of query) {
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'" || char === '`') quote = char;
    else if (char === '|') {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  parts.push(current.trim());
  return parts.filter((part) => part !== '');
};

const TOKEN =
  /\s*(?:("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?)|(!=|<=|>=|=|<|>|\(|\)|,)|([@\w.]+))/y;

const tokenize = (text: string): string[] => {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (text.slice(TOKEN.lastIndex).trim() === '') break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) throw new QueryError(`unexpected "${text.slice(at).trim()}" in "${text}"`);
    tokens.push(match[0].trim());
  }
  return tokens;
};

const isQuoted = (token: string): boolean => /^["']/.test(token);
const unquote = (token: string): string => token.slice(1, -1).replace(/\\(.)/g, '$1');

const compare = (left: Value, op: string, right: Value): boolean => {
  if (left === undefined || right === undefined) return false;
  const both =
    typeof left === 'number' || typeof right === 'number'
      ? [Number(left), Number(right)]
      : [String(left), String(right)];
  const [a, b] = both as [number | string, number | string];
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
};

/** Parses a filter expression; precedence from loosest: or, and, not, comparison. */
function parseCondition(text: string): Condition {
  const tokens = tokenize(text);
  let position = 0;
  const peek = (): string | undefined => tokens[position];
  const take = (): string => {
    const token = tokens[position];
    if (token === undefined) throw new QueryError(`filter "${text}" ends early`);
    position += 1;
    return token;
  };
  const operand = (): ((fields: Fields) => Value) => {
    const token = take();
    if (isQuoted(token)) {
      const value = unquote(token);
      return () => value;
    }
    if (/^-?\d/.test(token)) {
      const value = Number(token);
      return () => value;
    }
    if (peek() === '(') throw new QueryError(`function ${token}() is not supported locally`);
    return (fields) => fields(token);
  };
  const primary = (): Condition => {
    if (peek() === '(') {
      take();
      const inner = or();
      if (take() !== ')') throw new QueryError(`filter "${text}": expected ")"`);
      return inner;
    }
    if (peek()?.toLowerCase() === 'ispresent' && tokens[position + 1] === '(') {
      position += 2;
      const field = take();
      if (take() !== ')') throw new QueryError(`filter "${text}": ispresent takes one field`);
      return (fields) => fields(field) !== undefined;
    }
    const left = operand();
    const op = peek();
    if (op === undefined || !['=', '!=', '<', '<=', '>', '>='].includes(op)) {
      if (op !== undefined && /^[a-z]+$/i.test(op) && !['and', 'or'].includes(op.toLowerCase()))
        throw new QueryError(`operator "${op}" is not supported locally`);
      return (fields) => {
        const value = left(fields);
        return value !== undefined && value !== '' && value !== 0 && value !== false;
      };
    }
    take();
    const right = operand();
    return (fields) => compare(left(fields), op, right(fields));
  };
  const not = (): Condition => {
    if (peek()?.toLowerCase() === 'not') {
      take();
      const inner = not();
      return (fields) => !inner(fields);
    }
    return primary();
  };
  const level =
    (word: string, next: () => Condition, join: (a: boolean, b: () => boolean) => boolean) => () => {
      let left = next();
      while (peek()?.toLowerCase() === word) {
        take();
        const [a, b] = [left, next()];
        left = (fields) => join(a(fields), () => b(fields));
      }
      return left;
    };
  const and = level('and', not, (a, b) => a && b());
  const or = level('or', and, (a, b) => a || b());
  const condition = or();
  if (position < tokens.length) throw new QueryError(`filter "${text}": unexpected "${tokens[position]}"`);
  return condition;
}

/** `2026-01-01 00:00:00.000`, the way Logs Insights shows `@timestamp`. */
const formatTimestamp = (timestamp: number): string =>
  new Date(timestamp).toISOString().replace('T', ' ').slice(0, 23);

const parseMessage = (message: string): Record<string, unknown> | undefined => {
  if (!message.trimStart().startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(message) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
};

/** The field accessor of an event. */
const fieldsOf = (event: LogEvent): Fields => {
  const json = parseMessage(event.message);
  return (name) => {
    switch (name) {
      case '@timestamp':
        return formatTimestamp(event.timestamp);
      case '@message':
        return event.message;
      case '@logStream':
        return event.logStream;
      case '@log':
        return event.logGroup;
    }
    let value: unknown = json;
    for (const part of name.split('.')) {
      if (typeof value !== 'object' || value === null) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    if (value === undefined || value === null) return undefined;
    return typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean);
  };
};

const fieldList = (text: string, command: string): string[] => {
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!/^[@\w.]+$/.test(name))
      throw new QueryError(`${command} "${name}": only plain field names are supported locally`);
  }
  return names;
};

/**
 * Parses a Logs Insights query (with or without leading `SOURCE '<group>'` commands).
 *
 * @example
 * const query = parseInsightsQuery("fields @timestamp, level | filter level = 'ERROR' | limit 5");
 * query.run(events) // → [{ '@timestamp': '2026-01-01 00:00:00.000', level: 'ERROR' }]
 */
export function parseInsightsQuery(text: string): InsightsQuery {
  const logGroups: string[] = [];
  let columns: string[] | undefined;
  const steps: ((rows: { event: LogEvent; fields: Fields }[]) => { event: LogEvent; fields: Fields }[])[] =
    [];
  let limit = DEFAULT_LIMIT;
  for (const command of splitCommands(text)) {
    const [, verb = '', rest = ''] = /^(\S+)\s*([\s\S]*)$/.exec(command) ?? [];
    switch (verb.toLowerCase()) {
      case 'source': {
        const group = /^['"`]([^'"`]+)['"`]$/.exec(rest.trim());
        if (!group) throw new QueryError(`SOURCE ${rest}: expected a quoted log group`);
        logGroups.push(group[1] as string);
        break;
      }
      case 'fields':
        columns = [...(columns ?? []), ...fieldList(rest, 'fields')];
        break;
      case 'display':
        columns = fieldList(rest, 'display');
        break;
      case 'filter': {
        const condition = parseCondition(rest);
        steps.push((rows) => rows.filter((row) => condition(row.fields)));
        break;
      }
      case 'sort': {
        const keys = rest.split(',').map((key) => {
          const [field = '', order = 'asc'] = key.trim().split(/\s+/);
          if (!['asc', 'desc'].includes(order.toLowerCase()))
            throw new QueryError(`sort order "${order}" is not asc or desc`);
          return { field, sign: order.toLowerCase() === 'desc' ? -1 : 1 };
        });
        steps.push((rows) =>
          [...rows].sort((a, b) => {
            for (const { field, sign } of keys) {
              const [x, y] =
                field === '@timestamp'
                  ? [a.event.timestamp, b.event.timestamp]
                  : [a.fields(field), b.fields(field)];
              if (x === y) continue;
              if (x === undefined) return 1;
              if (y === undefined) return -1;
              return (x < y ? -1 : 1) * sign;
            }
            return 0;
          }),
        );
        break;
      }
      case 'limit': {
        const count = Number(rest.trim());
        if (!Number.isInteger(count) || count < 1)
          throw new QueryError(`limit ${rest}: expected a positive whole number`);
        limit = count;
        break;
      }
      default:
        throw new QueryError(`command "${verb}" is not supported locally`);
    }
  }
  const shown = columns ?? DEFAULT_COLUMNS;
  return {
    logGroups,
    columns: shown,
    run: (events) => {
      let rows = events.map((event) => ({ event, fields: fieldsOf(event) }));
      for (const step of steps) rows = step(rows);
      return rows.slice(0, limit).map(({ fields }) =>
        Object.fromEntries(
          shown.flatMap((column) => {
            const value = fields(column);
            return value === undefined ? [] : [[column, String(value)]];
          }),
        ),
      );
    },
  };
}
