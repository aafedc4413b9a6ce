import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { RedoubtError } from '@redoubt/errors';
import { scenarioSchema, type Scenario } from './scenario-schema.js';

/** `faults.2.duration` → `faults[2].duration`: how a person reads a path into a YAML file. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

function invalid(source: string, problems: { field: string; message: string }[]): RedoubtError {
  const lines = problems.map((p) => `${p.field}: ${p.message}`);
  return new RedoubtError('SCENARIO_INVALID', `${source}: ${lines.join('; ')}`, {
    source,
    fields: problems.map((p) => p.field),
  });
}

/** Collects the issues of a failed parse (unions report their branches' issues) with their field paths. */
function problemsOf(error: z.ZodError): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors)) {
      // the most specific branch: the one that got furthest into the value
      const branches = (issue.errors as z.core.$ZodIssue[][]).filter((b) => b.length > 0);
      const best = branches.sort((a, b) => b[0]!.path.length - a[0]!.path.length)[0];
      if (best) {
        for (const inner of best)
          problems.push({ field: fieldPath([...issue.path, ...inner.path]), message: inner.message });
        continue;
      }
    }
    problems.push({ field: fieldPath(issue.path), message: issue.message });
  }
  return problems;
}

/** Parses and validates scenario YAML; throws SCENARIO_INVALID naming every wrong field. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw invalid(
      source,
      document.errors.map((e) => ({
        field: e.linePos ? `line ${e.linePos[0].line}` : '(yaml)',
        message: e.message.split('\n')[0]!,
      })),
    );
  }
  const data: unknown = document.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw invalid(source, [{ field: '(root)', message: 'a scenario is a mapping (name, load, faults...)' }]);
  const result = scenarioSchema.safeParse(data);
  if (!result.success) throw invalid(source, problemsOf(result.error));
  return result.data;
}

/**
 * A scenario by path, or by name from `chaos/scenarios/` (`local-smoke` → chaos/scenarios/local-smoke.yaml).
 */
export function resolveScenarioPath(nameOrPath: string, repoRoot: string): string {
  const candidates = [
    isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath),
    join(repoRoot, 'chaos', 'scenarios', nameOrPath),
    join(repoRoot, 'chaos', 'scenarios', `${nameOrPath}.yaml`),
    join(repoRoot, 'chaos', 'scenarios', `${nameOrPath}.yml`),
  ];
  const found = candidates.find((c) => existsSync(c) && /\.ya?ml$/.test(c));
  if (!found)
    throw new RedoubtError(
      'SCENARIO_INVALID',
      `no scenario file "${nameOrPath}" (looked in ${candidates.join(', ')})`,
      {
        source: nameOrPath,
        fields: ['(file)'],
      },
    );
  return found;
}

export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RedoubtError('SCENARIO_INVALID', `${path}: cannot be read (${(error as Error).message})`, {
      source: path,
      fields: ['(file)'],
    });
  }
  return parseScenario(text, path);
}
