// The default command: trace the host and print events. Pulls batches from
// the tracer only as fast as stdout takes them, so a slow reader backs up
// into the kernel ring, where the loss is counted and reported, not memory.
import { once } from 'node:events';
import { TraceSession, TraceeError, type TraceeEvent } from '@tracee/core';
import { jsonLine, parseDuration, tableHeader, tableRow } from './format.js';

export function fail(message: string): never {
  process.stderr.write(`tracee-rs: error: ${message}\n`);
  process.exit(1);
}

/** Waits until stdout takes more, or is gone. */
async function drained(): Promise<void> {
  try {
    await once(process.stdout, 'drain');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
  }
}

export interface TraceArgs {
  events: string;
  output: 'table' | 'json';
  duration?: string;
  'ring-buffer-mb': number;
  'perf-buffer': boolean;
  'legacy-programs': boolean;
  'syscall-hooks': 'auto' | 'raw' | 'per-syscall';
  'parse-arguments': boolean;
}

/** The default command: trace until Ctrl-C, SIGTERM or --duration. */
export async function runTrace(argv: TraceArgs): Promise<void> {
  let durationMs: number | undefined;
  try {
    durationMs = argv.duration === undefined ? undefined : parseDuration(argv.duration);
  } catch (e) {
    fail((e as Error).message);
  }
  const ringMb = argv['ring-buffer-mb'];
  if (!Number.isInteger(ringMb) || ringMb < 1 || (ringMb & (ringMb - 1)) !== 0) {
    fail(`--ring-buffer-mb must be a power of two (1, 2, 4, ...), got ${ringMb}`);
  }
  const events = argv.events.split(',').map((s) => s.trim()).filter(Boolean);

  let session: TraceSession;
  try {
    session = TraceSession.start({
      events,
      ringBufferBytes: ringMb * 1024 * 1024,
      perfBuffer: argv['perf-buffer'],
      legacyPrograms: argv['legacy-programs'],
      syscallHooks: argv['syscall-hooks'],
    });
  } catch (e) {
    fail(e instanceof TraceeError ? e.message : String((e as Error).message ?? e));
  }
  const { info } = session;
  for (const d of info.disabled) {
    process.stderr.write(`tracee-rs: warning: ${d.events.join(',')} unavailable on this kernel: ${d.reason}\n`);
  }
  const names = info.events.length <= 16 ? info.events.join(',') : `${events.join(',')}: ${info.events.slice(0, 8).join(',')},...`;
  process.stderr.write(
    `tracee-rs: attached to ${info.programs.length} hooks for ${info.events.length} events (${names}); syscalls: ${info.syscallHooks}; BTF: ${info.btf} [case ${info.decisionCase}]; via ${info.transport}\n`,
  );

  const stop = (): void => session.stop();
  // on, not once: a second Ctrl-C must not kill the process mid-summary
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const timer = durationMs === undefined ? undefined : setTimeout(stop, durationMs);
  let readerGone = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // The reader went away (e.g. `| head`): stop tracing; not an error.
    if (e.code !== 'EPIPE') throw e;
    readerGone = true;
    stop();
  });

  const parse = argv['parse-arguments'];
  const format = argv.output === 'json' ? (e: TraceeEvent) => jsonLine(e, parse) : tableRow;
  if (argv.output === 'table') process.stdout.write(tableHeader());
  let printed = 0;
  let failure: unknown;
  try {
    for (let batch: TraceeEvent[] | null; (batch = await session.next()) !== null; ) {
      if (readerGone || process.stdout.destroyed) continue;
      let text = '';
      for (const e of batch) text += format(e);
      printed += batch.length;
      if (!process.stdout.write(text)) await drained();
    }
  } catch (e) {
    failure = e;
  }
  if (timer) clearTimeout(timer);
  const stats = session.stats();
  process.stderr.write(`tracee-rs: ${stats.received} events seen, ${stats.lost} lost, ${printed} printed\n`);
  if (failure) fail(failure instanceof Error ? failure.message : String(failure));
}

