/**
 * fast-check generators of hostile HTTP requests to the todo API: random and
 * odd methods, paths with traversal and encoding tricks, random headers and
 * media types, JSON and non-JSON bodies, oversized and deeply nested payloads,
 * odd Unicode (lone surrogates, NUL, right-to-left overrides, emoji), and
 * invalid cursors and entity tags. Every request can be sent both as an HTTP
 * API event and over real HTTP: paths are percent-encoded and header values
 * stay within what HTTP/1.1 can carry.
 */
import fc from 'fast-check';

/** A generated request. */
export interface FuzzRequest {
  readonly method: string;
  /** Percent-encoded path, as it goes on the request line. */
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  /** Header names lower-case; values legal on the wire. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  /** Deliver the body base64-encoded (handler-level events only; the front door decides by itself). */
  readonly base64: boolean;
}

/** Real values the generators mix in, so that some requests reach stored todos. */
export interface KnownValues {
  readonly ids: readonly string[];
  readonly etags: readonly string[];
  readonly cursors: readonly string[];
}

const ODD_CHARACTERS = [
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uDBFF\u0041',
  '\u202E',
  '\u200F',
  '\u200D',
  '\uFEFF',
  '\uFFFF',
  '😀',
  '👩‍👩‍👧',
  '🇫🇷',
  'ﷺ',
  'é',
  'e\u0301',
  '\u0085',
  '\u2028',
  '"',
  '\\',
  '/',
  '%',
  '.',
  '<script>',
  '${x}',
  '{{x}}',
];

/** Strings rich in characters that break careless code. */
const oddString = (maxLength = 40): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...ODD_CHARACTERS), fc.string({ unit: 'binary', maxLength: 4 })), {
      maxLength,
    })
    .map((parts) => parts.join(''));

/** Percent-encodes every byte outside the unreserved set; lone surrogates become CESU-8 bytes, which no decoder accepts. */
function percentEncode(text: string): string {
  let encoded = '';
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    const next = text.charCodeAt(index + 1);
    const isPair = unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
    if (unit >= 0xd800 && unit <= 0xdfff && !isPair) {
      encoded += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map(hexByte)
        .join('');
      continue;
    }
    const character = isPair ? text.slice(index, index + 2) : text[index]!;
    if (isPair) index++;
    encoded += /^[A-Za-z0-9_.~-]$/.test(character)
      ? character
      : [...Buffer.from(character, 'utf8')].map(hexByte).join('');
  }
  return encoded;
}

const hexByte = (byte: number): string => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;

const pathSegment = (known: KnownValues): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.ids) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '%2E%2E',
        '%2F',
        '%2f..%2f',
        '..%2F..%2Ftodos',
        '%5C',
        '%00',
        '%ZZ',
        '%',
        '%C0%AE%C0%AE',
        '%ED%A0%80',
        'todos',
        'TODOS',
        '*',
        '~',
        '',
      ),
    },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/) },
    { weight: 2, arbitrary: oddString(12).map(percentEncode) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...known.ids)
        .map((id) => percentEncode(id).replace(/[a-z]/g, (c) => c.toUpperCase())),
    },
  );

/** Paths near and far from the API's routes. */
export const pathArbitrary = (known: KnownValues): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: pathSegment(known).map((segment) => `/todos/${segment}`) },
    { weight: 2, arbitrary: fc.constant('/todos') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '/',
        '/todos/',
        '//todos',
        '/TODOS',
        '/Todos',
        '/todos//x',
        '/todos/./x',
        '/todos/../todos',
        '/todos%2Fx',
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('/todos', '/TODOS', ''),
          fc.array(pathSegment(known), { minLength: 1, maxLength: 4 }),
        )
        .map(([prefix, segments]) => `${prefix}/${segments.join('/')}`),
    },
  );

/** The named methods the generators use; case variants included, which HTTP parsers upper-case. */
export const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'get',
  'Patch',
];

/** Entity tags: real ones, plausible forgeries, weak ones, lists and garbage. */
const etagArbitrary = (known: KnownValues): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...known.etags),
    fc.constantFrom(...known.etags).map((tag) => `W/${tag}`),
    fc.tuple(fc.nat(), fc.uuid()).map(([version, uuid]) => `"${version}.${uuid}"`),
    fc.tuple(fc.constantFrom(...known.etags), fc.constantFrom(...known.etags)).map(([a, b]) => `${a}, ${b}`),
    fc.constantFrom(
      '*',
      '""',
      '"',
      'W/',
      '"1.',
      '"999999999999999999999.00000000-0000-0000-0000-000000000000"',
      ',,,',
    ),
    fc.string({ unit: 'binary-ascii', maxLength: 80 }),
  );

/** Cursors: real ones (possibly another caller's), altered ones, forged shapes and garbage. */
const cursorArbitrary = (known: KnownValues): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...known.cursors),
    fc
      .tuple(fc.constantFrom(...known.cursors), fc.nat(), fc.constantFrom('A', 'z', '-', '_', '.', '='))
      .map(([cursor, at, character]) => {
        const index = at % cursor.length;
        return cursor.slice(0, index) + character + cursor.slice(index + 1);
      }),
    fc
      .tuple(fc.json(), fc.base64String({ maxLength: 40 }))
      .map(([payload, mac]) => `${Buffer.from(payload).toString('base64url')}.${mac}`),
    fc.constantFrom('', '.', 'a.b', '..', 'x'.repeat(600), 'W1siYSIsImIiXQ.AAAAAAAAAAAAAAAAAAAAAA'),
    oddString(30),
  );

const queryArbitrary = (known: KnownValues): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc
          .oneof(
            fc.constantFrom('0', '1', '100', '101', '-1', '1e2', '0x10', ' 5', '50.0', '', '99999999999'),
            fc.string(),
          )
          .map((value) => ['limit', value] as const),
        cursorArbitrary(known).map((value) => ['cursor', value] as const),
        fc.tuple(oddString(8), oddString(8)),
      ),
      { maxLength: 3 },
    )
    .map((pairs) => pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&'));

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json;charset="utf-8"',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/problem+json',
  'text/plain',
  'text/html; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  '',
  ';',
  'application/json; charset=utf-8; charset=latin1',
];

/** Header values legal on the wire: tab, visible ASCII and obs-text. */
const headerValue = fc
  .string({
    unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)),
    maxLength: 60,
  })
  .map((value) => value.trim().replace(/[\x7f]/g, ''));

const headersArbitrary = (known: KnownValues): fc.Arbitrary<Record<string, string>> =>
  fc
    .record(
      {
        'content-type': fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue),
        'if-match': etagArbitrary(known).map((tag) => tag.replace(/[^\t\x20-\x7e]/g, '')),
        'if-none-match': etagArbitrary(known).map((tag) => tag.replace(/[^\t\x20-\x7e]/g, '')),
        accept: fc.constantFrom('*/*', 'application/json', 'text/html', 'application/problem+json'),
        'x-forwarded-for': headerValue,
        'x-custom': headerValue,
      },
      { requiredKeys: [] },
    )
    .map((headers) => ({ ...headers }));

/** JSON values made of odd strings, nested a little. */
const oddJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    oddString(20),
    fc.boolean(),
    fc.constant(null),
    fc.double(),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(oddString(8), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Bodies shaped like todos, with each field valid or not. */
const todoLikeBody = (known: KnownValues): fc.Arbitrary<string> =>
  fc
    .record(
      {
        text: fc.oneof(
          fc.string({ minLength: 1, maxLength: 30 }),
          oddString(30),
          fc.constant(''),
          fc.constant('   '),
          fc.constant('x'.repeat(1_001)),
          fc.constant('😀'.repeat(1_000)),
          fc.integer(),
          fc.constant(null),
        ),
        done: fc.oneof(fc.boolean(), fc.constantFrom('true', 0, 1, null, [], {})),
        id: fc.oneof(
          fc.constantFrom(...known.ids),
          fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
          oddString(10),
          fc.integer(),
        ),
        owner: fc.constantFrom('alice', 'bob', 'default'),
        version: fc.integer(),
        __proto__: fc.constant({ polluted: true }),
        constructor: fc.constant({ prototype: { polluted: true } }),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body));

/** 64 KiB is the handler's limit: bodies straddle it, and nest as deep as the limit allows. */
const HUGE_BODIES = [
  JSON.stringify({ text: 'x'.repeat(64 * 1024) }),
  JSON.stringify({ text: 'y'.repeat(64 * 1024 - 20) }),
  `${'['.repeat(32_000)}${']'.repeat(32_000)}`,
  `${'{"a":'.repeat(12_000)}1${'}'.repeat(12_000)}`,
  `${'['.repeat(200_000)}`,
  JSON.stringify({ text: 'ok', pad: 'z'.repeat(70_000) }),
  JSON.stringify(Array.from({ length: 5_000 }, (_, index) => ({ [`k${index}`]: index }))),
];

/** Bodies of every kind. */
const bodyArbitrary = (known: KnownValues): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: todoLikeBody(known) },
    { weight: 2, arbitrary: oddJson.map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 2, arbitrary: oddString(60) },
    { weight: 1, arbitrary: fc.constantFrom(...HUGE_BODIES) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        '{',
        '{"text":',
        'null',
        '[]',
        '"text"',
        '{"text":"a"}{"text":"b"}',
        '\u0000',
      ),
    },
  );

/** A request of any shape. */
export const requestArbitrary = (known: KnownValues): fc.Arbitrary<FuzzRequest> =>
  fc.record({
    method: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(...METHODS) },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/) },
    ),
    path: pathArbitrary(known),
    query: queryArbitrary(known),
    headers: headersArbitrary(known),
    body: bodyArbitrary(known),
    base64: fc.boolean(),
  });

/** Every text a response may legitimately quote back: the request in all its decodings. */
export function requestEcho(request: FuzzRequest): string {
  const parts: string[] = [request.method, request.path, request.query, ...Object.values(request.headers)];
  for (const encoded of [request.path, request.query, ...request.query.split(/[&=]/)]) {
    try {
      parts.push(decodeURIComponent(encoded));
    } catch {
      // Not valid percent-encoding: only the raw form can be quoted.
    }
  }
  if (request.body !== undefined) {
    parts.push(request.body);
    try {
      collectStrings(JSON.parse(request.body), parts);
    } catch {
      // Not JSON: the raw body is all there is to quote.
    }
  }
  return parts.join('\n');
}

/** Deeply nested bodies go 32,000 levels down; only shallow strings can be quoted in a problem anyway. */
function collectStrings(value: unknown, into: string[], depth = 0): void {
  if (depth > 20) return;
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, into, depth + 1);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      collectStrings(item, into, depth + 1);
    }
  }
}
