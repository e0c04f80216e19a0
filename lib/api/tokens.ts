import { createHash, randomBytes } from 'node:crypto';
import { UserError } from '../user-error';

/** Tokens look like `plamo_<base64url>`; the prefix makes a leaked one easy to spot and to grep for. */
export const TOKEN_PREFIX = 'plamo_';
/** 256 bits of randomness, as OWASP suggests for session-like secrets. */
export const TOKEN_RANDOM_BYTES = 32;
const TOKEN_PATTERN = new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{${Math.ceil((TOKEN_RANDOM_BYTES * 4) / 3)},128}$`);

/** A fresh token; it is shown once and only its hash is stored. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_RANDOM_BYTES).toString('base64url');
}

/** Whether text has the shape of a token, checked before any lookup so garbage never reaches the table. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** SHA-256 hex: tokens are long random strings, so a fast unsalted hash is enough (no dictionary to attack). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token in `Authorization: Bearer <token>` (RFC 6750 section 2.1; the scheme is case-insensitive). */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

/** The token table's partition key attribute. */
export const TOKEN_TABLE_KEY = 'tokenHash';

/** What is stored per token: never the token itself. */
export interface TokenRecord {
  readonly tokenHash: string;
  /** Who holds it, e.g. `my-phone`; unique. */
  readonly name: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601; from then on the authorizer refuses the token. @default - never expires */
  readonly expiresAt?: string;
}

/** Whether a token's record has expired at `now` (epoch ms). */
export function isExpired(record: TokenRecord, now: number): boolean {
  return record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000 };

/** `90d` or `12h` as milliseconds; undefined for anything else. */
export function parseTokenLifetime(text: string): number | undefined {
  const match = /^([1-9]\d{0,4})([dh])$/.exec(text.trim());
  return match ? Number(match[1]) * DURATION_UNITS_MS[match[2]] : undefined;
}

/** What the authorizer needs: one lookup by hash. */
export interface TokenLookup {
  findByHash(tokenHash: string): Promise<TokenRecord | undefined>;
}

/** What `plamo token` needs besides the lookup. */
export interface TokenStore extends TokenLookup {
  /** Adds a record; throws `DuplicateTokenNameError` when the name is taken. */
  add(record: TokenRecord): Promise<void>;
  list(): Promise<TokenRecord[]>;
  /** Deletes every token of that name; resolves to how many there were. */
  removeByName(name: string): Promise<number>;
}

export class DuplicateTokenNameError extends UserError {
  constructor(readonly tokenName: string) {
    super(`a token named '${tokenName}' exists already; revoke it first or pick another name`);
  }
}

/** Token names are shown in lists and logs; keep them short and plain. */
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A token store in memory, for the local twin and tests. */
export class MemoryTokenStore implements TokenStore {
  private readonly records = new Map<string, TokenRecord>();

  async findByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    return this.records.get(tokenHash);
  }

  async add(record: TokenRecord): Promise<void> {
    if ([...this.records.values()].some((existing) => existing.name === record.name)) throw new DuplicateTokenNameError(record.name);
    this.records.set(record.tokenHash, record);
  }

  async list(): Promise<TokenRecord[]> {
    return [...this.records.values()];
  }

  async removeByName(name: string): Promise<number> {
    const hashes = [...this.records.values()].filter((record) => record.name === name).map((record) => record.tokenHash);
    for (const hash of hashes) this.records.delete(hash);
    return hashes.length;
  }
}

/**
 * Creates a token, stores its hash under `name`, and returns the token: the only time it exists in clear.
 * With `lifetimeMs` it expires that long after `now`.
 */
export async function issueToken(
  store: TokenStore,
  name: string,
  now: Date = new Date(),
  lifetimeMs?: number,
): Promise<{ token: string; record: TokenRecord }> {
  const token = generateToken();
  const expiresAt = lifetimeMs === undefined ? undefined : new Date(now.getTime() + lifetimeMs).toISOString();
  const record: TokenRecord = { tokenHash: hashToken(token), name, createdAt: now.toISOString(), ...(expiresAt && { expiresAt }) };
  await store.add(record);
  return { token, record };
}
