// The catalog as TypeScript sees it: each event's hook kind, from
// bpf/events.tbl through schema.json (no kernel needed).
import { describe, expect, it } from 'vitest';
import { listEvents } from './index.js';

const byName = (name: string) => listEvents().find((e) => e.name === name)!;

describe('the catalog: how each event is hooked', () => {
  it('syscalls are hooked as syscalls; every other event says one kind', () => {
    for (const e of listEvents()) {
      expect(e.hook === 'syscall', e.name).toBe(e.syscall);
    }
    expect(new Set(listEvents().map((e) => e.hook))).toEqual(new Set(['syscall', 'function', 'derived', 'tracepoint', 'check', 'userspace']));
  });

  it('kernel functions with their fallback syscalls, derived events with theirs, tracepoints, checks', () => {
    expect(byName('openat')).toMatchObject({ hook: 'syscall' });
    expect(byName('openat')).not.toHaveProperty('after');
    expect(byName('security_file_open')).toMatchObject({ hook: 'function', fallback: ['open', 'openat', 'openat2', 'creat'] });
    expect(byName('cap_capable')).toMatchObject({ hook: 'function' });
    expect(byName('cap_capable')).not.toHaveProperty('fallback');
    expect(byName('magic_write')).toMatchObject({ hook: 'derived', after: ['write', 'pwrite64', 'writev', 'pwritev'] });
    expect(byName('socket_dup')).toMatchObject({ hook: 'derived', after: ['dup', 'dup2', 'dup3', 'fcntl'] });
    for (const name of ['sched_process_fork', 'sched_process_exec', 'sched_process_exit']) expect(byName(name).hook).toBe('tracepoint');
    for (const name of ['hooked_syscall', 'hooked_proc_fops']) expect(byName(name).hook).toBe('check');
  });
});
