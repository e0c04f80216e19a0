import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DuplicateTokenNameError } from '../../lib/api';
import { DynamoTokenStore } from '../../lib/aws/dynamo-token-store';

const dynamo = mockClient(DynamoDBClient);
const item = (hash: string, name: string) => ({ tokenHash: { S: hash }, name: { S: name }, createdAt: { S: '2026-11-25T10:00:00.000Z' } });
const store = () => new DynamoTokenStore(new DynamoDBClient({ region: 'eu-west-1' }), 'PlamoTokens');

beforeEach(() => {
  dynamo.reset();
});

describe('DynamoDB token store', () => {
  test('add puts hash, name and date with a condition against overwriting', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [] });
    dynamo.on(PutItemCommand).resolves({});
    await store().add({ tokenHash: 'h1', name: 'my-phone', createdAt: '2026-11-25T10:00:00.000Z' });
    expect(dynamo.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
      TableName: 'PlamoTokens',
      Item: item('h1', 'my-phone'),
      ConditionExpression: 'attribute_not_exists(tokenHash)',
    });
  });

  test('add refuses a name that is taken', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [item('h0', 'my-phone')] });
    await expect(store().add({ tokenHash: 'h1', name: 'my-phone', createdAt: 'x' })).rejects.toBeInstanceOf(DuplicateTokenNameError);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  test('list follows every scan page', async () => {
    dynamo
      .on(ScanCommand)
      .resolvesOnce({ Items: [item('h1', 'a')], LastEvaluatedKey: { tokenHash: { S: 'h1' } } })
      .resolvesOnce({ Items: [item('h2', 'b')] });
    expect((await store().list()).map((record) => record.name)).toEqual(['a', 'b']);
    expect(dynamo.commandCalls(ScanCommand)[1].args[0].input.ExclusiveStartKey).toEqual({ tokenHash: { S: 'h1' } });
  });

  test('removeByName deletes every item with that name by its hash', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [item('h1', 'old-phone'), item('h2', 'tablet')] });
    dynamo.on(DeleteItemCommand).resolves({});
    expect(await store().removeByName('old-phone')).toBe(1);
    expect(dynamo.commandCalls(DeleteItemCommand).map(({ args: [command] }) => command.input)).toEqual([
      { TableName: 'PlamoTokens', Key: { tokenHash: { S: 'h1' } } },
    ]);
  });

  test('findByHash reads strongly consistent and returns the expiry', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: { ...item('h1', 'my-phone'), expiresAt: { S: '2027-03-01T00:00:00.000Z' } } });
    expect(await store().findByHash('h1')).toEqual({
      tokenHash: 'h1',
      name: 'my-phone',
      createdAt: '2026-11-25T10:00:00.000Z',
      expiresAt: '2027-03-01T00:00:00.000Z',
    });
    expect(dynamo.commandCalls(GetItemCommand)[0].args[0].input).toEqual({
      TableName: 'PlamoTokens',
      Key: { tokenHash: { S: 'h1' } },
      ConsistentRead: true,
    });
  });

  test('add stores the expiry when there is one', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [] });
    dynamo.on(PutItemCommand).resolves({});
    await store().add({ tokenHash: 'h1', name: 'my-phone', createdAt: '2026-11-25T10:00:00.000Z', expiresAt: '2027-02-23T10:00:00.000Z' });
    expect(dynamo.commandCalls(PutItemCommand)[0].args[0].input.Item).toEqual({
      ...item('h1', 'my-phone'),
      expiresAt: { S: '2027-02-23T10:00:00.000Z' },
    });
  });
});
