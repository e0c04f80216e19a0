import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { DuplicateTokenNameError, TOKEN_TABLE_KEY, type TokenRecord, type TokenStore } from '../api/tokens';

type Item = NonNullable<ScanCommandOutput['Items']>[number];

function toRecord(item: Item): TokenRecord | undefined {
  const tokenHash = item.tokenHash?.S;
  const name = item.name?.S;
  const createdAt = item.createdAt?.S;
  const expiresAt = item.expiresAt?.S;
  if (!tokenHash || !name || !createdAt) return undefined;
  return expiresAt ? { tokenHash, name, createdAt, expiresAt } : { tokenHash, name, createdAt };
}

/**
 * Tokens in DynamoDB, one item per token keyed by its SHA-256. The authorizer only ever calls
 * `findByHash` (GetItem; its role allows nothing else); `plamo token` uses the rest.
 * Name lookups scan: a table holds a handful of phones, not thousands.
 */
export class DynamoTokenStore implements TokenStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async findByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    // Strongly consistent: a token used right after `plamo token create` must be found, or API Gateway would
    // cache the refusal for the authorizer's TTL (DynamoDB reads are eventually consistent by default).
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [TOKEN_TABLE_KEY]: { S: tokenHash } }, ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  async add(record: TokenRecord): Promise<void> {
    if ((await this.list()).some((existing) => existing.name === record.name)) throw new DuplicateTokenNameError(record.name);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            tokenHash: { S: record.tokenHash },
            name: { S: record.name },
            createdAt: { S: record.createdAt },
            ...(record.expiresAt && { expiresAt: { S: record.expiresAt } }),
          },
          ConditionExpression: 'attribute_not_exists(tokenHash)',
        }),
      );
    } catch (error) {
      // Two 256-bit random tokens never collide; a failed condition means the same record was written twice.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async list(): Promise<TokenRecord[]> {
    const records: TokenRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.tableName, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const record = toRecord(item);
        if (record) records.push(record);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return records;
  }

  async removeByName(name: string): Promise<number> {
    const matching = (await this.list()).filter((record) => record.name === name);
    for (const record of matching) {
      await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { [TOKEN_TABLE_KEY]: { S: record.tokenHash } } }));
    }
    return matching.length;
  }
}
