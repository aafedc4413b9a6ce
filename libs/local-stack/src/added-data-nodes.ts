import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { RedoubtError } from '@redoubt/errors';
import { homePaths } from './stack-home.js';

/**
 * Data nodes added to a running stack (`redoubt node add <id> --start`, the control API's
 * `POST /v1/data-nodes`) are recorded in `<home>/cluster.json` as `addedDataNodes: [4, ...]` (their
 * indexes: `d4`, process `data-4`, directory `data/d4`), so that every later `npm start` on the same home
 * starts them again with their data: they hold partitions of the placement. `--fresh` forgets them with
 * cluster.json; retiring a node (`DELETE /v1/data-nodes/:id`) takes it off the list.
 */
interface ClusterRecord {
  partitions?: number;
  addedDataNodes?: number[];
  [field: string]: unknown;
}

function read(home: string): ClusterRecord {
  const { clusterFile } = homePaths(home);
  if (!existsSync(clusterFile)) return {};
  return JSON.parse(readFileSync(clusterFile, 'utf8')) as ClusterRecord;
}

function write(home: string, record: ClusterRecord): void {
  writeFileSync(homePaths(home).clusterFile, JSON.stringify(record) + '\n');
}

export function addedDataNodes(home: string): number[] {
  const added = read(home).addedDataNodes ?? [];
  return added.filter((i) => Number.isInteger(i) && i > 0).sort((a, b) => a - b);
}

export function recordAddedDataNode(home: string, index: number): void {
  const record = read(home);
  record.addedDataNodes = [...new Set([...(record.addedDataNodes ?? []), index])].sort((a, b) => a - b);
  write(home, record);
}

export function forgetAddedDataNode(home: string, index: number): void {
  const record = read(home);
  record.addedDataNodes = (record.addedDataNodes ?? []).filter((i) => i !== index);
  write(home, record);
}

/** `d4` -> 4: the ids the stack gives data nodes; anything else is refused, naming the rule. */
export function dataNodeIndex(id: string, max: number): number {
  const match = /^d([1-9]\d*)$/.exec(id);
  const index = match ? Number(match[1]) : NaN;
  if (!(index >= 1 && index <= max))
    throw new RedoubtError(
      'INVALID_ARGUMENT',
      `the local stack names its data nodes d1..d${max} (process data-<n>, directory data/d<n>); "${id}" is not one of them`,
      { id },
    );
  return index;
}
