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

/** trace()'s error for `options`, or undefined if it started. */
const errorOf = (options: Parameters<typeof trace>[0]): Promise<unknown> =>
  firstValueFrom(trace(options)).then(
    () => undefined,
    (e: unknown) => e,
  );

describe('trace(): the batching options, checked as whole numbers in range (napi would wrap -1 to 49 days)', () => {
  it.each([
    [{ flushIntervalMs: -1 }, 'flushIntervalMs -1 is not a whole number from 0 to 1000'],
    [{ flushIntervalMs: 1e9 }, 'flushIntervalMs 1000000000 is not a whole number from 0 to 1000'],
    [{ flushIntervalMs: 2.5 }, 'flushIntervalMs 2.5 is not a whole number from 0 to 1000'],
    [{ batchEvents: 0 }, 'batchEvents 0 is not a whole number from 1 to 1048576'],
    [{ batchEvents: -5 }, 'batchEvents -5 is not a whole number from 1 to 1048576'],
    [{ batchEvents: 1e12 }, 'batchEvents 1000000000000 is not a whole number from 1 to 1048576'],
  ])('%o: an EINVAL naming the option, the value and the range', async (options, message) => {
    const error = await errorOf({ events: ['execve'], ...options });
    expect(error).toBeInstanceOf(TraceeError);
    expect(error).toMatchObject({ code: 'EINVAL', message });
  });
});

describe('trace(): option names', () => {
  it('a misspelt option is an EINVAL with the nearest name, not a trace of the defaults', async () => {
    const error = await errorOf({ evnets: ['execve'] } as Parameters<typeof trace>[0]);
    expect(error).toBeInstanceOf(TraceeError);
    expect(error).toMatchObject({ code: 'EINVAL' });
    expect((error as Error).message).toMatch(/^unknown option 'evnets'; did you mean events\? \(the options: events, scope, policies, /);
  });
});
