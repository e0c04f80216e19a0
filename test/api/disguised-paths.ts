import fc from 'fast-check';

/**
 * Spellings of the API's paths an attacker would try on a token check that reads the path differently
 * from the router: percent-encoded letters (either case of hex, sometimes twice), doubled slashes, dot
 * segments, other letter case, a query string.
 */
const ROUTES = [
  ['api', 'cars'],
  ['api', 'cars', 'rps13'],
  ['api', 'cars', 'rps13', 'lamps', 'headlights'],
  ['api', 'cars', 'rps13', 'lamps', 'hazard'],
  ['api', 'cars', 'rps13', 'lamps'],
  ['api', 'cars', 'rps13', 'scenes', 'parked'],
  ['api', 'cars', 'ae86-trueno', 'lamps', 'foglamps'],
];

const hex = (char: string, upper: boolean) => {
  const code = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${upper ? code.toUpperCase() : code}`;
};

/** A segment as sent: as it is, some letters as %xx, one letter encoded twice (%25xx), or in upper case. */
const spelledSegment = (segment: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(segment) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          ...[...segment].map((char) =>
            fc.oneof(
              fc.constant(char),
              fc.boolean().map((upper) => hex(char, upper)),
            ),
          ),
        )
        .map((chars) => chars.join('')),
    },
    {
      weight: 1,
      arbitrary: fc.nat(segment.length - 1).map((i) => `${segment.slice(0, i)}%25${hex(segment[i], true).slice(1)}${segment.slice(i + 1)}`),
    },
    { weight: 1, arbitrary: fc.constant(segment.toUpperCase()) },
  );

/** What may stand between two segments: a slash, or a slash with padding that a lenient router would remove. */
const separator = fc.oneof(
  { weight: 12, arbitrary: fc.constant('/') },
  { weight: 1, arbitrary: fc.constantFrom('//', '/./', '/x/../', '/%2e/', '/%2E%2E/', '%2F', '%2f', '/;/', '\\') },
);

/** A request target as a client would send it (still percent-encoded), e.g. `/%61pi//cars/rps13?x`. */
export const disguisedTarget = fc
  .tuple(fc.constantFrom(...ROUTES), fc.array(separator, { minLength: 6, maxLength: 6 }), fc.constantFrom('', '/', '?x=1', '#', '%3F'))
  .chain(([segments, separators, tail]) =>
    fc.tuple(...segments.map(spelledSegment)).map((spelled) => spelled.map((segment, i) => `${separators[i]}${segment}`).join('') + tail),
  );

export const stateChangingOrReadingMethod = fc.constantFrom('GET', 'PUT', 'PATCH', 'POST', 'HEAD', 'DELETE', 'get', 'put', 'post');

/** Bodies that would switch lamps if they reached a handler. */
export const lampBody = fc.constantFrom(
  undefined,
  '{"mode":"on"}',
  '{"mode":"blink","brightness":50}',
  '{"headlights":"on","hazard":"blink"}',
  '{}',
  'mode=on',
);

/** Anything but a valid token: nothing, junk, a well-formed but unknown token, other schemes. */
export const invalidAuthorization = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc.constant(`Bearer plamo_${'A'.repeat(43)}`),
  fc.constant('Basic YWRtaW46YWRtaW4='),
  fc.string({ maxLength: 40 }).map((junk) => `Bearer ${junk}`),
);
