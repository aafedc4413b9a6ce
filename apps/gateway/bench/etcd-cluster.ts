import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, ServiceProcess } from '@redoubt/local-stack';

export interface EtcdCluster {
  clientUrls: string[];
  members: ServiceProcess[];
  version: string;
  stop(): Promise<void>;
}

export function etcdVersion(): string | undefined {
  const result = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? /etcd Version: (\S+)/.exec(result.stdout)?.[1] : undefined;
}

/**
 * A three-member etcd cluster on loopback, each member with its own data directory: the baseline for the
 * store benchmark (Raft, fsync per commit, like redoubt's durable quorum writes).
 */
export async function startEtcdCluster(dir: string, size = 3): Promise<EtcdCluster> {
  const version = etcdVersion();
  if (!version) throw new Error('etcd is not installed: apt-get install -y etcd-server');
  const members = [];
  for (let i = 1; i <= size; i++)
    members.push({ name: `e${i}`, client: await freePort(), peer: await freePort() });
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const processes = members.map(
    (m) =>
      new ServiceProcess({
        name: m.name,
        command: 'etcd',
        args: [
          '--name',
          m.name,
          '--data-dir',
          join(dir, m.name),
          '--listen-client-urls',
          `http://127.0.0.1:${m.client}`,
          '--advertise-client-urls',
          `http://127.0.0.1:${m.client}`,
          '--listen-peer-urls',
          `http://127.0.0.1:${m.peer}`,
          '--initial-advertise-peer-urls',
          `http://127.0.0.1:${m.peer}`,
          '--initial-cluster',
          initialCluster,
          '--initial-cluster-state',
          'new',
          '--initial-cluster-token',
          'redoubt-bench',
          '--log-level',
          'warn',
          // the operations guide's advice for any long-lived cluster; the rest are etcd's defaults
          // (heartbeat 100 ms, election 1 s, snapshot every 100,000 entries: right for a LAN and loopback)
          '--auto-compaction-mode',
          'periodic',
          '--auto-compaction-retention',
          '1h',
        ],
        env: {},
        log: join(dir, `${m.name}.log`),
      }),
  );
  await Promise.all(processes.map((p) => p.start()));
  const clientUrls = members.map((m) => `http://127.0.0.1:${m.client}`);
  const deadline = Date.now() + 60_000;
  for (const url of clientUrls) {
    for (;;) {
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
        const body = (await res.json()) as { health?: string };
        if (body.health === 'true') break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`etcd member ${url} not healthy within 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    clientUrls,
    members: processes,
    version,
    stop: async () => {
      await Promise.allSettled(processes.map((p) => p.stop(5_000)));
    },
  };
}

/**
 * The leader's client URL: clients of a follower would have every write and read-index request
 * forwarded to the leader (an extra hop etcd's own benchmarks avoid).
 */
export async function leaderClientUrl(etcd: EtcdCluster): Promise<string> {
  for (const url of etcd.clientUrls) {
    const res = await fetch(`${url}/v3/maintenance/status`, { method: 'POST', body: '{}' });
    const status = (await res.json()) as { leader: string; header: { member_id: string } };
    if (status.leader === status.header.member_id) return url;
  }
  return etcd.clientUrls[0]!;
}
