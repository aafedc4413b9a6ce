import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@redoubt/local-stack';
import { EXIT, runChaosCli } from './chaos-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'chaos-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runChaosCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the chaos CLI', () => {
  it('validates the shipped scenarios by name', async () => {
    const result = await cli('validate', 'local-smoke', 'ci-docker');
    expect(result.code).toBe(EXIT.pass);
    expect(result.out).toMatch(/local-smoke\.yaml: ok/);
    expect(result.out).toMatch(/ci-docker\.yaml: ok/);
  });

  it('rejects a bad scenario with SCENARIO_INVALID naming the field, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'name: bad\nload: { duration: 10s, rate: 5 }\nfaults: [{ at: 1s, kind: pause, target: data-1 }]\n',
    );
    const result = await cli('validate', bad);
    expect(result.code).toBe(EXIT.invalid);
    expect(result.err).toMatch(/SCENARIO_INVALID: .*faults\[0\]\.duration: a pause fault needs a duration/);
  });

  it('prints the same schedule for the same seed, another for another seed', async () => {
    const a = await cli('schedule', 'ci-docker', '--seed', '5');
    const b = await cli('schedule', 'ci-docker', '--seed', '5');
    const c = await cli('schedule', 'ci-docker', '--seed', '6');
    expect(a.code).toBe(EXIT.pass);
    expect(a.out).toBe(b.out);
    expect(JSON.parse(a.out).faults).toHaveLength(6);
    expect(c.out).not.toBe(a.out);
  });

  it('refuses to run without a running local stack, naming the stack file', async () => {
    const result = await cli('run', 'local-smoke', '--stack-file', join(dir, 'stack.json'));
    expect(result.code).toBe(EXIT.invalid);
    expect(result.err).toMatch(/CONFIG_INVALID: no running local stack: .*stack\.json/);
  });

  it('exits non-zero from the real process for an invalid scenario (npm run chaos -- <file>)', () => {
    const bad = join(dir, 'typo.yaml');
    writeFileSync(bad, 'name: typo\nload: { duration: 10s, rate: 5 }\nverfy: {}\n');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'apps/chaos/src/main.ts'), 'run', bad],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.status).toBe(EXIT.invalid);
    expect(run.stderr).toMatch(/SCENARIO_INVALID/);
  });
});
