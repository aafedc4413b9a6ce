import { describe, expect, it } from 'vitest';
import { checkPolicy, parseConsistency, requirementsFor } from './index.js';

describe('consistency levels', () => {
  const policy = { n: 3, w: 2, r: 2 };

  it('maps one, quorum and all to W and R', () => {
    expect(requirementsFor('one', policy)).toEqual({ w: 1, r: 1 });
    expect(requirementsFor('quorum', policy)).toEqual({ w: 2, r: 2 });
    expect(requirementsFor('all', policy)).toEqual({ w: 3, r: 3 });
    // never more than the replicas a set actually has
    expect(requirementsFor('quorum', { n: 3, w: 3, r: 3 }, 2)).toEqual({ w: 2, r: 2 });
  });

  it('parses the header, defaulting to quorum, and refuses anything else with CONSISTENCY_INVALID', () => {
    expect(parseConsistency(undefined)).toBe('quorum');
    expect(parseConsistency('one')).toBe('one');
    expect(parseConsistency('all')).toBe('all');
    for (const bad of ['ONE', 'strong', 'one, all', ['one', 'all']]) {
      expect(() => parseConsistency(bad)).toThrow(expect.objectContaining({ code: 'CONSISTENCY_INVALID' }));
    }
  });

  it('refuses a policy with W or R above N', () => {
    expect(() => checkPolicy({ n: 3, w: 4, r: 2 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => checkPolicy({ n: 3, w: 2, r: 0 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(checkPolicy(policy)).toBe(policy);
  });
});
