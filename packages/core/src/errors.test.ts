// Errors cross the native boundary with their code: the binding's errors
// carry tracee-core's code as `code` (napi's custom status) and the message
// as tracee-core wrote it; TraceeError.from keeps both.
import { afterEach, describe, expect, it } from 'vitest';
import { loadBinding } from './binding.js';
import { TraceeError } from './errors.js';
import { TraceSession } from './session.js';

/** What a call threw. */
function thrown(f: () => unknown): Error & { code?: unknown } {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: unknown };
  }
  throw new Error('expected the call to throw');
}

const policy = (event: string) => ({ name: '', scope: ['global'], rules: [{ event, filters: [] }] });
const btfFile = process.env.TRACEE_BTF_FILE;

afterEach(() => {
  if (btfFile === undefined) delete process.env.TRACEE_BTF_FILE;
  else process.env.TRACEE_BTF_FILE = btfFile;
});

describe('errors of native calls', () => {
  it('an unknown event: code EUNKNOWNEVENT, the message as tracee-core wrote it', () => {
    const err = thrown(() => loadBinding().NativeTracer.start({ policies: [policy('opnat')] }));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('EUNKNOWNEVENT');
    expect(err.message).toBe("unknown event 'opnat'; did you mean openat, openat2, creat? (`tracee-rs list events` lists them all)");
  });

  it('a bad BTF file: code EBTFFILE, before any privilege is needed', () => {
    process.env.TRACEE_BTF_FILE = '/dev/null';
    const err = thrown(() => loadBinding().NativeTracer.start({ policies: [policy('openat')] }));
    expect(err.code).toBe('EBTFFILE');
    expect(err.message).toBe(
      "TRACEE_BTF_FILE=/dev/null: /dev/null: 0 bytes, too short to be BTF; point it to a BTF file for this kernel (btfhub-archive's <release>.btf, or `pahole --btf_encode_detached`)",
    );
  });

  it('an option out of its choices, and a string that is not a kernel key: EINVAL, EBADKEY', () => {
    const hooks = thrown(() => loadBinding().NativeTracer.start({ policies: [policy('openat')], syscallHooks: 'fast' }));
    expect([hooks.code, hooks.message]).toEqual(['EINVAL', "syscallHooks 'fast' is not one of auto, raw, per-syscall"]);
    const key = thrown(() => loadBinding().btfExtract('nosuch'));
    expect([key.code, key.message]).toEqual(['EBADKEY', "'nosuch' is not a kernel key; use id/version/arch/release as `tracee-rs btf list` prints it"]);
  });
});

describe('TraceeError.from', () => {
  it('keeps the code and the message of a native error', () => {
    const err = thrown(() => TraceSession.start({ events: ['opnat'] }));
    expect(err).toBeInstanceOf(TraceeError);
    expect([err.code, err.message]).toEqual(['EUNKNOWNEVENT', "unknown event 'opnat'; did you mean openat, openat2, creat? (`tracee-rs list events` lists them all)"]);
  });

  it("leaves napi's own errors (an argument of the wrong shape) and other values as they are", () => {
    const napi = thrown(() => loadBinding().NativeTracer.start({} as never));
    expect(napi.code).toBe('InvalidArg');
    expect(TraceeError.from(napi)).toBe(napi);
    const plain = TraceeError.from('not an error');
    expect(plain).not.toBeInstanceOf(TraceeError);
    expect(plain.message).toBe('not an error');
  });
});
