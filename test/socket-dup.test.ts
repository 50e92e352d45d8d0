// socket_dup (Tracee's 747), derived in the kernel at the exit of dup, dup2,
// dup3 and fcntl(F_DUPFD, F_DUPFD_CLOEXEC): a socket's fd duplicated, with
// the addresses read from the kernel's socket. The workload
// (fixtures/socket-dup.py) says what each event must show, from
// getpeername/getsockname.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventById, listEvents, trace, traceeJson, type TraceeEvent, type TraceOptions } from '@tracee/core';
import { arg, heldProgramIds, until } from './helpers.js';

const FIXTURE = new URL('./fixtures/socket-dup.py', import.meta.url).pathname;
/** The interpreter itself: a `python3` on PATH may be a shell shim (pyenv), whose bash dups stderr to save it. */
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

interface Row {
  pid: number;
  syscall: string;
  oldfd: number;
  newfd: number;
  remote_addr: Record<string, string>;
  local_addr: Record<string, string>;
}

/**
 * Traces socket_dup (with `options`) while the workload runs: its rows, and
 * the events of its processes in time order, once as many as `wanted(rows)`
 * have come (the workload's last dup follows every one that must give none:
 * one that gave an event anyway is among them, or makes the list longer).
 */
async function traceWorkload(
  options: TraceOptions = {},
  wanted = (rows: Row[]) => rows,
  command = (report: string, dir: string) => [PYTHON, FIXTURE, report, dir],
): Promise<{ rows: Row[]; events: TraceeEvent[]; pid: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'trc-socket-dup-'));
  const seen: TraceeEvent[] = [];
  let failure: unknown;
  const sub = trace(options.policies ? options : { events: ['socket_dup'], ...options }).subscribe({ next: (e) => seen.push(e), error: (e) => (failure = e) });
  try {
    expect(failure).toBeUndefined();
    const [cmd, ...args] = command(join(dir, 'report.json'), dir);
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    const rows = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Row[];
    const pids = new Set(rows.map((r) => r.pid));
    const mine = () => seen.filter((e) => pids.has(e.hostProcessId));
    await until(() => failure !== undefined || mine().length >= wanted(rows).length, 10_000, 'the workload\'s socket_dup events');
    expect(failure).toBeUndefined();
    return { rows, events: mine().sort((a, b) => a.timestamp - b.timestamp), pid: child.pid! };
  } finally {
    sub.unsubscribe();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An event as the workload's rows put it. */
const asRow = (e: TraceeEvent): Row => ({
  pid: e.hostProcessId,
  syscall: eventById(e.syscall)?.name ?? String(e.syscall),
  oldfd: arg(e, 'oldfd') as number,
  newfd: arg(e, 'newfd') as number,
  remote_addr: arg(e, 'remote_addr') as Record<string, string>,
  local_addr: arg(e, 'local_addr') as Record<string, string>,
});

describe('socket_dup', () => {
  const ways: [string, TraceOptions][] = [
    ['auto hooks', {}],
    ['raw hooks', { syscallHooks: 'raw' }],
    ['perf buffer', { perfBuffer: true }],
  ];
  for (const [way, options] of ways) {
    it(`each socket dup'd (reverse and bind shells, a forked child, a moved fd, IPv6, AF_UNIX path and abstract, dup3, dup, fcntl), no other dup (${way})`, async () => {
      const { rows, events, pid } = await traceWorkload(options);
      // the workload's own picture: 21 socket dups, by two processes
      expect(rows).toHaveLength(21);
      expect(new Set(rows.map((r) => r.pid)).size).toBe(2);
      expect(events.map(asRow)).toEqual(rows);
      // Tracee's eventId and argument order, then ours; the calls' return value is not the event's
      for (const e of events) {
        expect(e.eventId).toBe(747);
        expect(e.eventName).toBe('socket_dup');
        expect(e.args.map((a) => a.name)).toEqual(['oldfd', 'newfd', 'remote_addr', 'local_addr']);
        expect(e.returnValue).toBe(0);
      }
      // the reverse shell's first: stdin onto a TCP socket to the listener, in Tracee's JSON
      const json = JSON.parse(traceeJson(events[0])) as { eventName: string; eventId: string; syscall: string; processId: number; args: { name: string; type: string; value: unknown }[] };
      expect([json.eventName, json.eventId, json.syscall, json.processId]).toEqual(['socket_dup', '747', 'dup2', pid]);
      expect(json.args).toEqual([
        { name: 'oldfd', type: 'int', value: rows[0].oldfd },
        { name: 'newfd', type: 'int', value: 0 },
        { name: 'remote_addr', type: 'struct sockaddr *', value: { sa_family: 'AF_INET', sin_port: rows[0].remote_addr.sin_port, sin_addr: '127.0.0.1' } },
        { name: 'local_addr', type: 'struct sockaddr *', value: { sa_family: 'AF_INET', sin_port: rows[0].local_addr.sin_port, sin_addr: '127.0.0.1' } },
      ]);
      expect(rows[0].remote_addr.sin_port).not.toBe(rows[0].local_addr.sin_port);
    });
  }

  it('IPv6 link-local: the interface as the scope id of both addresses, as getpeername and getsockname give it', async () => {
    // a network namespace of its own with a veth pair, fe80::1 on v0
    const setup = 'ip link set lo up && ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up && ip addr add fe80::1/64 dev v0 nodad';
    const { rows, events } = await traceWorkload({}, undefined, (report, dir) => ['unshare', '-n', 'sh', '-c', `${setup} && exec "$0" "$@"`, PYTHON, FIXTURE, report, dir, 'v0']);
    expect(rows).toHaveLength(1);
    const scope = rows[0].local_addr.sin6_scopeid;
    expect(Number(scope)).toBeGreaterThan(1); // not lo's
    expect([rows[0].remote_addr.sin6_addr, rows[0].remote_addr.sin6_scopeid, rows[0].local_addr.sin6_addr]).toEqual(['fe80::1', scope, 'fe80::1']);
    expect(events.map(asRow)).toEqual(rows);
  });

  it("is listed with Tracee's id and arguments, then ours, in the net set", () => {
    const def = listEvents('net').find((e) => e.name === 'socket_dup');
    expect(def && [def.id, def.syscall, def.args.map((a) => `${a.type} ${a.name}`)]).toEqual([
      747,
      false,
      ['int oldfd', 'int newfd', 'struct sockaddr * remote_addr', 'struct sockaddr * local_addr'],
    ]);
  });

  it('policies: scoped in the kernel and filtered on its arguments, each event with the policy it matched', async () => {
    // the workload's processes are named after the interpreter they exec
    const comm = basename(PYTHON).slice(0, 15);
    const onStdout = (rows: Row[]) => rows.filter((r) => r.newfd === 1);
    const { rows, events } = await traceWorkload(
      {
        policies: [
          { name: 'workload', scope: [`comm=${comm}`], rules: [{ event: 'socket_dup', filters: ['data.newfd=1'] }] },
          { name: 'nobody', scope: ['comm=trc-no-such'], rules: [{ event: 'socket_dup' }] },
        ],
      },
      onStdout,
    );
    // reverse shell, forked child, bind shell, AF_UNIX path and abstract (accepted ends)
    expect(onStdout(rows)).toHaveLength(5);
    expect(events.map(asRow)).toEqual(onStdout(rows));
    expect(events.map((e) => e.matchedPolicies.join())).toEqual(Array(5).fill('workload'));
  });

  it('filters on its arguments as on any event: newfd=0 only', async () => {
    const onStdin = (rows: Row[]) => rows.filter((r) => r.newfd === 0);
    const { rows, events } = await traceWorkload({ events: ['socket_dup.data.newfd=0'] }, onStdin);
    const stdin = onStdin(rows);
    // reverse shell, child, moved fd, bind shell, IPv6, AF_UNIX path and abstract
    expect(stdin).toHaveLength(7);
    expect(events.map(asRow)).toEqual(stdin);
  });
});

describe('socket_dup: start-up cost', () => {
  /** Instructions of the loaded program that derives events at syscalls' exit, for a selection. */
  async function derivedProgramInsns(events: string[]): Promise<number> {
    let info: { programs: string[] } | undefined;
    const sub = trace({ events, syscallHooks: 'raw', onAttach: (i) => (info = i) }).subscribe();
    try {
      await until(() => info !== undefined, 10_000, 'attach');
      expect(info!.programs).toContain('raw_tracepoint/sys_exit');
      const mine = [...heldProgramIds()].map((id) => JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'id', String(id)], { encoding: 'utf8' })) as { name: string; bytes_xlated: number });
      const derived = mine.filter((p) => p.name.startsWith('tracee_derived_'));
      expect(derived).toHaveLength(1);
      return derived[0].bytes_xlated / 8;
    } finally {
      sub.unsubscribe();
    }
  }

  it("its code is verified only when it is selected, as magic_write's", async () => {
    const magic = await derivedProgramInsns(['magic_write']);
    const dup = await derivedProgramInsns(['socket_dup']);
    const both = await derivedProgramInsns(['magic_write', 'socket_dup']);
    // the verifier dropped the code of the unselected one: each alone is
    // shorter than both by the other's own code (here: socket_dup's ~800
    // instructions, magic_write's, with its path walk, ~3100)
    expect(both - magic).toBeGreaterThan(500);
    expect(both - dup).toBeGreaterThan(2000);
  });
});
