import { createHash } from 'node:crypto';
import {
  bearerToken,
  DuplicateTokenNameError,
  generateToken,
  hashToken,
  isWellFormedToken,
  issueToken,
  MemoryTokenStore,
  parseTokenLifetime,
  TOKEN_PREFIX,
} from '../../lib/api';

describe('tokens', () => {
  test('a token is plamo_ followed by base64url of 32 random bytes', () => {
    const token = generateToken();
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(token).toMatch(/^plamo_[A-Za-z0-9_-]+$/);
  });

  test('two tokens differ', () => {
    expect(generateToken()).not.toBe(generateToken());
  });

  test('the hash is the SHA-256 hex of the whole token', () => {
    const token = generateToken();
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
  });

  test('a generated token is well formed; a short, prefixless or odd one is not', () => {
    expect(isWellFormedToken(generateToken())).toBe(true);
    expect(isWellFormedToken('plamo_abc')).toBe(false);
    expect(isWellFormedToken(generateToken().slice(TOKEN_PREFIX.length))).toBe(false);
    expect(isWellFormedToken(`${generateToken()}!`)).toBe(false);
  });

  test('the bearer token is read from the header with any case of the scheme', () => {
    expect(bearerToken('Bearer plamo_x')).toBe('plamo_x');
    expect(bearerToken('bearer plamo_x')).toBe('plamo_x');
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('memory token store', () => {
  test('issuing stores the hash and name, never the token', async () => {
    const store = new MemoryTokenStore();
    const { token, record } = await issueToken(store, 'my-phone', new Date('2026-11-25T10:00:00Z'));
    expect(record).toEqual({ tokenHash: hashToken(token), name: 'my-phone', createdAt: '2026-11-25T10:00:00.000Z' });
    expect(JSON.stringify(await store.list())).not.toContain(token);
    expect(await store.findByHash(hashToken(token))).toEqual(record);
  });

  test('a second token with a taken name is refused', async () => {
    const store = new MemoryTokenStore();
    await issueToken(store, 'my-phone');
    await expect(issueToken(store, 'my-phone')).rejects.toBeInstanceOf(DuplicateTokenNameError);
  });

  test('revoking by name removes the token and says how many went', async () => {
    const store = new MemoryTokenStore();
    const { token } = await issueToken(store, 'my-phone');
    expect(await store.removeByName('my-phone')).toBe(1);
    expect(await store.findByHash(hashToken(token))).toBeUndefined();
    expect(await store.removeByName('my-phone')).toBe(0);
  });
});

describe('token lifetimes', () => {
  test.each([
    ['90d', 90 * 86_400_000],
    ['1d', 86_400_000],
    ['12h', 12 * 3_600_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseTokenLifetime(text)).toBe(ms);
  });

  test.each(['', '0d', '90', 'd', '3w', '1.5d', '-1d', '999999d'])('%s is not a lifetime', (text) => {
    expect(parseTokenLifetime(text)).toBeUndefined();
  });
});
