import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface FrameShare {
  frame: string;
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  samples: number;
  /** Functions by self time. */
  topSelf: FrameShare[];
  /** Self time grouped by where the code lives (node internals, express, undici, lmdb, redoubt libs...). */
  byArea: FrameShare[];
}

function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  if (!url) return 'native';
  if (url.startsWith('node:')) return url.split('/')[0]!.replace('node:internal', 'node:internal');
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(libs|apps)\/([^/]+)\//.exec(url);
  return m ? `${m[1]}/${m[2]}` : url;
}

/**
 * Summarises the main-thread profiles in `dir` (node --cpu-prof writes CPU.<date>.<time>.<pid>.<thread>.<n>
 * .cpuprofile; thread 0 is the main thread, the others are loader workers such as tsx's).
 */
export function summariseProfiles(dir: string, top = 15): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.split('.')[4] === '0')
    .map((file) => summariseProfile(join(dir, file), top));
}

export function summariseProfile(path: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfCounts = new Map<number, number>();
  for (const id of profile.samples) selfCounts.set(id, (selfCounts.get(id) ?? 0) + 1);
  const total = profile.samples.length || 1;
  const byFrame = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, count] of selfCounts) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url.replace(/^.*\/(node_modules|libs|apps)\//, '$1/');
    const frame = `${functionName || '(anonymous)'} ${short}${url ? `:${lineNumber + 1}` : ''}`;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + count);
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + count);
  }
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, count]) => ({ frame, selfPercent: Math.round((1000 * count) / total) / 10 }));
  return { file: path, samples: total, topSelf: rank(byFrame), byArea: rank(byArea) };
}
