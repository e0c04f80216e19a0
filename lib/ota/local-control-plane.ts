import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OtaJobDocument } from '../contract';
import { UserError } from '../user-error';
import { bucketPath, type JobExecutionView, MANIFEST_PATH, type OtaControlPlane, otaObjectKey, type StreamFile } from './control-plane';
import type { CarStatus } from './update-flow';

export interface LocalControlPlaneOptions {
  /** The twin's HTTP address, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly token: string;
  /** The twin's bucket folder (`<pkiDir>/ota-bucket`). */
  readonly bucketDir: string;
}

export class TwinUnreachableError extends UserError {}

/** The running twin's control plane: files into its bucket folder, stream and job calls over its HTTP API. */
export class LocalControlPlane implements OtaControlPlane {
  constructor(private readonly options: LocalControlPlaneOptions) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    let response: Response;
    try {
      response = await fetch(`${this.options.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new TwinUnreachableError(`the local twin does not answer on ${this.options.url}: start it with \`npm start\``);
    }
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.status >= 400 && response.status !== 404) {
      const error = json.error as { message?: string } | undefined;
      throw new Error(`the twin refused ${method} ${path}: ${error?.message ?? response.status}`);
    }
    return { status: response.status, json };
  }

  async putStream(carId: string, _streamId: string, files: readonly StreamFile[]): Promise<number> {
    for (const file of files) {
      const path = bucketPath(this.options.bucketDir, file.key);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, file.content);
    }
    const { json } = await this.call('PUT', `/local/iot/things/${carId}/stream`, {
      files: files.map(({ fileId, key }) => ({ fileId, key })),
    });
    return json.version as number;
  }

  async createJob(carId: string, jobId: string, document: OtaJobDocument): Promise<void> {
    await this.call('PUT', `/local/iot/things/${carId}/jobs/${jobId}`, { document });
  }

  async describeJob(carId: string, jobId: string): Promise<JobExecutionView | undefined> {
    const { status, json } = await this.call('GET', `/local/iot/things/${carId}/jobs/${jobId}`);
    return status === 404 ? undefined : (json as unknown as JobExecutionView);
  }

  async listJobs(carId: string): Promise<readonly JobExecutionView[]> {
    const { json } = await this.call('GET', `/local/iot/things/${carId}/jobs`);
    return (json.executions as JobExecutionView[]) ?? [];
  }

  async cancelJob(carId: string, jobId: string): Promise<void> {
    await this.call('DELETE', `/local/iot/things/${carId}/jobs/${jobId}`);
  }

  async manifestOf(carId: string, version: string): Promise<Buffer | undefined> {
    const path = bucketPath(this.options.bucketDir, otaObjectKey(carId, version, MANIFEST_PATH));
    return existsSync(path) ? readFileSync(path) : undefined;
  }

  /** The twin's `cdk deploy` for one car: its policy then allows what the new config's firmware does. */
  async deployPolicy(carId: string, car: unknown): Promise<readonly string[]> {
    const { json } = await this.call('PUT', `/local/iot/things/${carId}/policy`, { car });
    return json.lamps as string[];
  }

  /** The car's retained status (GetRetainedMessage in AWS). */
  async readStatus(carId: string): Promise<CarStatus> {
    const { json } = await this.call('GET', `/local/iot/things/${carId}/status`);
    return {
      online: typeof json.online === 'boolean' ? json.online : null,
      fw: typeof json.fw === 'string' ? json.fw : null,
    };
  }
}
