import { backupKeyFiles, type LocalStack } from '@redoubt/local-stack';

/** Single quotes for a shell, so a printed command can be pasted as it is. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The single Redis, or the first master and how the services find the current one (Sentinel). */
function redisRow(stack: LocalStack): string {
  if (stack.redis.kind === 'single') return stack.redisUrl;
  const first = stack.instances.find((i) => i.role === 'redis')?.url ?? '';
  const sentinels = stack.redis.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
  return `${first} (first master; services ask the sentinels: REDIS_SENTINELS=${sentinels} REDIS_SENTINEL_NAME=${stack.redis.name})`;
}

/** What `npm start` prints once everything is ready: where things listen, the keys, a curl to try. */
export function stackBanner(stack: LocalStack, extra: { controlUrl: string; generated: string[] }): string {
  const gateway = stack.gateways[0]?.url ?? 'http://127.0.0.1:8080';
  const auth = shellQuote(`Authorization: Bearer ${stack.keys.apiKey}`);
  const byRole = (role: string) => stack.instances.filter((i) => i.role === role);
  const rows: [string, string][] = [
    ['gateways', stack.gateways.map((g) => `${g.url} (${g.name})`).join(', ')],
    ['data nodes', stack.dataNodes.map((d) => `${d.id} ${d.url}`).join(', ')],
    ['redis', redisRow(stack)],
  ];
  for (const instance of stack.instances.filter((i) => !['gateway', 'data', 'redis'].includes(i.role)))
    rows.push([instance.name, instance.url]);
  rows.push(['control API', `${extra.controlUrl}/v1/processes (admin key)`]);
  const generatedNote = (name: string, variable: string) =>
    extra.generated.includes(name) ? `   (generated for this run; set ${variable} to fix it)` : '';
  const width = Math.max(...rows.map(([label]) => label.length), 'stack file'.length) + 2;
  const line = ([label, value]: [string, string]) => `  ${label.padEnd(width)}${value}`;
  const skipped = stack.skipped.length > 0 ? [`  (not started yet: ${stack.skipped.join(', ')})`] : [];
  return [
    '',
    `redoubt is running: ${stack.instances.length} processes on 127.0.0.1 (supervisor pid ${process.pid})`,
    '',
    ...rows.map(line),
    ...skipped,
    '',
    line(['API key', stack.keys.apiKey + generatedNote('apiKey', 'REDOUBT_API_KEY')]),
    line(['admin key', stack.keys.adminKey + generatedNote('adminKey', 'REDOUBT_ADMIN_KEY')]),
    line(['stack file', `${stack.stackFile} (mode 0600: endpoints, pids, keys, cluster token)`]),
    line(['data', `${stack.home} (kept across runs; npm start -- --fresh wipes it)`]),
    line(['logs', `${stack.home}/logs/<name>.log`]),
    ...(byRole('backup-worker').length > 0
      ? [
          line([
            'backup keys',
            `${Object.values(backupKeyFiles(stack.home)).join(', ')} (mode 0600, kept across runs and --fresh; ` +
              'without them the backups are unreadable: keep a copy elsewhere, docs/runbooks/backup-keys.md)',
          ]),
        ]
      : []),
    '',
    'Try it:',
    `  curl -sS -X PUT -H ${auth} -H 'content-type: application/octet-stream' --data-binary 'hello, redoubt' ${gateway}/v1/kv/greeting`,
    `  curl -sS -H ${auth} ${gateway}/v1/kv/greeting`,
    '',
    `${plural(byRole('gateway').length, 'gateway')}, ${plural(byRole('data').length, 'data node')}. ` +
      `Ctrl-C stops everything (or: kill -INT ${process.pid}).`,
    '',
  ].join('\n');
}
