import { loadBinding } from './binding.js';
import { TraceeError } from './errors.js';
import type { NativeBtfInfo, NativeCheck, NativeEmbeddedBtf } from './generated/native.js';

/** The environment read, Tracee's load decision (or why there is none) and the embedded archive. */
export type BtfInfo = NativeBtfInfo;
/** One kernel whose minimized BTF is embedded. */
export type EmbeddedBtf = NativeEmbeddedBtf;

function call<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw TraceeError.from(e);
  }
}

/** Which object and BTF a trace started now would load, and why. */
export function btfInfo(): BtfInfo {
  return call(() => loadBinding().btfInfo());
}

/** The kernels whose minimized BTF is embedded in the native binary. */
export function btfList(): EmbeddedBtf[] {
  return call(() => loadBinding().btfList());
}

/** One embedded minimized BTF, by key (`id/version/arch/release`). */
export function btfExtract(key: string): Buffer {
  return call(() => loadBinding().btfExtract(key));
}

/** The build's size report of the embedded archive. */
export function btfReport(): string {
  return call(() => loadBinding().btfReport());
}

/** One preflight check: ok, warn (works at a cost) or fail (tracing cannot start). */
export type DoctorCheck = NativeCheck;

/** The preflight checks of `tracee-rs doctor`: privileges, lockdown, BTF, ring buffer, LSM, kprobes, tracefs. */
export function doctor(): DoctorCheck[] {
  return call(() => loadBinding().doctor());
}
