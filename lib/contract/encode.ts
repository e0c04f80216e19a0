import { LIMITS } from './topics';

/** The status a device leaves as its last will: the broker publishes it, retained, when the link dies. */
export const STATUS_OFFLINE = { online: false } as const;

/** Serialises a payload and refuses one over the contract's size limit instead of letting the device drop it. */
export function encodePayload(payload: object): string {
  const json = JSON.stringify(payload);
  const size = Buffer.byteLength(json);
  if (size > LIMITS.payloadMaxBytes) throw new Error(`payload is ${size} bytes; the MQTT contract allows ${LIMITS.payloadMaxBytes}`);
  return json;
}
