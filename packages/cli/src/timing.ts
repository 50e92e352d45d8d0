// TRACEE_TIMING: where start-up time goes, as lines on stderr,
// `tracee-rs: timing: <phase> <ms>`, each the end of a phase in ms since an
// origin: the value of TRACEE_TIMING when it is a time in ms since the Unix
// epoch (the bench: when it spawned this process), else (TRACEE_TIMING=1)
// this process's start. tracee-core prints its own phases (kernel BTF, CO-RE,
// verifier, attach: crates/tracee-core/src/timing.rs) on the same clock, from
// the origin this module leaves in the environment.
import { performance } from 'node:perf_hooks';

/** Times below this are not an epoch in ms (2001): TRACEE_TIMING=1 and the like. */
const EPOCH_MS_MIN = 1e12;

const given = Number(process.env.TRACEE_TIMING);
const origin = process.env.TRACEE_TIMING ? (given >= EPOCH_MS_MIN ? given : performance.timeOrigin) : undefined;
if (origin !== undefined) process.env.TRACEE_TIMING = String(origin);

/** Ends `phase` (at `at`, ms since the Unix epoch; default now), when TRACEE_TIMING is set. */
export function mark(phase: string, at = performance.timeOrigin + performance.now()): void {
  if (origin === undefined) return;
  process.stderr.write(`tracee-rs: timing: ${phase} ${(at - origin).toFixed(1)}\n`);
}

// what happened before this module ran, from Node's own marks
mark('node started', performance.timeOrigin + performance.nodeTiming.nodeStart);
mark('node bootstrapped', performance.timeOrigin + performance.nodeTiming.bootstrapComplete);
