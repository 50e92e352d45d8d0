// The enricher's bookkeeping, without a runtime: a socket nobody listens on
// (the real clients' own failure), and a table that records what it is told.
import { describe, expect, it } from 'vitest';
import type { NativeContainer, NativeEnrichment } from '../generated/native.js';
import { ContainerEnricher, presentRuntimes, type EnrichedTable } from './enricher.js';

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
  it('a runtime that cannot be asked: one warning for all its containers, which keep their ids and are asked again later', async () => {
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
    // not described: asked again once the runtime may be back (RETRY_MS)
    expect(table.told).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^containers of docker go on with their ids only: .*${socket}`));
  });

  it('only the runtimes whose socket exists are asked', () => {
    expect(presentRuntimes([['docker', '/nonexistent/docker.sock'], ['containerd', '/proc/self/status']])).toEqual([['containerd', '/proc/self/status']]);
  });
});
