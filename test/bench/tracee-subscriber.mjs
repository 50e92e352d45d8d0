// A bench configuration: tracee-rs tracing `events` into an RxJS subscriber
// that counts them. Prints "ready" once attached; on SIGINT/SIGTERM
// unsubscribes and prints one JSON line of counts, with V8's account of
// its heap (heapNow) once attached (`attached`) and when last sent SIGUSR2
// (`peak`): the bench reads the rest of the memory breakdown from
// /proc/<pid>/smaps, from outside, so as not to allocate here what it
// measures, and signals when it has read it at a new peak.
//   node tracee-subscriber.mjs <events> [auto|raw|per-syscall]
// RING_MB=16 sets the ring buffer's size, to weigh loss against memory;
// SCOPE='comm=x;uid=0' a scope (Tracee's --scope filters, `;`-separated).
import { getHeapSpaceStatistics } from 'node:v8';
import { trace } from '../../packages/core/dist/index.js';

/** RSS and V8's heap now, in bytes: each space's resident size, and process.memoryUsage(). */
const heapNow = () => ({
  rss: process.memoryUsage.rss(),
  spaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])),
  usage: process.memoryUsage(),
});

let count = 0;
let stats;
let attached;
let peak;
process.on('SIGUSR2', () => {
  peak = heapNow();
});
const sub = trace({
  events: process.argv[2].split(','),
  syscallHooks: process.argv[3] ?? 'auto',
  scope: process.env.SCOPE ? process.env.SCOPE.split(';') : undefined,
  ringBufferBytes: process.env.RING_MB ? Number(process.env.RING_MB) << 20 : undefined,
  onAttach: (_, s) => {
    stats = s;
    attached = heapNow();
    console.log('ready');
  },
}).subscribe({
  next: () => count++,
  error: (e) => {
    console.error(e.message);
    process.exit(1);
  },
});
const stop = () => {
  const s = stats();
  sub.unsubscribe();
  console.log(JSON.stringify({ delivered: count, received: s.received, lost: s.lost, heap: { attached, peak: peak ?? attached } }));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
