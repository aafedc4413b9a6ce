import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as rendered (plain JSON). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [field: string]: unknown;
}

export interface RenderedOverlay {
  name: string;
  objects: KubeObject[];
}

const INSTALL =
  "install kubectl 1.27 or newer (it embeds kustomize v5; no cluster is needed): the Kubernetes project's " +
  "apt repository (package kubectl) or its kubectl binary for your platform. Debian bookworm's " +
  '`kubernetes-client` is kubectl 1.20 with kustomize v2, too old for these overlays.';

/** The kubectl binary (with kustomize v5 or newer), or an error that says what to install. */
export function requireKubectl(): string {
  const found = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (found.error || found.status !== 0)
    throw new Error(
      `kubectl is not installed (the deploy checks render every overlay with \`kubectl kustomize\`): ${INSTALL}`,
    );
  const kustomize = /Kustomize Version: v(\d+)/.exec(found.stdout)?.[1];
  if (!kustomize || Number(kustomize) < 5)
    throw new Error(
      `kubectl's kustomize is ${kustomize ? `v${kustomize}` : 'unknown'}, not v5 or newer: ${INSTALL}`,
    );
  return 'kubectl';
}

/**
 * Renders every overlay of deploy/kubernetes the way a user would: the overlays' secret files are made
 * by deploy/kubernetes/new-secrets.sh (in a copy of the tree, so the repository never holds any), then
 * `kubectl kustomize <overlay>`.
 */
export function renderOverlays(repoRoot: string): RenderedOverlay[] {
  const kubectl = requireKubectl();
  const work = mkdtempSync(join(tmpdir(), 'redoubt-kustomize-'));
  try {
    const tree = join(work, 'kubernetes');
    cpSync(join(repoRoot, 'deploy/kubernetes'), tree, {
      recursive: true,
      filter: (source) => !/\/overlays\/[^/]+\/secrets(\/|$)/.test(source),
    });
    return readdirSync(join(tree, 'overlays'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .map((name) => {
        const overlay = join(tree, 'overlays', name);
        execFileSync('sh', [join(tree, 'new-secrets.sh'), overlay], { stdio: 'pipe' });
        const rendered = execFileSync(kubectl, ['kustomize', overlay], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        return { name, objects: parseObjects(rendered) };
      });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function parseObjects(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJSON() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}
