export { TestCluster, keysInPartition, type TestNode } from './test-cluster.js';
export { backupOnceFromEnv } from './backup-once.js';
export { sampleRecords, asAsync, collect } from './records.js';
export { fakeManifest, scheduleHistory } from './manifests.js';
