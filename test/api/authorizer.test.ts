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
});
