import { balanceReport, build, validate, type ServerSpec } from '../src/index.js';

export interface EqualBalanceRow {
  servers: number;
  zones: string;
  /** max column load / ideal (R*P/T). */
  maxOverIdeal: number;
  maxPrimaryOverIdeal: number;
}

export interface UnequalBalanceRow {
  zoneSizes: number[];
  replicas: number;
  maxOverIdeal: number;
  /** The smallest max load / ideal that any matrix obeying the zone rule can reach. */
  bestPossible: number;
  ratioToBest: number;
  valid: boolean;
}

const PARTITIONS = 4096;
const REPLICAS = 3;

function zoned(count: number, zoneOf: (i: number) => string): ServerSpec[] {
  return Array.from({ length: count }, (_, i) => ({ id: `s${i}`, zone: zoneOf(i), weight: 1 }));
}

/** Equal weights, T = 3..64: each server its own zone, and every split into 3 or 4 equal zones. */
export function measureEqualBalance(): EqualBalanceRow[] {
  const rows: EqualBalanceRow[] = [];
  for (let t = 3; t <= 64; t++) {
    const layouts: Array<[string, ServerSpec[]]> = [['own', zoned(t, (i) => `z${i}`)]];
    for (const z of [3, 4])
      if (t % z === 0 && t > z) layouts.push([`${z} equal`, zoned(t, (i) => `z${i % z}`)]);
    for (const [zones, servers] of layouts) {
      const report = balanceReport(build(servers, { partitions: PARTITIONS, replicas: REPLICAS }));
      rows.push({
        servers: t,
        zones,
        maxOverIdeal: report.maxLoadRatio,
        maxPrimaryOverIdeal: report.maxPrimaryRatio,
      });
    }
  }
  return rows;
}

/** Unequal zones (equal weights): the zone rule forces small zones above their proportional share. */
export function measureUnequalBalance(): UnequalBalanceRow[] {
  const scenarios: Array<{ zoneSizes: number[]; replicas: number }> = [
    { zoneSizes: [1, 2, 3], replicas: 3 },
    { zoneSizes: [1, 1, 6], replicas: 3 },
    { zoneSizes: [2, 3, 5], replicas: 3 },
    { zoneSizes: [4, 4, 8], replicas: 3 },
    { zoneSizes: [3, 5, 8, 16], replicas: 3 },
    { zoneSizes: [1, 2, 4, 8, 16], replicas: 3 },
    { zoneSizes: [2, 10, 20, 32], replicas: 3 },
    { zoneSizes: [1, 5], replicas: 3 },
    { zoneSizes: [2, 9], replicas: 3 },
    { zoneSizes: [1, 2, 3], replicas: 2 },
  ];
  return scenarios.map(({ zoneSizes, replicas }) => {
    const servers = zoneSizes.flatMap((size, z) =>
      Array.from({ length: size }, (_, i) => ({ id: `z${z}-s${i}`, zone: `z${z}`, weight: 1 })),
    );
    const m = build(servers, { partitions: PARTITIONS, replicas });
    const report = balanceReport(m);
    return {
      zoneSizes,
      replicas,
      maxOverIdeal: report.maxLoadRatio,
      bestPossible: report.bestPossibleRatio,
      ratioToBest: report.ratioToBest,
      valid: validate(m, servers, { tolerance: 0 }).length === 0,
    };
  });
}
