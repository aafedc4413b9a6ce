import type Docker from 'dockerode';
import { RedoubtError } from '@redoubt/errors';
import type { FaultKind, LinkDirection } from '../scenario/scenario-schema.js';

/** The chains the rules go in, jumped to first from INPUT and OUTPUT of the target's network namespace. */
export const CHAIN_IN = 'REDOUBT-CHAOS-IN';
export const CHAIN_OUT = 'REDOUBT-CHAOS-OUT';

export interface LinkRule {
  kind: Extract<FaultKind, 'partition' | 'slow-link' | 'reset-link'>;
  /** The peer's addresses; empty: every address but loopback (the whole service cut off). */
  peerIps: readonly string[];
  direction: LinkDirection;
  /** slow-link: share of packets dropped. */
  loss?: number | undefined;
}

/**
 * The iptables commands (run inside the target's network namespace) for one link fault:
 * - partition: DROP (packets vanish; connections hang until their timeouts, as a cut cable does);
 * - reset-link: REJECT --reject-with tcp-reset (every TCP segment is answered with a RST: connections reset);
 * - slow-link: DROP a random share of packets (`-m statistic`): TCP retransmits (RTO ≥ 200 ms) make the link
 *   slow and jittery. This kernel has no netem, so delay itself cannot be added in the kernel.
 * `inbound` hits what the target receives from the peer (INPUT, by source), `outbound` what it sends (OUTPUT,
 * by destination); `both` both. Idempotent set-up of the chains, then the rules.
 */
export function linkRuleCommands(rule: LinkRule): string[] {
  const action =
    rule.kind === 'reset-link'
      ? ['-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset']
      : rule.kind === 'slow-link'
        ? ['-m', 'statistic', '--mode', 'random', '--probability', String(rule.loss ?? 0.3), '-j', 'DROP']
        : ['-j', 'DROP'];
  const commands = [
    `iptables -w -N ${CHAIN_IN} 2>/dev/null || true`,
    `iptables -w -N ${CHAIN_OUT} 2>/dev/null || true`,
    `iptables -w -C INPUT -j ${CHAIN_IN} 2>/dev/null || iptables -w -I INPUT 1 -j ${CHAIN_IN}`,
    `iptables -w -C OUTPUT -j ${CHAIN_OUT} 2>/dev/null || iptables -w -I OUTPUT 1 -j ${CHAIN_OUT}`,
  ];
  const peers = rule.peerIps.length > 0 ? rule.peerIps.map((ip) => [ip]) : [['!', '127.0.0.0/8']];
  for (const peer of peers) {
    const [negate, address] = peer.length === 2 ? peer : [undefined, peer[0]];
    const match = (flag: string) => [...(negate ? [negate] : []), flag, address!];
    if (rule.direction !== 'outbound')
      commands.push(['iptables', '-w', '-A', CHAIN_IN, ...match('-s'), ...action].join(' '));
    if (rule.direction !== 'inbound')
      commands.push(['iptables', '-w', '-A', CHAIN_OUT, ...match('-d'), ...action].join(' '));
  }
  return commands;
}

/** Empties the chains: the link is whole again (the jumps stay, harmless and reused next time). */
export const HEAL_COMMANDS = [
  `iptables -w -F ${CHAIN_IN} 2>/dev/null || true`,
  `iptables -w -F ${CHAIN_OUT} 2>/dev/null || true`,
];

/**
 * Runs shell commands in a container's network namespace with the *host's* iptables: a short-lived helper
 * container (the target's own image) joins the target's network namespace (`network_mode:
 * container:<id>`) with NET_ADMIN and NET_RAW only, mounts the host's root read-only and `chroot`s into it,
 * so the host's iptables (and its nf_tables backend) is used whatever the image holds. No privileged
 * container and no host PID namespace: this machine cannot grant every capability (`--privileged` fails
 * here), and entering the host's namespaces is refused. The chaos container already holds the Docker
 * socket, which is root on the host; the helper adds nothing to that.
 */
export async function runInNetns(
  docker: Docker,
  containerId: string,
  commands: readonly string[],
): Promise<void> {
  const info = await docker.getContainer(containerId).inspect();
  const name = info.Name.replace(/^\//, '');
  if (!info.State.Running)
    throw new RedoubtError('FAULT_REFUSED', `${name} is not running: no network namespace to change`);
  const helper = await docker.createContainer({
    Image: info.Image,
    User: '0:0',
    Entrypoint: ['chroot', '/host', 'sh', '-c', commands.join(' && ')],
    Cmd: [],
    Labels: { 'io.redoubt.role': 'chaos-helper' },
    HostConfig: {
      NetworkMode: `container:${info.Id}`,
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      Binds: ['/:/host:ro'],
      AutoRemove: false,
    },
  });
  try {
    await helper.start();
    const { StatusCode } = (await helper.wait()) as { StatusCode: number };
    if (StatusCode !== 0) {
      const logs = await helper.logs({ stdout: true, stderr: true });
      throw new RedoubtError(
        'FAULT_REFUSED',
        `iptables in ${name}'s network namespace failed (exit ${StatusCode}): ` +
          logs
            .toString('utf8')
            .replace(/[\x00-\x08]/g, '')
            .trim()
            .slice(-400),
      );
    }
  } finally {
    await helper.remove({ force: true }).catch(() => undefined);
  }
}

/** Every address a container has on its networks. */
export async function containerIps(docker: Docker, containerId: string): Promise<string[]> {
  const info = await docker.getContainer(containerId).inspect();
  return Object.values(info.NetworkSettings.Networks ?? {})
    .map((n) => (n as { IPAddress?: string }).IPAddress ?? '')
    .filter((ip) => ip !== '');
}
