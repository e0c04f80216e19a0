import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { hashToken } from '../../lib/api';
import { runCli } from '../../lib/cli';
import { STACK_NAME } from '../../lib/cloud/app';

const cloudFormation = mockClient(CloudFormationClient);
const dynamo = mockClient(DynamoDBClient);
const API_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
let out: string[] = [];
let err: string[] = [];

const item = (hash: string, name: string, createdAt: string) => ({
  tokenHash: { S: hash },
  name: { S: name },
  createdAt: { S: createdAt },
});

async function plamo(...args: string[]) {
  const code = await runCli(['token', ...args]);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

beforeEach(() => {
  cloudFormation.reset();
  dynamo.reset();
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK_NAME }).resolves({
    Stacks: [
      {
        StackName: STACK_NAME,
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: 'ApiUrl', OutputValue: API_URL },
          { OutputKey: 'TokenTableName', OutputValue: 'PlamoIot-TokenTable' },
        ],
      },
    ],
  });
  dynamo.on(ScanCommand).resolves({ Items: [] });
  dynamo.on(PutItemCommand).resolves({});
  out = [];
  err = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  jest.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
});
afterEach(() => jest.restoreAllMocks());

describe('plamo token create', () => {
  test("prints a plamo_ token once and stores only its hash, name and date in the stack's table", async () => {
    const { code, stdout } = await plamo('create', 'my-phone');
    expect(code).toBe(0);
    const token = /plamo_[A-Za-z0-9_-]{43}/.exec(stdout)?.[0] ?? '';
    const put = dynamo.commandCalls(PutItemCommand)[0].args[0].input;
    expect(put.TableName).toBe('PlamoIot-TokenTable');
    expect(put.Item).toEqual({ tokenHash: { S: hashToken(token) }, name: { S: 'my-phone' }, createdAt: { S: expect.any(String) } });
    expect(JSON.stringify(put)).not.toContain(token);
  });

  test('prints the phone link with the token in the fragment and a terminal QR code', async () => {
    const { stdout } = await plamo('create', 'my-phone');
    expect(stdout).toMatch(new RegExp(`${API_URL}/#token=plamo_[A-Za-z0-9_-]{43}`));
    expect(stdout).toMatch(/[▀▄█]{10}/);
  });

  test('refuses a name that is taken, storing nothing', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [item('h1', 'my-phone', '2026-11-01T00:00:00.000Z')] });
    const { code, stderr } = await plamo('create', 'my-phone');
    expect(code).toBe(1);
    expect(stderr).toMatch(/a token named 'my-phone' exists already/);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  test('--expires 90d stores an expiry 90 days on and says so', async () => {
    const before = Date.now();
    const { code, stdout } = await plamo('create', 'my-phone', '--expires', '90d');
    expect(code).toBe(0);
    const put = dynamo.commandCalls(PutItemCommand)[0].args[0].input;
    const expiresAt = put.Item?.expiresAt?.S ?? '';
    const lifetime = Date.parse(expiresAt) - Date.parse(put.Item?.createdAt?.S ?? '');
    expect(lifetime).toBe(90 * 86_400_000);
    expect(Date.parse(expiresAt)).toBeGreaterThanOrEqual(before + 90 * 86_400_000);
    expect(stdout).toContain(`valid until ${expiresAt}`);
  });

  test('an --expires that is not days or hours is refused before any AWS call', async () => {
    const { code, stderr } = await plamo('create', 'my-phone', '--expires', '3w');
    expect(code).toBe(1);
    expect(stderr).toMatch(/--expires '3w': give days or hours, like 90d or 12h/);
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  test('refuses a name with spaces or slashes', async () => {
    const { code, stderr } = await plamo('create', 'my phone/1');
    expect(code).toBe(1);
    expect(stderr).toMatch(/not a usable token name/);
    expect(cloudFormation.calls()).toHaveLength(0);
  });
});

describe('plamo token list', () => {
  test('shows names and dates, oldest first, and never a hash', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: [item('hash-b', 'tablet', '2026-11-20T00:00:00.000Z'), item('hash-a', 'my-phone', '2026-11-01T00:00:00.000Z')],
    });
    const { code, stdout } = await plamo('list');
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(2)).toEqual(['my-phone  2026-11-01T00:00:00.000Z  never', 'tablet    2026-11-20T00:00:00.000Z  never']);
    expect(stdout).not.toContain('hash-');
  });

  test('shows when each token expires, and which have expired', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: [
        { ...item('hash-a', 'old-phone', '2020-01-01T00:00:00.000Z'), expiresAt: { S: '2020-03-31T00:00:00.000Z' } },
        { ...item('hash-b', 'tablet', '2026-11-20T00:00:00.000Z'), expiresAt: { S: '2126-02-18T00:00:00.000Z' } },
      ],
    });
    const { stdout } = await plamo('list');
    expect(stdout).toMatch(/old-phone +2020-01-01T00:00:00\.000Z +expired 2020-03-31T00:00:00\.000Z/);
    expect(stdout).toMatch(/tablet +2026-11-20T00:00:00\.000Z +2126-02-18T00:00:00\.000Z/);
  });

  test('says how to make the first token when there is none', async () => {
    expect((await plamo('list')).stdout).toMatch(/no tokens yet; make one with: npx plamo token create <name>/);
  });
});

describe('plamo token revoke', () => {
  test('deletes the named token by its hash and warns about the authorizer cache', async () => {
    dynamo.on(ScanCommand).resolves({ Items: [item('hash-a', 'my-phone', '2026-11-01T00:00:00.000Z'), item('hash-b', 'tablet', 'x')] });
    dynamo.on(DeleteItemCommand).resolves({});
    const { code, stdout } = await plamo('revoke', 'my-phone');
    expect(code).toBe(0);
    expect(dynamo.commandCalls(DeleteItemCommand).map(({ args: [command] }) => command.input.Key)).toEqual([
      { tokenHash: { S: 'hash-a' } },
    ]);
    expect(stdout).toMatch(/revoked.*up to 300 s/);
  });

  test('an unknown name is an error that points at the list', async () => {
    const { code, stderr } = await plamo('revoke', 'nobody');
    expect(code).toBe(1);
    expect(stderr).toMatch(/no token named 'nobody'; see: npx plamo token list/);
  });
});

describe('plamo token without a deployed stack or credentials', () => {
  test('a stack that is not deployed says to deploy', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error(`Stack with id ${STACK_NAME} does not exist`), { name: 'ValidationError' }));
    const { code, stderr } = await plamo('list');
    expect(code).toBe(1);
    expect(stderr).toMatch(/stack PlamoIot is not deployed in this account and region; run: npx cdk deploy/);
  });

  test('missing credentials say how to sign in', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }));
    const { stderr } = await plamo('create', 'my-phone');
    expect(stderr).toMatch(/no AWS credentials found while reading stack PlamoIot; sign in/);
  });

  test('a stack without the API outputs says to deploy again', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .resolves({ Stacks: [{ StackName: STACK_NAME, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [] }] });
    expect((await plamo('list')).stderr).toMatch(/has no lamp API outputs \(ApiUrl, TokenTableName\); run: npx cdk deploy/);
  });

  test("a refused DynamoDB call keeps AWS's reason", async () => {
    dynamo
      .on(ScanCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: dynamodb:Scan'), { name: 'AccessDeniedException' }));
    expect((await plamo('list')).stderr).toMatch(/AWS refused listing tokens: User is not authorized to perform: dynamodb:Scan/);
  });
});
