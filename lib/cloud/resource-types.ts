/**
 * The custom resource types the certificate provider serves; the stack declares them and the provider's
 * handler dispatches on them.
 */

/** A device certificate made by AWS IoT, its key kept only in the car's secret. */
export const DEVICE_CERTIFICATE_RESOURCE_TYPE = 'Custom::DeviceCertificate';

/** The step that deletes a retained AWS IoT thing, policy or certificate once AWS IoT has let go of it. */
export const IOT_DELETION_RESOURCE_TYPE = 'Custom::IotDeletion';
