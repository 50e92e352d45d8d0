// A resolved configuration written back in the config file's shape
// (`tracee-rs config show`): every default filled in, secrets masked, so
// that what is printed, given as --config, resolves to the same thing.
import { parseEnrichment, runtimeSockets, type ContainerEnrichment } from '@tracee/core';
import { parseDuration } from '../format.js';
import type { AgentConfig, DestinationConfig } from './agent-config.js';
import type { ConfigFile, ContainerEnrichmentFile, DestinationFile } from './schema.js';

/** What a masked secret reads as. */
export { MASK, maskUrl } from '../output/secrets.js';
import { MASK, maskUrl } from '../output/secrets.js';

/**
 * A flag as typed with its secrets masked: a header's value
 * (`destinations.NAME.headers.KEY=VALUE`), a URL's password and secret
 * query values (`webhook:URL`, `otlp:URL`, `destinations.NAME.url=URL`).
 */
export function maskFlag(flag: string): string {
  const header = /^(--output destinations\.[^.=]+\.headers\.[^=]+=)/.exec(flag);
  if (header) return `${header[1]}${MASK}`;
  const url = /^(--output (?:webhook|otlp|otlp\+grpc):|--output destinations\.[^.=]+\.url=)(.*)$/.exec(flag);
  return url ? `${url[1]}${maskUrl(url[2])}` : flag;
}

/** ms as a duration the file takes: `10s`, `1m`, `250ms`. */
function durationText(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `--enrichment`'s values as the file's `enrichment` section. */
function enrichmentFile(flags: readonly string[]): ConfigFile['enrichment'] {
  if (flags.length === 1 && flags[0] === 'none') return { container: { enabled: false } };
  const e: ContainerEnrichment = parseEnrichment(flags);
  const container: ContainerEnrichmentFile = {};
  if (e.cgroupfs.path !== undefined) container.cgroupfs = { path: e.cgroupfs.path, force: e.cgroupfs.force };
  // the sockets named (runtimeSockets gives the defaults when none is)
  for (const [runtime, socket] of runtimeSockets(e)) if (e.sockets[runtime] !== undefined) container[`${runtime}-socket`] = socket;
  // a socket or a cgroupfs path turns it on (Tracee's rule): said only when nothing else says it
  return { container: Object.keys(container).length > 0 ? container : { enabled: e.enabled } };
}

function destinationFile(d: DestinationConfig, mask: boolean): DestinationFile {
  return {
    name: d.name,
    type: d.type,
    format: d.format,
    ...(d.path !== undefined ? { path: d.path } : {}),
    ...(d.url !== undefined ? { url: mask ? maskUrl(d.url) : d.url } : {}),
    ...(d.protocol !== undefined ? { protocol: d.protocol } : {}),
    ...(d.headers !== undefined ? { headers: Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k, mask ? MASK : v])) } : {}),
    ...(d.timeoutMs !== undefined ? { timeout: durationText(d.timeoutMs) } : {}),
    ...(d.retries !== undefined ? { retries: d.retries } : {}),
  };
}

/**
 * The configuration in the file's shape: the trace options given or
 * defaulted, every destination, the streams written (a destination in
 * none gets Tracee's implicit stream again when read back), the output
 * options, server and aggregation when on. `mask` (default true) masks
 * secrets: header values, URL passwords, secret-looking query values.
 * Throws an Error on a flag's value the trace would refuse (a duration,
 * --enrichment), with the trace's own message.
 */
export function configFile(config: AgentConfig, mask = true): ConfigFile {
  const t = config.trace;
  // the flags' values are checked where the trace reads them: here too
  if (t.duration !== undefined) parseDuration(t.duration);
  if (t['rootkit-check-interval'] !== undefined) parseDuration(t['rootkit-check-interval']);
  if (t['status-interval'] !== undefined) parseDuration(t['status-interval']);
  const out: ConfigFile = {
    ...(t.events !== undefined ? { events: [...t.events] } : {}),
    ...(t.scope !== undefined ? { scope: [...t.scope] } : {}),
    ...(t.policy !== undefined ? { policy: [...t.policy] } : {}),
    rules: t.rules,
    ...(t['rules-dir'] !== undefined ? { 'rules-dir': t['rules-dir'] } : {}),
    ...(t.duration !== undefined ? { duration: t.duration } : {}),
    'ring-buffer-mb': t['ring-buffer-mb'],
    'perf-buffer': t['perf-buffer'],
    'legacy-programs': t['legacy-programs'],
    'syscall-hooks': t['syscall-hooks'],
    ...(t['rootkit-check-interval'] !== undefined ? { 'rootkit-check-interval': t['rootkit-check-interval'] } : {}),
    ...(t['status-interval'] !== undefined ? { 'status-interval': t['status-interval'] } : {}),
    ...(t['pid-file'] !== undefined ? { 'pid-file': t['pid-file'] } : {}),
    ...(t.enrichment !== undefined ? { enrichment: enrichmentFile(t.enrichment) } : {}),
    output: {
      destinations: config.output.destinations.map((d) => destinationFile(d, mask)),
      ...(config.output.streams.some((s) => !s.implicit)
        ? {
            streams: config.output.streams
              .filter((s) => !s.implicit)
              .map((s) => ({
                name: s.name,
                destinations: [...s.destinations],
                filters: { events: [...s.filters.events], policies: [...s.filters.policies], kind: s.filters.kind, ...(s.filters.severity !== undefined ? { severity: s.filters.severity } : {}) },
                buffer: { ...s.buffer },
              })),
          }
        : {}),
      options: { 'parse-arguments': config.output.options.parseArguments, 'exec-env': config.output.options.execEnv },
    },
    ...(config.server ? { server: { 'http-address': config.server.httpAddress, metrics: config.server.metrics, healthz: config.server.healthz } } : {}),
    ...(config.aggregate ? { aggregate: { window: durationText(config.aggregate.windowMs) } } : {}),
  };
  return out;
}
