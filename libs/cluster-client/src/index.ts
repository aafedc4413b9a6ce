export type {
  DataNodeAddress,
  DataNodeApi,
  PartitionDigest,
  PartitionSummary,
  PutOutcome,
  RequestOptions,
  StreamInResult,
  StreamOutOptions,
} from './data-node-api.js';
export {
  DataNodeClient,
  type BatchGuard,
  type DataNodeClientOptions,
  type StreamOutExtras,
} from './data-node-client.js';
export { ClusterMap, type ClusterMapOptions } from './cluster-map.js';
export { BatchCoalescer, type CoalescerOptions, type SendBatch } from './batch-coalescer.js';
export { BatchChannel, type BatchChannelOptions } from './batch-channel.js';
export {
  CHANNEL_PROTOCOL,
  ChannelFrameKind,
  ChannelFrameReader,
  encodeChannelFrame,
  readChannelFrames,
  type ChannelFrame,
} from './channel-frames.js';
export {
  FRAME_HEADER_BYTES,
  MAX_FRAME_BYTES,
  FrameDecoder,
  FrameKind,
  encodeFrame,
  readFrames,
  recordFrameChunks,
  batchedStreamBody,
  RecordFrameBatcher,
  type RecordFrameBatch,
  type Frame,
  type StreamEndSummary,
} from './frames.js';
export { LengthPrefixedSplitter } from './length-prefixed.js';
export {
  INTERNAL_PREFIX,
  MSGPACK_CONTENT_TYPE,
  FRAMES_CONTENT_TYPE,
  MAX_BATCH_BODY_BYTES,
  MAX_BATCH_OPS,
  internalPaths,
  type BatchOp,
  type BatchRequest,
  type BatchResponse,
  type BatchResult,
  type ScrubRequest,
  type TestCorruptRequest,
  type TestDiskFaultRequest,
  type WireError,
} from './internal-protocol.js';
export { fromHttpStatus, fromTransportError, fromWireError } from './transport-errors.js';
