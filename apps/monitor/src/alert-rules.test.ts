import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '@redoubt/local-stack';

/**
 * The monitor's Prometheus alert rules: valid (`promtool check rules`), behaving as their unit tests say
 * (`promtool test rules`), and each one labelled and annotated by convention with a runbook that exists.
 * promtool comes with the Debian package `prometheus`; without it this test installs it when it runs as
 * root, and otherwise fails saying how to install it.
 */
const RULES = resolve(REPO_ROOT, 'deploy/prometheus/alerts/monitor.rules.yml');
const TESTS = resolve(REPO_ROOT, 'deploy/prometheus/alerts/monitor.rules.test.yml');
const INSTALL = 'apt-get install -y prometheus';

function promtool(): string {
  if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0) return 'promtool';
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
      stdio: 'inherit',
      env,
    });
    if (spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0) return 'promtool';
  }
  throw new Error(`promtool is not installed and could not be installed here; install it with: ${INSTALL}`);
}

function run(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool(), args, { cwd: resolve(RULES, '..'), encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('monitor alert rules', () => {
  it('pass promtool check rules', () => {
    const result = run(['check', 'rules', RULES]);
    expect(result.status, result.output).toBe(0);
  }, 300_000);

  it('pass their promtool unit tests', () => {
    const result = run(['test', 'rules', TESTS]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  }, 300_000);

  it('carry severity, summary, description and a runbook that exists; every alert is unit-tested', () => {
    const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
      (g) => g.rules,
    );
    const tested = readFileSync(TESTS, 'utf8');
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.alert, rule.expr).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const runbook = rule.annotations?.runbook_url ?? '';
      expect(runbook, rule.alert).toMatch(/^docs\/runbooks\/[a-z0-9-]+\.md$/);
      expect(existsSync(resolve(REPO_ROOT, runbook)), runbook).toBe(true);
      expect(readFileSync(resolve(REPO_ROOT, runbook), 'utf8'), `${runbook} names ${rule.alert}`).toContain(
        rule.alert,
      );
      expect(tested, `a unit test of ${rule.alert}`).toContain(`alertname: ${rule.alert}`);
    }
  });
});
