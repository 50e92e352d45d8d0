// Finds the native binary: the per-platform npm package first (napi-rs
// convention, installed as an optionalDependency), then a local build
// (packages/core/native, from `npm run build`).
import { createRequire } from 'node:module';
import { endianness } from 'node:os';
import type * as Native from './generated/native.js';

const require = createRequire(import.meta.url);

export type NativeBinding = typeof Native;

/** `linux-x64-gnu` style name of this platform, as napi-rs names targets. */
export function platformTriple(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const libc = process.platform === 'linux' ? (report?.header?.glibcVersionRuntime ? '-gnu' : '-musl') : '';
  return `${process.platform}-${process.arch}${libc}`;
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
