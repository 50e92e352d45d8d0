// The agent's health (Tracee's /healthz) and readiness (/readyz), from its
// trace. Tracee's healthz answers "OK" while its eBPF heartbeat is alive
// (and "NOT OK" otherwise, with status 200); here a failing check answers
// 503, which probes (Kubernetes, load balancers) read as failed.
import type { TraceSource } from './metrics.js';

/** A check's answer: `ok`, else why not (one line). */
export type Check = { ok: true } | { ok: false; reason: string };

/**
 * Alive: the trace is attached and its poll thread runs. Not before the
 * trace has started, nor once it has ended (stopped, or by an error).
 */
export function liveness(trace: TraceSource | undefined): Check {
  if (!trace) return { ok: false, reason: 'not attached yet' };
  if (!trace.polling) return { ok: false, reason: 'the trace has ended: nothing is attached' };
  return { ok: true };
}

/**
 * Ready: alive, and the poll thread has polled the kernel at least once
 * (every program attached, records flowing to the agent).
 */
export function readiness(trace: TraceSource | undefined): Check {
  const alive = liveness(trace);
  if (!alive.ok || !trace) return alive;
  if (trace.stats().polls === 0) return { ok: false, reason: 'attached, not polled yet' };
  return { ok: true };
}
