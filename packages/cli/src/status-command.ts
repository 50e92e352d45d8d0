// `tracee-rs status`: asks a running agent's /healthz, /readyz and
// /metrics (its --server) and prints one summary a person reads: healthy
// or not, events, losses, the rate, the ring's fill, findings, each
// destination. Exit code 0 healthy, 1 not healthy, 2 nothing answers.
import { get as httpGet } from 'node:http';
import { parseDuration } from './format.js';
import { DEFAULT_HTTP_ADDRESS, formatHttpAddress, parseHttpAddress } from './server/address.js';
import { parseExposition, sampleValue, type Sample } from './server/exposition.js';
import { METRICS, traceeMetric } from './server/metrics.js';

/** How long each request may take. */
const REQUEST_TIMEOUT_MS = 3000;

/** The exit codes. */
export const STATUS_EXIT = { healthy: 0, unhealthy: 1, unreachable: 2 } as const;

export interface StatusArgs {
  /** The agent's `[host]:port`; an empty host is this machine (127.0.0.1). */
  address: string;
  /** Time between the two reads of /metrics the event rate is measured over (`1s`); `0`: no rate. */
  interval: string;
}

interface Answer {
  status: number;
  body: string;
}

/** Nothing answered at `url`: why, in a word or two (ECONNREFUSED, a timeout). */
class Unreachable extends Error {}

/**
 * GETs `url` with node:http (fetch refuses the ports browsers block, 6000
 * and 6665-6669 among them, which an agent may listen on); rejects with
 * {@link Unreachable} when nothing answers.
 */
function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => reject(new Unreachable(e.message)));
    });
    req.on('timeout', () => req.destroy(new Unreachable(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof Unreachable ? e : new Unreachable(e.code ?? e.message)));
  });
}

/**
 * Prints the summary of the agent at `args.address` with `out` (a line
 * each), or why nothing answers there with `err`; returns the exit code
 * ({@link STATUS_EXIT}).
 */
export async function statusCommand(
  args: StatusArgs,
  out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  err: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<number> {
  const parsed = parseHttpAddress(args.address || DEFAULT_HTTP_ADDRESS);
  const where = formatHttpAddress({ host: parsed.host || '127.0.0.1', port: parsed.port });
  const base = `http://${where}`;
  const interval = parseDuration(args.interval);
  let health: Answer;
  try {
    health = await get(`${base}/healthz`);
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    err(
      `tracee-rs: error: nothing answers at ${base} (${e.message}): start the agent with --server healthz,metrics` +
        ` (it listens on ${DEFAULT_HTTP_ADDRESS} unless --server http-address=HOST:PORT says otherwise), or name its address with --address`,
    );
    return STATUS_EXIT.unreachable;
  }
  const ready = health.status === 404 ? undefined : await get(`${base}/readyz`).catch(() => undefined);
  const first = await get(`${base}/metrics`).catch(() => undefined);
  let samples: Sample[] | undefined = first?.status === 200 ? parseExposition(first.body) : undefined;
  let rate: string | undefined;
  if (samples && interval > 0) {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, interval));
    const second = await get(`${base}/metrics`).catch(() => undefined);
    if (second?.status === 200) {
      const later = parseExposition(second.body);
      const seconds = (performance.now() - t0) / 1000;
      const events = (s: Sample[]) => sampleValue(s, traceeMetric('events_total')) ?? 0;
      rate = `${Math.round((events(later) - events(samples)) / seconds)}/s over the last ${seconds.toFixed(1)} s`;
      samples = later;
    }
  }

  const healthy = health.status === 200;
  const state =
    health.status === 404
      ? 'health unknown: healthz is off (start the agent with --server healthz)'
      : healthy
        ? `healthy${ready?.status === 200 ? ', ready' : ready ? `, not ready (${reason(ready.body)})` : ''}`
        : `NOT healthy (${reason(health.body)})`;
  out(`tracee-rs at ${where}: ${state}`);
  if (!samples) {
    out(first?.status === 404 ? 'metrics: off (start the agent with --server metrics)' : `metrics: unreadable (${first ? `HTTP ${first.status}` : 'no answer'})`);
  } else {
    summary(samples, rate, out);
  }
  return healthy ? STATUS_EXIT.healthy : STATUS_EXIT.unhealthy;
}

/** The first line of a health answer's body, without Tracee's "NOT OK: ". */
const reason = (body: string): string => body.split('\n')[0].replace(/^NOT OK:?\s*/, '') || 'no reason given';

/** The lines of the metrics' summary. */
function summary(samples: readonly Sample[], rate: string | undefined, out: (line: string) => void): void {
  const value = (name: string, labels?: Record<string, string>) => sampleValue(samples, name, labels) ?? 0;
  const events = [
    `${value(traceeMetric('events_total'))} received${rate ? ` (${rate})` : ''}`,
    `${value(traceeMetric('lostevents_total'))} lost`,
    `${value(traceeMetric('events_filtered'))} filtered`,
    `${value(traceeMetric('errors_total'))} errors`,
  ];
  out(`events: ${events.join(', ')}`);
  const used = samples.find((s) => s.name === `${METRICS.ringBuffer}used_bytes`);
  const size = samples.find((s) => s.name === `${METRICS.ringBuffer}size_bytes`);
  out(used && size ? `ring buffer: ${bytes(used.value)} of ${bytes(size.value)} used (${((100 * used.value) / size.value).toFixed(1)}%)` : 'ring buffer: not measured (a perf buffer, or not attached)');
  const findings = samples.filter((s) => s.name === METRICS.findings);
  const total = findings.reduce((n, s) => n + s.value, 0);
  out(`findings: ${total}${findings.length ? ` (${findings.map((s) => `${s.labels.signature_id} ${s.labels.signature_name}: ${s.value}`).join('; ')})` : ''}`);
  const destinations = samples.filter((s) => s.name === `${METRICS.destination}written_total`);
  if (destinations.length === 0) out('destinations: none reported');
  for (const d of destinations) {
    const of = (name: string) => value(`${METRICS.destination}${name}`, { destination: d.labels.destination });
    out(`destination ${d.labels.destination} (${d.labels.type}): ${d.value} written, ${of('sent_total')} sent, ${of('dropped_total')} dropped, ${of('queued')} queued, ${of('failed_total')} failed attempts`);
  }
  const rss = sampleValue(samples, 'process_resident_memory_bytes');
  if (rss !== undefined) out(`memory: ${bytes(rss)} resident`);
}

/** `n` bytes as a person reads them (`12.0 KiB`, `32.0 MiB`). */
function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}
