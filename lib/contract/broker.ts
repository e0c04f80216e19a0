/**
 * AWS IoT Core's MQTT over TLS port (mutual TLS with the device certificate). Cars connect to it, and the
 * local twin's broker listens on it too unless told otherwise.
 */
export const MQTT_TLS_PORT = 8883;
