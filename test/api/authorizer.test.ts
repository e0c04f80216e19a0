import { createTokenAuthorizer, hashToken, issueToken, MemoryTokenStore, type TokenLookup } from '../../lib/api';

async function setup() {
  const store = new MemoryTokenStore();
  const { token } = await issueToken(store, 'my-phone');
  const lookups: string[] = [];
  const counting: TokenLookup = {
    findByHash: async (hash) => {
      lookups.push(hash);
      return store.findByHash(hash);
    },
  };
  return { store, token, lookups, authorize: createTokenAuthorizer(counting) };
}

describe('token authorizer core', () => {
  test('a valid token is authorized with its name', async () => {
    const { token, authorize } = await setup();
    expect(await authorize(`Bearer ${token}`)).toEqual({ authorized: true, tokenName: 'my-phone' });
  });

  test('a revoked token is refused as unknown', async () => {
    const { store, token, authorize } = await setup();
    await store.removeByName('my-phone');
    expect(await authorize(`Bearer ${token}`)).toEqual({ authorized: false, reason: 'unknown' });
  });

  test('a malformed token is refused without a lookup', async () => {
    const { authorize, lookups } = await setup();
    expect(await authorize('Bearer plamo_short')).toEqual({ authorized: false, reason: 'malformed' });
    expect(await authorize('Basic dXNlcjpwYXNz')).toEqual({ authorized: false, reason: 'malformed' });
    expect(lookups).toEqual([]);
  });

  test('a missing header is refused as missing', async () => {
    const { authorize } = await setup();
    expect(await authorize(undefined)).toEqual({ authorized: false, reason: 'missing' });
    expect(await authorize('')).toEqual({ authorized: false, reason: 'missing' });
  });

  test('the lookup is by the SHA-256 of the token', async () => {
    const { token, authorize, lookups } = await setup();
    await authorize(`Bearer ${token}`);
    expect(lookups).toEqual([hashToken(token)]);
  });

  test('a token is accepted until its expiry and refused as expired from then on', async () => {
    const store = new MemoryTokenStore();
    const { token, record } = await issueToken(store, 'my-phone', new Date('2026-12-01T00:00:00.000Z'), 90 * 86_400_000);
    expect(record.expiresAt).toBe('2027-03-01T00:00:00.000Z');
    let now = Date.parse('2027-02-28T23:59:59.999Z');
    const authorize = createTokenAuthorizer(store, () => now);
    expect(await authorize(`Bearer ${token}`)).toEqual({ authorized: true, tokenName: 'my-phone' });
    now = Date.parse('2027-03-01T00:00:00.000Z');
    expect(await authorize(`Bearer ${token}`)).toEqual({ authorized: false, reason: 'expired' });
  });

  test('a token without an expiry never expires', async () => {
    const store = new MemoryTokenStore();
    const { token } = await issueToken(store, 'my-phone', new Date('2026-12-01T00:00:00.000Z'));
    const authorize = createTokenAuthorizer(store, () => Date.parse('2126-01-01T00:00:00.000Z'));
    expect((await authorize(`Bearer ${token}`)).authorized).toBe(true);
  });
});
