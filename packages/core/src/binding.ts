// Finds the native binary: the per-platform npm package first (napi-rs
// convention, installed as an optionalDependency), then a local build
// (packages/core/native, from `npm run build`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import type * as Native from './generated/native.js';

const require = createRequire(import.meta.url);

export type NativeBinding = typeof Native;

/**
 * The C library this process runs on, as napi-rs names it in targets:
 * `-gnu` (glibc), `-musl`, or `''` off Linux. Read from the libraries this
 * process mapped (glibc's libc.so.6, musl's loader), which costs ~0.1 ms;
 * Node's diagnostic report, asked where that says nothing (a static
 * build), costs ~4 ms of every start-up.
 */
function libcSuffix(): string {
  if (process.platform !== 'linux') return '';
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    if (/\/libc\.so\.6$/m.test(maps)) return '-gnu';
    if (/\/ld-musl-[^/]*$/m.test(maps)) return '-musl';
  } catch {
    // no /proc: the report says
  }
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? '-gnu' : '-musl';
}

/** `linux-x64-gnu` style name of this platform, as napi-rs names targets. */
export function platformTriple(): string {
  return `${process.platform}-${process.arch}${libcSuffix()}`;
}

let cached: NativeBinding | undefined;

export function loadBinding(): NativeBinding {
  if (cached) return cached;
  const triple = platformTriple();
  if (endianness() !== 'LE') {
    throw new Error(`tracee-rs decodes little-endian records only; ${triple} is big-endian`);
  }
  const candidates = [`@tracee/core-${triple}`, `../native/tracee.${triple}.node`];
  const failures: string[] = [];
  for (const c of candidates) {
    try {
      cached = require(c) as NativeBinding;
      return cached;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // A binary that exists but fails to load is the error to report.
      if (err.code !== 'MODULE_NOT_FOUND') throw err;
      failures.push(c);
    }
  }
  throw new Error(
    `tracee-rs has no native binary for ${triple}: install @tracee/core-${triple} ` +
      `(npm install @tracee/core on a supported platform: linux-x64-gnu) or build it from source ` +
      `(npm run build in the tracee-rs repository); looked for ${failures.join(', ')}`,
  );
}
