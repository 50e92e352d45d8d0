// A bench configuration: tracee-rs tracing `events` into an RxJS subscriber
// that counts them. Prints "ready" once attached; on SIGINT/SIGTERM
// unsubscribes and prints one JSON line of counts.
//   node tracee-subscriber.mjs <events> [auto|raw|per-syscall]
// RING_MB=16 sets the ring buffer's size, to weigh loss against memory;
// SCOPE='comm=x;uid=0' a scope (Tracee's --scope filters, `;`-separated).
import { trace } from '../../packages/core/dist/index.js';

let count = 0;
let stats;
const sub = trace({
  events: process.argv[2].split(','),
  syscallHooks: process.argv[3] ?? 'auto',
  scope: process.env.SCOPE ? process.env.SCOPE.split(';') : undefined,
  ringBufferBytes: process.env.RING_MB ? Number(process.env.RING_MB) << 20 : undefined,
  onAttach: (_, s) => {
    stats = s;
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
  console.log(JSON.stringify({ delivered: count, received: s.received, lost: s.lost }));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
