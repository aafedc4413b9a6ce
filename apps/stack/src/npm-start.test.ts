import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertTargetWritable, parseBackupTargets } from '@redoubt/backup';
import { backupStoreOpener } from '@redoubt/backup-stores';
import { pidAlive, readStackFile, REPO_ROOT, type StackFile } from '@redoubt/local-stack';

// What `npm start` runs (after tools/start.mjs has checked the prerequisites), as a user would: a real
// stack on free ports in a temporary home, used through its gateway and control API, stopped with SIGINT.
const home = mkdtempSync(join(tmpdir(), 'redoubt-npm-start-'));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

describe('npm start', () => {
  it('starts the stack, prints keys and a curl, serves the control API, and stops everything on SIGINT', async () => {
    let output = '';
    child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(REPO_ROOT, 'apps/stack/src/main.ts'), '--quiet'],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, REDOUBT_HOME: home, REDOUBT_BASE_PORT: '0', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));

    await expect
      .poll(() => output.includes('Ctrl-C stops everything') || child?.exitCode !== null, {
        timeout: 150_000,
        interval: 250,
      })
      .toBe(true);
    expect(child.exitCode, output).toBeNull();

    const file = readStackFile(join(home, 'stack.json')) as StackFile;
    expect(file.state).toBe('running');
    expect(file.supervisor.pid).toBe(child.pid);
    expect(output).toContain(file.keys.apiKey);
    // Backups are encrypted and signed by default, under keys kept in the home (mode 0600) and printed.
    for (const name of ['backup.key', 'backup-signing.key']) {
      const keyFile = join(home, name);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
      expect(output).toContain(keyFile);
    }
    expect(output).toContain(
      `curl -sS -H 'Authorization: Bearer ${file.keys.apiKey}' ${file.gateways[0]!.url}/v1/kv/greeting`,
    );

    const processes = (await (
      await fetch(`${file.supervisor.control}/v1/processes`, {
        headers: { 'x-redoubt-admin-key': file.keys.adminKey },
      })
    ).json()) as { processes: { name: string; state: string; pid: number }[] };
    expect(processes.processes.map((p) => p.state)).toEqual(processes.processes.map(() => 'running'));
    expect(processes.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining(['redis', 'data-1', 'gw-1', 's3']),
    );

    // Backups go to the stack's own object store (a bucket on its s3rver, this run's generated keys)
    // and to a directory: two copies on two kinds. The CLI finds both, with the keys, in stack.json.
    expect(file.backups?.targets).toMatch(
      /^t1=s3:\/\/redoubt-backups\?endpoint=http:\/\/127\.0\.0\.1:\d+&region=us-east-1&style=path,t2=\//,
    );
    const backupTargets = parseBackupTargets(file.backups!.targets, backupStoreOpener(file.backups!.env));
    expect(backupTargets.map((t) => t.store.kind)).toEqual(['s3', 'directory']);
    for (const target of backupTargets) await assertTargetWritable(target);
    await expect(
      parseBackupTargets(
        file.backups!.targets,
        backupStoreOpener({ BACKUP_S3_T1_ACCESS_KEY_ID: 'S3RVER', BACKUP_S3_T1_SECRET_ACCESS_KEY: 'S3RVER' }),
      )[0]!.store.check(),
    ).rejects.toMatchObject({ code: 'BACKUP_TARGET_DENIED' }); // no known default key pair

    const url = `${file.gateways[0]!.url}/v1/kv/greeting`;
    const auth = { authorization: `Bearer ${file.keys.apiKey}` };
    const put = await fetch(url, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: 'hello, redoubt',
    });
    expect(put.status).toBeLessThan(300);
    const got = await fetch(url, { headers: auth });
    expect(await got.text()).toBe('hello, redoubt');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(processes.processes.map((p) => p.pid).filter(pidAlive)).toEqual([]);
    expect(existsSync(join(home, 'stack.json'))).toBe(false);
    expect(output).toContain('everything stopped');
  }, 240_000);
});
