export { buildLocalDeviceBundle, certificateFiles, DEVICE_CERT_FILES, deviceBundle } from './bundle';
export { DeviceBundleError } from './errors';
export { copyCertsSteps, flashSteps } from './flash-steps';
export { awsDeviceConnection, type DeviceConnection, localDeviceConnection } from './connection';
export { type BundleKind, defaultOutDir, type MadeBundle, type MakeBundleRequest, makeBundle } from './make';
export { carWiring, wiringMarkdown, wiringTableCells } from './wiring';
export { type Bundle, type BundleFile, writeBundle } from './write-bundle';
