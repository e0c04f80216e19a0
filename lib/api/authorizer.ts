import { bearerToken, hashToken, isWellFormedToken, type TokenLookup, type TokenRecord } from './tokens';

export type AuthorizationResult =
  | { readonly authorized: true; readonly tokenName: string }
  | { readonly authorized: false; readonly reason: 'missing' | 'malformed' | 'unknown' };

export type TokenAuthorizer = (authorization: string | undefined) => Promise<AuthorizationResult>;

/**
 * Checks `Authorization: Bearer plamo_…` against the stored hashes. Malformed tokens are refused before any
 * lookup, so random strings cost no table read. Used by the Lambda authorizer and by the local twin.
 */
export function createTokenAuthorizer(lookup: TokenLookup): TokenAuthorizer {
  return async (authorization) => {
    if (!authorization) return { authorized: false, reason: 'missing' };
    const token = bearerToken(authorization);
    if (!token || !isWellFormedToken(token)) return { authorized: false, reason: 'malformed' };
    const record: TokenRecord | undefined = await lookup.findByHash(hashToken(token));
    return record ? { authorized: true, tokenName: record.name } : { authorized: false, reason: 'unknown' };
  };
}
