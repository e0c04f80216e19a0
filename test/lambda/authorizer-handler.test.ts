import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { generateToken, hashToken } from '../../lib/api';
import { authorizerEvent } from './events';

const dynamo = mockClient(DynamoDBClient);
const token = generateToken();
let logged: string[] = [];

process.env.TOKEN_TABLE_NAME = 'PlamoTokens';

async function authorize(authorization?: string) {
  const { handler } = await import('../../lambda/authorizer');
  return handler(authorizerEvent(authorization));
}

beforeEach(() => {
  dynamo.reset();
  dynamo.on(GetItemCommand).resolves({});
  dynamo
    .on(GetItemCommand, { TableName: 'PlamoTokens', Key: { tokenHash: { S: hashToken(token) } } })
    .resolves({ Item: { tokenHash: { S: hashToken(token) }, name: { S: 'my-phone' }, createdAt: { S: '2026-11-25T10:00:00.000Z' } } });
  logged = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => {
    logged.push(line);
  });
});
afterEach(() => jest.restoreAllMocks());

describe('authorizer Lambda', () => {
  test('a valid token is authorized and its name passed on to the API', async () => {
    expect(await authorize(`Bearer ${token}`)).toEqual({ isAuthorized: true, context: { tokenName: 'my-phone' } });
  });

  test('the lookup is one GetItem by the token hash in the configured table', async () => {
    await authorize(`Bearer ${token}`);
    const calls = dynamo.commandCalls(GetItemCommand);
    expect(calls.map(({ args: [command] }) => command.input)).toEqual([
      // Strongly consistent, so a token made a moment ago is found (and the refusal never cached).
      { TableName: 'PlamoTokens', Key: { tokenHash: { S: hashToken(token) } }, ConsistentRead: true },
    ]);
  });

  test('a revoked (no longer stored) token is refused', async () => {
    expect((await authorize(`Bearer ${generateToken()}`)).isAuthorized).toBe(false);
  });

  test('a malformed token is refused without reading the table', async () => {
    expect((await authorize('Bearer not-a-token')).isAuthorized).toBe(false);
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  test('a missing header is refused without reading the table', async () => {
    expect((await authorize(undefined)).isAuthorized).toBe(false);
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  test('decisions are logged with the reason or the name, never the token', async () => {
    await authorize(`Bearer ${token}`);
    await authorize('Bearer plamo_short');
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'INFO', tokenName: 'my-phone' }),
      expect.objectContaining({ level: 'WARN', reason: 'malformed' }),
    ]);
    expect(logged.join('')).not.toContain(token);
    expect(logged.join('')).not.toContain('plamo_short');
  });
});
