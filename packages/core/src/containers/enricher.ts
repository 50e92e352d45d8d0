// Enrichment of the trace's container table from the runtimes' APIs: which
// name, image and pod each container has. Never on the per-event path: the
// table (tracee-core containers::table) is asked for the containers it has
// not had described, on a timer, and each answer is set once; events carry
// it from then on.
import { existsSync } from 'node:fs';
import type { NativeContainer, NativeEnrichment } from '../generated/native.js';
import { runtimeClient } from './runtimes/index.js';
import { ContainerRuntimeError, type RuntimeClient, type RuntimeContainer, type RuntimeName } from './runtimes/types.js';

/** What the enricher needs of a trace. */
export interface EnrichedTable {
  /** Moves on every change of the table. */
  readonly containersGeneration: number;
  containers(): NativeContainer[];
  enrichContainer(id: string, info: NativeEnrichment): boolean;
}

/** How often the table is looked at for containers not yet described, in ms. */
export const ENRICH_POLL_MS = 20;

/** How long after a runtime could not be asked its containers are asked again, in ms. */
export const RETRY_MS = 5000;

/**
 * The runtimes of `sockets` whose socket exists now: the others are not on
 * this host (Tracee's autodiscovery). Their order is the order asked in.
 */
export function presentRuntimes(sockets: readonly (readonly [RuntimeName, string])[]): [RuntimeName, string][] {
  return sockets.filter(([, socket]) => existsSync(socket)).map(([r, s]) => [r, s]);
}

/** A runtime's answer as the table takes it. */
export function enrichmentOf(c: RuntimeContainer | undefined): NativeEnrichment {
  return {
    name: c?.name ?? '',
    image: c?.image ?? '',
    imageDigest: c?.imageDigest ?? '',
    podName: c?.pod?.name ?? '',
    podNamespace: c?.pod?.namespace ?? '',
    podUid: c?.pod?.uid ?? '',
    podSandbox: c?.pod?.sandbox ?? false,
  };
}

/**
 * Describes each container of a trace's table once, asking every runtime at
 * once (a bare id's path does not say whose it is). A runtime that cannot
 * be asked (refused, timed out, failing) gives one warning; a container
 * none of the others knows is asked about again {@link RETRY_MS} later, and
 * keeps its id only until then. A container no runtime knows (a bare runc
 * container) is marked described with nothing, so its container_create
 * waits no longer.
 */
export class ContainerEnricher {
  readonly #table: EnrichedTable;
  readonly #clients: RuntimeClient[];
  readonly #warn: (message: string) => void;
  readonly #warned = new Set<RuntimeName>();
  /** Containers asked about (or being asked), by id and own cgroup: one restarted under its id is another. */
  readonly #asked = new Set<string>();
  #generation = -1;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #closed = false;
  /** Settles when the containers asked about so far are described. */
  #work: Promise<void> = Promise.resolve();

  constructor(table: EnrichedTable, runtimes: readonly (readonly [RuntimeName, string])[], options: { timeoutMs?: number; warn?: (message: string) => void } = {}) {
    this.#table = table;
    this.#clients = runtimes.map(([runtime, socket]) => runtimeClient(runtime, { socket, timeoutMs: options.timeoutMs }));
    this.#warn = options.warn ?? ((m) => process.stderr.write(`tracee-rs: warning: ${m}\n`));
    this.#timer = setInterval(() => this.#tick(), ENRICH_POLL_MS);
    // a trace's timer, not a reason for the process to stay
    this.#timer.unref();
    this.#tick();
  }

  /** Resolves once every container the table held when called is described (for tests and the CLI's exit). */
  async settled(): Promise<void> {
    this.#tick();
    await this.#work;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const c of this.#clients) c.close();
  }

  #tick(): void {
    if (this.#closed || this.#busy) return;
    const generation = this.#table.containersGeneration;
    if (generation === this.#generation) return;
    this.#generation = generation;
    const key = (c: NativeContainer) => `${c.id}/${c.cgroupIds[0]}`;
    const all = this.#table.containers();
    // bounded by the table: those it no longer holds are forgotten
    const present = new Set(all.map(key));
    for (const k of this.#asked) if (!present.has(k)) this.#asked.delete(k);
    const todo = all.filter((c) => !c.enriched && !c.removed && !this.#asked.has(key(c)));
    if (todo.length === 0) return;
    for (const c of todo) this.#asked.add(key(c));
    this.#busy = true;
    this.#work = Promise.all(todo.map((c) => this.#describe(c))).then(() => {
      this.#busy = false;
      // changes made while busy
      this.#generation = -1;
      this.#tick();
    });
  }

  async #describe(c: NativeContainer): Promise<void> {
    // every runtime at once (a bare id's path does not say whose it is; a
    // hung one must not hold the others back), the one its path names first
    const clients = [...this.#clients].sort((a, b) => Number(b.runtime === c.runtime) - Number(a.runtime === c.runtime));
    let failed = false;
    const answers = await Promise.all(
      clients.map(async (client) => {
        try {
          return await client.inspect(c.id);
        } catch (e) {
          failed = true;
          if (!this.#warned.has(client.runtime)) {
            this.#warned.add(client.runtime);
            const why = e instanceof ContainerRuntimeError ? e.message : String(e);
            this.#warn(`containers of ${client.runtime} go on with their ids only: ${why}`);
          }
          return undefined;
        }
      }),
    );
    if (this.#closed) return;
    const found = answers.find((a) => a !== undefined);
    if (!found && failed) {
      // a runtime could not be asked: asked again a while later (it may
      // be back); its events carry the id until then
      setTimeout(() => {
        this.#asked.delete(`${c.id}/${c.cgroupIds[0]}`);
        this.#generation = -1;
      }, RETRY_MS).unref();
      return;
    }
    this.#table.enrichContainer(c.id, enrichmentOf(found));
  }
}
