export {
  DataNodeCluster,
  keysInPartition,
  waitFor,
  type DataNodeClusterOptions,
  type TestDataNode,
} from './data-node-cluster.js';
