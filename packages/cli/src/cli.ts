#!/usr/bin/env node
// tracee-rs: trace the host and print events. Pulls batches from the
// tracer only as fast as stdout takes them, so a slow reader backs up into
// the kernel ring, where the loss is counted and reported, not into memory.
import { once } from 'node:events';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { TraceSession, TraceeError, type TraceeEvent } from '@tracee/core';
import { jsonLine, parseDuration, tableHeader, tableRow } from './format.js';

const argv = yargs(hideBin(process.argv))
  .scriptName('tracee-rs')
  .usage('$0 [options]\n\nTrace this Linux host with eBPF and print every selected event (needs root).')
  .option('events', {
    alias: 'e',
    type: 'string',
    default: 'default',
    describe: 'comma-separated event names (syscalls such as openat, kernel events such as sched_process_exec) or sets (default, fs, proc, net, syscalls)',
  })
  .option('output', {
    alias: 'o',
    choices: ['table', 'json'] as const,
    default: 'table' as const,
    describe: 'table: aligned columns; json: one JSON object per line (Tracee field names)',
  })
  .option('duration', {
    alias: 'd',
    type: 'string',
    describe: 'stop after this long, e.g. 10s, 500ms, 2m (default: until Ctrl-C or SIGTERM)',
  })
  .option('ring-buffer-mb', {
    type: 'number',
    default: 8,
    describe: 'size of the kernel ring buffer in MiB (a power of two)',
  })
  .example('$0 --events execve,openat --output json', 'JSON lines of every execve and openat on the host')
  .example('$0 -e fs -o table -d 10s', 'a table of file-system syscalls for 10 seconds')
  .example('$0 -e sched_process_exec,sched_process_exit', 'process starts and exits')
  .example('$0 -e syscalls --ring-buffer-mb 64 -o json > trace.jsonl', 'every syscall, with a larger kernel ring for bursts')
  .epilogue('Once every program is attached, one line on stderr says so; at exit a summary line gives events seen and lost.')
  .strict()
  .help()
  .version(false)
  .parseSync();

function fail(message: string): never {
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

async function main(): Promise<void> {
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
    session = TraceSession.start({ events, ringBufferBytes: ringMb * 1024 * 1024 });
  } catch (e) {
    fail(e instanceof TraceeError ? e.message : String((e as Error).message ?? e));
  }
  const { info } = session;
  const names = info.events.length <= 16 ? info.events.join(',') : `${events.join(',')}: ${info.events.slice(0, 8).join(',')},...`;
  process.stderr.write(
    `tracee-rs: attached ${info.programs.length} programs for ${info.events.length} events (${names}); BTF: ${info.btf}\n`,
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

  const format = argv.output === 'json' ? jsonLine : tableRow;
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

main().catch((e) => fail(e instanceof Error ? e.message : String(e)));
