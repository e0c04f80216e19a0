import { type DynamoDBClient, QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { BrokerBusyError } from '../api/lamp-port';
import { type CarRecord, type CarStore, itemsPerRead, recordFromItems, type StoreItem } from '../api/car-store';

/**
 * The car store in DynamoDB, filled by the stack's topic rules (`lib/cloud/car-store.ts`). Attribute
 * names are the rules' SQL aliases; the payload is stored base64-encoded exactly as the car sent it, so a
 * payload that is not JSON is kept and shown, not dropped by the rule.
 */
export const CAR_STORE_ATTRIBUTES = {
  car: 'car',
  sortKey: 'sk',
  at: 'at',
  payload: 'payload',
  expiresAt: 'expires_at',
} as const;

/** Seconds a phone should wait after DynamoDB throttled the read; the SDK has already retried by then. */
const RETRY_AFTER_S = 1;
const BUSY_ERRORS = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

type Item = NonNullable<QueryCommandOutput['Items']>[number];

function storeItem(item: Item): StoreItem | undefined {
  const sortKey = item[CAR_STORE_ATTRIBUTES.sortKey]?.S;
  const at = Number(item[CAR_STORE_ATTRIBUTES.at]?.N);
  const payload = item[CAR_STORE_ATTRIBUTES.payload]?.S;
  if (sortKey === undefined || !Number.isFinite(at) || payload === undefined) return undefined;
  return { sortKey, at, text: Buffer.from(payload, 'base64').toString('utf8') };
}

export class DynamoCarStore implements CarStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** One Query, newest sort keys first: telemetry, status, lamps, then the latest events (see `STORE_KEYS`). */
  async readCar(carId: string, lampCount: number): Promise<CarRecord> {
    try {
      const { Items } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#car = :car',
          ExpressionAttributeNames: { '#car': CAR_STORE_ATTRIBUTES.car },
          ExpressionAttributeValues: { ':car': { S: carId } },
          ScanIndexForward: false,
          Limit: itemsPerRead(lampCount),
        }),
      );
      return recordFromItems((Items ?? []).flatMap((item) => storeItem(item) ?? []));
    } catch (error) {
      if (error instanceof Error && BUSY_ERRORS.has(error.name)) throw new BrokerBusyError(RETRY_AFTER_S, { cause: error });
      throw error;
    }
  }
}
