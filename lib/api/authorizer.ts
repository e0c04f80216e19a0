import { bearerToken, hashToken, isExpired, isWellFormedToken, type TokenLookup, type TokenRecord } from './tokens';

export type AuthorizationResult =
  | { readonly authorized: true; readonly tokenName: string }
  | { readonly authorized: false; readonly reason: 'missing' | 'malformed' | 'unknown' | 'expired' };

export type TokenAuthorizer = (authorization: string | undefined) => Promise<AuthorizationResult>;

/**
 * Checks `Authorization: Bearer plamo_…` against the stored hashes. Malformed tokens are refused before any
 * lookup, so random strings cost no table read; a token past its `expiresAt` is refused. Used by the Lambda
 * authorizer and by the local twin.
 */
export function createTokenAuthorizer(lookup: TokenLookup, now: () => number = Date.now): TokenAuthorizer {
  return async (authorization) => {
    if (!authorization) return { authorized: false, reason: 'missing' };
    const token = bearerToken(authorization);
    if (!token || !isWellFormedToken(token)) return { authorized: false, reason: 'malformed' };
    const record: TokenRecord | undefined = await lookup.findByHash(hashToken(token));
    if (!record) return { authorized: false, reason: 'unknown' };
    if (isExpired(record, now())) return { authorized: false, reason: 'expired' };
    return { authorized: true, tokenName: record.name };
  };
}
