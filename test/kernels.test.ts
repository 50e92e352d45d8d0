// The proof on other kernels: Debian's packaged kernels booted under qemu
// with their BTF hidden (test/qemu/matrix.mjs, also `npm run test:kernels`).
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types
import { runMatrix } from './qemu/matrix.mjs';

interface Row {
  kernel: { key: string; embedded: boolean };
  decision?: { case?: number; error?: { code: string; message: string } };
  // functionEvents: the catalog's kernel-function events (events.tbl @function)
  traces: { hooks: string; programs: string[]; functionEvents: string[]; seen: number; expected: number }[];
  problems: string[];
}

describe('other kernels, under qemu', () => {
  it('each embedded Debian kernel: case 4, attached both ways, events and CO-RE fields right; one not embedded: case 5', async () => {
    const rows = (await runMatrix()) as Row[];
    const keys = rows.map((r) => r.kernel.key);
    for (const wanted of [/^debian\/11\/x86_64\/5\.10\..*-cloud-amd64$/, /^debian\/12\/x86_64\/6\.1\..*-\d+-amd64$/, /^debian\/12\/x86_64\/6\.1\..*-cloud-amd64$/, /^debian\/13\/x86_64\/6\.12\./]) {
      expect(keys.some((k) => wanted.test(k)), `${wanted} among ${keys}`).toBe(true);
    }
    expect(rows.filter((r) => !r.kernel.embedded)).toHaveLength(1);
    for (const r of rows) {
      expect(r.problems, r.kernel.key).toEqual([]);
      if (r.kernel.embedded) {
        expect(r.decision?.case).toBe(4);
        // auto picks the per-syscall tracepoints there too; raw is forced
        expect(r.traces.map((t) => t.hooks)).toEqual(['auto', 'raw']);
        expect(r.traces[0].programs).toContain('tracepoint/syscalls/sys_exit_openat');
        expect(r.traces[1].programs).toContain('raw_tracepoint/sys_exit');
        // the kernel functions, without the kernel's BTF: each through its kprobe
        for (const t of r.traces) {
          expect(t.functionEvents.length).toBeGreaterThan(0);
          expect(t.programs.filter((p) => p.startsWith('kprobe/')).sort()).toEqual(t.functionEvents.map((e) => `kprobe/${e}`).sort());
        }
      } else {
        expect(r.decision?.error?.message).toMatch(/^no BTF for this kernel: .* is not embedded \(closest embedded: /);
      }
    }
  }, 600_000);
});
