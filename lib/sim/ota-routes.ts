import { existsSync, readFileSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { badRequest, jsonResponse, notFound, type Route, shorten } from '../api';
import { ConfigError, type PlamoConfig, parseConfig } from '../config';
import { carTopics, type OtaJobDocument, otaStreamId } from '../contract';
import type { IotJobsEmulator, JobExecution } from './aws-iot/jobs';

/**
 * The twin's stand-in for the AWS IoT control plane `plamo ota --local` uses, behind the twin's token:
 * CreateStream/UpdateStream over files in a local bucket folder (as AWS's stream reads S3 objects),
 * CreateJob for one car, DescribeJobExecution, ListJobExecutionsForThing and CancelJob. Bodies stay small:
 * the files themselves go to the bucket folder, as they go to S3 in AWS.
 */

function parseBody(text: string | undefined): Record<string, unknown> {
  try {
    const value = JSON.parse(text ?? '');
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  } catch {
    // falls through to the 400
  }
  throw badRequest('body: a JSON object is expected');
}

function view(execution: JobExecution) {
  const { jobId, status, statusDetails, queuedAt, lastUpdatedAt } = execution;
  return { jobId, status, statusDetails, queuedAt, lastUpdatedAt };
}

/** The broker's retained message of a topic, as AWS IoT's GetRetainedMessage gives it. */
export type ReadRetained = (topic: string) => { readonly payload: Buffer } | undefined;

export interface OtaControlParts {
  readonly jobs: IotJobsEmulator;
  /** The twin's bucket folder. */
  readonly bucketDir: string;
  readonly retained: ReadRetained;
  /** Judges connections by the policies of this config from now on (the twin's `cdk deploy`). */
  readonly deployPolicies: (config: PlamoConfig) => void;
}

export function otaControlRoutes(startConfig: PlamoConfig, parts: OtaControlParts): Route[] {
  const { jobs, bucketDir, retained } = parts;
  let config = startConfig;
  const bucket = resolve(bucketDir);
  const carOf = (params: Readonly<Record<string, string>>) => {
    if (!Object.hasOwn(config.cars, params.car)) throw notFound(`car: no car '${shorten(params.car)}' in the config`);
    return params.car;
  };
  const readObject = (car: string, key: unknown): Buffer => {
    if (typeof key !== 'string' || !key.startsWith(`ota/${car}/`)) throw badRequest(`files: each key must be under ota/${car}/`);
    const path = resolve(bucket, key);
    if (!path.startsWith(bucket + sep) || !existsSync(path)) throw badRequest(`files: no object '${shorten(key)}' in the bucket`);
    return readFileSync(path);
  };
  return [
    {
      // GetRetainedMessage of the car's status: how `plamo ota` sees the car come back with its new version.
      method: 'GET',
      path: '/local/iot/things/{car}/status',
      handle: async (_request, params) => {
        const message = retained(carTopics(config.topicRoot, carOf(params)).status);
        return jsonResponse(200, message ? JSON.parse(message.payload.toString('utf8')) : {});
      },
    },
    {
      // The twin's `cdk deploy` for one car: its policy follows the car's config as `plamo ota` read it,
      // before the car gets firmware that subscribes to a new lamp (the cloud policy first, then the car).
      method: 'PUT',
      path: '/local/iot/things/{car}/policy',
      handle: async (request, params) => {
        const car = carOf(params);
        let next: PlamoConfig;
        try {
          next = parseConfig({ ...config, cars: { ...config.cars, [car]: parseBody(request.body).car } });
        } catch (error) {
          throw badRequest(`car: ${error instanceof ConfigError ? error.message : 'not a car config'}`);
        }
        config = next;
        parts.deployPolicies(config);
        return jsonResponse(200, { lamps: Object.keys(config.cars[car].lamps) });
      },
    },
    {
      method: 'PUT',
      path: '/local/iot/things/{car}/stream',
      handle: async (request, params) => {
        const car = carOf(params);
        const files = parseBody(request.body).files;
        if (!Array.isArray(files) || files.length === 0) throw badRequest('files: a list of {fileId, key} is expected');
        const contents = new Map<number, Buffer>();
        for (const file of files as { fileId?: unknown; key?: unknown }[]) {
          if (typeof file.fileId !== 'number' || !Number.isInteger(file.fileId) || file.fileId < 0 || file.fileId > 255)
            throw badRequest('files: each fileId must be an integer 0–255');
          contents.set(file.fileId, readObject(car, file.key));
        }
        return jsonResponse(200, { streamId: otaStreamId(car), version: jobs.putStream(otaStreamId(car), contents).version });
      },
    },
    {
      method: 'PUT',
      path: '/local/iot/things/{car}/jobs/{job}',
      handle: async (request, params) => {
        const car = carOf(params);
        const document = parseBody(request.body).document as OtaJobDocument | undefined;
        if (typeof document !== 'object' || document === null) throw badRequest('document: the job document is expected');
        try {
          return jsonResponse(201, view(jobs.createJob(car, params.job, document)));
        } catch (error) {
          throw badRequest(`job: ${(error as Error).message}`);
        }
      },
    },
    {
      method: 'GET',
      path: '/local/iot/things/{car}/jobs/{job}',
      handle: async (_request, params) => {
        const execution = jobs.describe(carOf(params), params.job);
        if (!execution) throw notFound(`job: no job '${shorten(params.job)}' for this car`);
        return jsonResponse(200, view(execution));
      },
    },
    {
      method: 'GET',
      path: '/local/iot/things/{car}/jobs',
      handle: async (_request, params) => jsonResponse(200, { executions: jobs.list(carOf(params)).map(view) }),
    },
    {
      method: 'DELETE',
      path: '/local/iot/things/{car}/jobs/{job}',
      handle: async (_request, params) => {
        jobs.cancelJob(carOf(params), params.job);
        return jsonResponse(200, {});
      },
    },
  ];
}
