import { type CloudFormationClient, DescribeStacksCommand, type DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import { AwsAccessError, explainAwsError } from './errors';

/** A deployed stack's status and its outputs by key. */
export interface DeployedStack {
  readonly status: string;
  readonly outputs: ReadonlyMap<string, string>;
}

/** Reads the stack's outputs; a stack that is not there is an error that says to deploy it. */
export async function readStackOutputs(cloudFormation: CloudFormationClient, stackName: string): Promise<DeployedStack> {
  const notDeployed = () => new AwsAccessError(`stack ${stackName} is not deployed in this account and region; run: npx cdk deploy`);
  let stacks: DescribeStacksCommandOutput['Stacks'];
  try {
    ({ Stacks: stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })));
  } catch (error) {
    const { name, message } = error as { name?: string; message?: string };
    // CloudFormation answers a stack it does not know with a ValidationError, not a ResourceNotFoundException.
    if (name === 'ValidationError' && /does not exist/.test(message ?? '')) throw notDeployed();
    throw explainAwsError(error, `reading stack ${stackName}`);
  }
  const stack = stacks?.[0];
  if (!stack) throw notDeployed();
  const outputs = new Map((stack.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
  return { status: stack.StackStatus ?? 'UNKNOWN', outputs };
}
