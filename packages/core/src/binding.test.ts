import { describe, expect, it } from 'vitest';
import { platformTriple } from './binding.js';

describe('platformTriple', () => {
  it('names the C library this process runs on as Node\'s diagnostic report does', () => {
    const report = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
    const libc = process.platform === 'linux' ? (report.header.glibcVersionRuntime ? '-gnu' : '-musl') : '';
    expect(platformTriple()).toBe(`${process.platform}-${process.arch}${libc}`);
  });
});
