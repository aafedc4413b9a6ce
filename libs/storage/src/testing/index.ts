/**
 * Test support of @redoubt/storage (`@redoubt/storage/testing`), kept out of the production entry
 * point: file layers that fail on demand or lose power, and the power-loss harness.
 */
export {
  FaultyFileSystem,
  type DiskFault,
  type DiskFaultCode,
  type DiskFaultOp,
} from './faulty-file-system.js';
export { SimulatedDisk } from './simulated-disk.js';
export {
  runPowerLossTrials,
  PowerLossViolation,
  type PowerLossOptions,
  type PowerLossReport,
} from './power-loss.js';
