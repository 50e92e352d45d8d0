// The enricher's bookkeeping, without a runtime: a socket nobody listens on
// (the real clients' own failure), and a table that records what it is told.
import { describe, expect, it } from 'vitest';
import type { NativeContainer, NativeEnrichment } from '../generated/native.js';
import { ContainerEnricher, enrichmentOf, presentRuntimes, type EnrichedTable } from './enricher.js';

class Table implements EnrichedTable {
  containersGeneration = 1;
  told: [string, NativeEnrichment][] = [];
  constructor(public list: NativeContainer[]) {}
  containers(): NativeContainer[] {
    return this.list;
  }
  enrichContainer(id: string, info: NativeEnrichment): boolean {
    this.told.push([id, info]);
    this.list = this.list.map((c) => (c.id === id ? { ...c, enriched: true } : c));
    this.containersGeneration++;
    return true;
  }
}

const container = (id: string, cgroup: number, runtime = 'docker'): NativeContainer => ({
  cgroupIds: [cgroup],
  json: `"containerId":"${id}","container":{"id":"${id}"},"kubernetes":{}`,
  id,
  runtime,
  ctime: '0',
  new: false,
  removed: false,
  enriched: false,
});

describe('ContainerEnricher', () => {
  it('a runtime that cannot be asked: one warning for all its containers, each described with nothing (ids only)', async () => {
    const table = new Table([container('a'.repeat(64), 10), container('b'.repeat(64), 11)]);
    const warnings: string[] = [];
    const socket = '/nonexistent/trc-docker.sock';
    const enricher = new ContainerEnricher(table, [['docker', socket]], { warn: (m) => warnings.push(m), timeoutMs: 500 });
    try {
      await enricher.settled();
      // a container made since: asked again, no second warning
      table.list = [...table.list, container('c'.repeat(64), 12)];
      table.containersGeneration++;
      await enricher.settled();
    } finally {
      enricher.close();
    }
    expect(table.told.map(([id]) => id[0])).toEqual(['a', 'b', 'c']);
    expect(table.told.every(([, info]) => JSON.stringify(info) === JSON.stringify(enrichmentOf(undefined)))).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^containers of docker go on with their ids only: .*${socket}`));
  });

  it('only the runtimes whose socket exists are asked', () => {
    expect(presentRuntimes([['docker', '/nonexistent/docker.sock'], ['containerd', '/proc/self/status']])).toEqual([['containerd', '/proc/self/status']]);
  });
});
