// trace()'s options checked before anything is loaded (no kernel needed):
// the ring's size, by the check the tracer sizes it with (tracee-core's
// check_ring_buffer_bytes), which the CLI's --ring-buffer-mb goes through too.
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TraceeError } from './errors.js';
import { trace } from './trace.js';

const LIMITS = 'a power of two times the page size (4096 bytes), at most 2147483648 bytes (2048 MiB)';

describe('trace({ ringBufferBytes })', () => {
  it.each([
    [3 * 4096, '12288 bytes (12 KiB)', '8192 bytes (8 KiB) or 16384 bytes (16 KiB)'],
    [1000, '1000 bytes', '4096 bytes (4 KiB)'],
    // numbers that are no u32: refused, not wrapped or cut by the binding
    [2 ** 32 + 8192, '4294975488 bytes (4194312 KiB)', '2147483648 bytes (2048 MiB)'],
    [8192.5, '8192.5 bytes', '8192 bytes (8 KiB) or 16384 bytes (16 KiB)'],
    [-4096, '-4096 bytes', '4096 bytes (4 KiB)'],
  ])('%d: an EINVAL naming the value and the sizes that work', async (bytes, given, fix) => {
    const error = await firstValueFrom(trace({ events: ['execve'], ringBufferBytes: bytes })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TraceeError);
    expect(error).toMatchObject({ code: 'EINVAL', message: `ringBufferBytes (--ring-buffer-mb): ${given} is not a size a BPF ring buffer takes: ${LIMITS}; use ${fix}` });
  });
});
