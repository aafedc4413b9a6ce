import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/redoubt.mjs', import.meta.url));

describe('redoubt CLI', () => {
  it('prints help and exits 0', () => {
    const result = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/Usage: redoubt/);
  });

  it('declares node drain and node remove with their id argument and confirmation options', () => {
    for (const [name, says] of [
      ['drain', 'move every partition off a data node'],
      ['remove', 'decommission a data node'],
    ] as const) {
      const result = spawnSync(process.execPath, [bin, 'node', name, '--help'], { encoding: 'utf8' });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`Usage: redoubt node ${name} [options] <id>`);
      expect(result.stdout).toContain(says);
      expect(result.stdout).toMatch(/-y, --yes/);
      expect(result.stdout).toMatch(/--force/);
    }
    const missing = spawnSync(process.execPath, [bin, 'node', 'drain'], { encoding: 'utf8' });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/missing required argument 'id'/);
  });

  it('rejects an unknown command with a message and a non-zero exit', () => {
    const result = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/unknown command/);
  });
});
