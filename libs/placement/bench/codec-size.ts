import { build, fromBinary, fromJSON, toBinary, toJSON } from '../src/index.js';

export interface CodecRow {
  case: string;
  binaryBytes: number;
  jsonBytes: number;
  /** A dense P x T float64 matrix, for scale. */
  denseFloatBytes: number;
  roundTripMs: number;
}

export function measureCodec(): CodecRow[] {
  const cases = [
    { name: 'backup: 1,000,000 x 5', partitions: 1_000_000, servers: 5 },
    { name: 'data: 4096 x 64', partitions: 4096, servers: 64 },
  ];
  return cases.map(({ name, partitions, servers }) => {
    const list = Array.from({ length: servers }, (_, i) => ({
      id: `node-${i}`,
      zone: `zone-${i}`,
      weight: 1,
    }));
    const m = build(list, { partitions, replicas: 3 });
    const start = performance.now();
    const binary = toBinary(m);
    fromBinary(binary);
    const json = JSON.stringify(toJSON(m));
    fromJSON(json);
    return {
      case: name,
      binaryBytes: binary.length,
      jsonBytes: Buffer.byteLength(json),
      denseFloatBytes: partitions * servers * 8,
      roundTripMs: performance.now() - start,
    };
  });
}
