// Scopes, in the kernel, on the real host: one trace with one policy per
// scope field and operator, real child processes that must match and must
// not (own comm names, other uids, new namespaces, process trees), and each
// event's matchedPolicies checked. A global policy makes every workload's
// event arrive, so "must not match" is seen, not inferred from silence.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trace, type Policy, type TraceeEvent } from '@tracee/core';
import { arg, cgroup2Mount, containerCgroupsInKernel, until } from './helpers.js';

const DIR = `/tmp/trc-scope-${process.pid}`;
const UID = 4242;
/** The file a workload opens: which case, and whether it must match. */
const file = (name: string, yes: boolean) => `${DIR}/${name}-${yes ? 'yes' : 'no'}`;
/** A copy of a binary under another name: its comm. */
function named(bin: string, comm: string): string {
  const path = `${DIR}/bin/${comm}`;
  copyFileSync(bin, path);
  chmodSync(path, 0o755);
  return path;
}
const nsOf = (pid: number, kind: string) => Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`))![1]);

/** A process that waits for a line on stdin, then runs `script` (sh). */
class Gated {
  readonly child: ChildProcess;
  constructor(argv: string[]) {
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'ignore', 'ignore'] });
  }
  get pid(): number {
    return this.child.pid!;
  }
  /** The pid of its only child (for `unshare -f`: the process inside). */
  async innerPid(): Promise<number> {
    let inner = 0;
    await until(() => {
      inner = Number(readFileSync(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').trim().split(' ')[0] || 0);
      return inner > 0;
    }, 5000, 'the process inside unshare');
    return inner;
  }
  async release(): Promise<void> {
    this.child.stdin!.end('go\n');
    await once(this.child, 'exit');
  }
}

const run = (argv: string[]) => {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
  expect(r.error).toBeUndefined();
};
const asUid = (uid: number, argv: string[]) => ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...argv];

describe('scopes in the kernel', () => {
  const gated: Record<string, Gated> = {};
  const cleanups: (() => void)[] = [];
  beforeAll(() => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(`${DIR}/bin`, { recursive: true });
    chmodSync(DIR, 0o755);
  });
  afterAll(() => {
    for (const g of Object.values(gated)) g.child.kill('SIGKILL');
    rmSync(DIR, { recursive: true, force: true });
    for (const c of cleanups) c();
  });

  it('each field and operator: a process that matches carries the policy, one that must not does not', async () => {
    const cat = '/usr/bin/cat';
    const mycat = named(cat, 'trc-exe');
    // processes whose pids and namespaces the policies name: started first
    const pidFiles = (a: boolean) =>
      ['pid-eq', 'pid-ne', 'pid-lt', 'tid-eq', 'cgroup-eq'].map((n) => file(n, n === 'pid-ne' ? !a : a)).join(' ') + ' ' + file('pid-ge', !a) + ' ' + file('cgroup-ne', !a);
    gated.pidA = new Gated(['sh', '-c', `read x; exec cat ${pidFiles(true)}`]);
    gated.pidB = new Gated(['sh', '-c', `read x; exec cat ${pidFiles(false)}`]);
    gated.mnt = new Gated(['unshare', '-m', 'sh', '-c', `read x; exec cat ${file('mntns-eq', true)} ${file('mntns-ne', true)}`]);
    gated.pidns = new Gated(['unshare', '-p', '-f', 'sh', '-c', `read x; exec cat ${file('pidns-eq', true)} ${file('pidns-ne', true)}`]);
    // a tree: root -> sh -> (after the start) sh -> cat, three levels deep
    // (`; true` keeps each shell from exec'ing its last command in place)
    gated.root = new Gated(['sh', '-c', `sh -c 'read x; sh -c "cat ${file('tree-eq', true)} ${file('tree-ne', false)}; true"; true'; true`]);
    // running the executable before the start (cat reads stdin, then opens
    // its file): matched from /proc/<pid>/exe; the real cat not
    gated.exeBefore = new Gated([mycat, '-', file('exe-before', true)]);
    gated.catBefore = new Gated([cat, '-', file('exe-before', false)]);
    // pid=new: a process older than the trace is not new, even once it execs
    gated.old = new Gated(['sh', '-c', `read x; exec cat ${file('pid-new', false)}`]);
    const [pidA, pidB] = [gated.pidA.pid, gated.pidB.pid];
    const pidnsInner = await gated.pidns.innerPid();
    await until(() => nsOf(gated.mnt.pid, 'mnt') !== nsOf(process.pid, 'mnt'), 5000, 'unshare -m');
    const mntns = nsOf(gated.mnt.pid, 'mnt');
    const pidns = nsOf(pidnsInner, 'pid');
    const hostMnt = nsOf(process.pid, 'mnt');
    // A's own cgroup (v2): its id is the directory's inode
    const cgroupDir = `${cgroup2Mount()}/trc-scope-${process.pid}`;
    mkdirSync(cgroupDir);
    cleanups.push(() => rmdirSync(cgroupDir, { maxRetries: 5 }));
    writeFileSync(`${cgroupDir}/cgroup.procs`, String(pidA));
    const cgroupId = statSync(cgroupDir).ino;

    const scopes: Record<string, string[]> = {
      'comm-eq': ['comm=trc-comm-a'],
      'comm-ne': ['comm!=trc-comm-a'],
      // more comm values than the kernel compares in place: its hash map
      'comm-many': [`comm=${['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'trc-comm-b'].join(',')}`],
      'pid-eq': [`pid=${pidA}`],
      'pid-ne': [`pid!=${pidA}`],
      // A's side of B, whichever way round they are
      'pid-lt': [pidA < pidB ? `pid<${pidB}` : `pid>${pidB}`],
      'pid-ge': [pidA < pidB ? `pid>=${pidB}` : `pid<=${pidB}`],
      'tid-eq': [`tid=${pidA}`],
      'pid-new': ['pid=new'],
      'cgroup-eq': [`cgroup=${cgroupId}`],
      'cgroup-ne': [`cgroupId!=${cgroupId}`],
      'uid-eq': [`uid=${UID}`],
      'uid-ne': [`uid!=${UID}`],
      'uid-range': [`uid>=${UID - 100}`, `uid<${UID + 100}`],
      'uid-list': [`uid=1,${UID},3`],
      'uid-gt-le': [`uid>${UID - 1}`, `uid<=${UID}`],
      'mntns-eq': [`mntns=${mntns}`],
      'mntns-ne': [`mntns!=${hostMnt}`],
      'pidns-eq': [`pidns=${pidns}`],
      'pidns-ne': [`pidns!=${nsOf(process.pid, 'pid')}`],
      'uts-eq': ['uts=trc-uts-a'],
      'uts-ne': [`uts!=${hostname()}`],
      'tree-eq': [`tree=${gated.root.pid}`],
      'tree-ne': [`tree!=${gated.root.pid}`],
      follow: ['comm=trc-follow', 'follow'],
      'no-follow': ['comm=trc-follow'],
      'exe-eq': [`executable=${mycat}`],
      'exe-ne': [`exec!=${mycat}`],
      'exe-alias': ['executable=/bin/cat'],
      // the file that runs, however it was reached: a relative path, a
      // link, another mount of its directory, started before the trace
      'exe-relative': [`executable=${mycat}`],
      'exe-link': [`executable=${mycat}`],
      'exe-bind': [`executable=${mycat}`],
      'exe-before': [`executable=${mycat}`],
      container: ['container'],
      'not-container': ['not-container'],
      'and-of-two': ['comm=trc-comm-a', `uid=${UID}`],
    };
    const policies: Policy[] = [
      { name: 'all', scope: ['global'], rules: [{ event: 'openat', filters: [`data.pathname=${DIR}/*`] }] },
      ...Object.entries(scopes).map(([name, scope]) => ({ name, scope, rules: [{ event: 'openat', filters: [`data.pathname=${DIR}/*`] }] })),
    ];
    const seen: TraceeEvent[] = [];
    let failure: unknown;
    const sub = trace({ policies }).subscribe({ next: (e) => seen.push(e), error: (e) => (failure = e) });
    try {
      expect(failure).toBeUndefined();
      const commA = named(cat, 'trc-comm-a');
      const commB = named(cat, 'trc-comm-b');
      const follow = named('/usr/bin/dash', 'trc-follow');
      run([commA, file('comm-eq', true), file('comm-ne', false), file('comm-many', false)]);
      run([commB, file('comm-eq', false), file('comm-ne', true), file('comm-many', true)]);
      run(asUid(UID, [cat, ...['uid-eq', 'uid-range', 'uid-list', 'uid-gt-le'].map((n) => file(n, true)), file('uid-ne', false)]));
      run([cat, ...['uid-eq', 'uid-range', 'uid-list', 'uid-gt-le'].map((n) => file(n, false)), file('uid-ne', true)]);
      run(asUid(UID + 100, [cat, file('uid-range', false), file('uid-gt-le', false)]));
      run([cat, ...['mntns-eq', 'mntns-ne', 'pidns-eq', 'pidns-ne', 'uts-eq', 'uts-ne'].map((n) => file(n, false))]);
      run(['unshare', '-u', 'sh', '-c', `hostname trc-uts-a && exec cat ${file('uts-eq', true)} ${file('uts-ne', true)}`]);
      run(['unshare', '-u', 'sh', '-c', `hostname trc-uts-b && exec cat ${file('uts-eq', false)}`]);
      // comm matches the shell; its child and grandchild only by follow
      run([follow, '-c', `true < ${file('no-follow', true)}; sh -c 'cat ${file('follow', true)} ${file('no-follow', false)}; true'; true`]);
      run(['sh', '-c', `cat ${file('follow', false)}`]);
      run([mycat, file('exe-eq', true), file('exe-ne', false)]);
      run([cat, file('exe-eq', false), file('exe-ne', true), file('exe-alias', true)]);
      run(['/bin/cat', file('exe-alias', true)]);
      run(['/usr/bin/tac', file('exe-alias', false)]);
      run(['sh', '-c', `cd ${DIR}/bin && exec ./trc-exe ${file('exe-relative', true)}`]);
      // a copy of the same program is another file
      const copy = named(cat, 'trc-exe-copy');
      run(['sh', '-c', `cd ${DIR}/bin && exec ./trc-exe-copy ${file('exe-relative', false)}`]);
      symlinkSync(mycat, `${DIR}/exe-link`);
      run([`${DIR}/exe-link`, file('exe-link', true)]);
      run([copy, file('exe-link', false)]);
      run(['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mkdir -p ${DIR}/bound && mount --bind ${DIR}/bin ${DIR}/bound && ${DIR}/bound/trc-exe ${file('exe-bind', true)}; exec ${DIR}/bound/trc-exe-copy ${file('exe-bind', false)}`]);
      // a container is a cgroup a runtime made for it (named by its id), not
      // a namespace: a process moved into a cgroup named as containerd names
      // its containers' (a 64-hex id), made after the trace started, is in
      // one; unshare -p's and the host's are not (test/containers.test.ts:
      // the real runtimes)
      const ctrDir = `${cgroup2Mount()}/trc-scope-${process.pid}-ctr`;
      const ctrCgroup = `${ctrDir}/${'c0ffee'.repeat(10)}abcd`;
      mkdirSync(ctrCgroup, { recursive: true });
      cleanups.push(() => {
        rmdirSync(ctrCgroup, { maxRetries: 5 });
        rmdirSync(ctrDir);
      });
      // the trace has taken its cgroup_mkdir (a runtime's container gets the
      // same moments: runc sets its cgroup up before the container runs)
      await until(() => containerCgroupsInKernel().has(statSync(ctrCgroup).ino), 5000, 'the container cgroup in the kernel map');
      run(['sh', '-c', `echo $$ > ${ctrCgroup}/cgroup.procs && exec cat ${file('container', true)} ${file('not-container', false)}`]);
      run(['unshare', '-p', '-f', cat, file('container', false), file('not-container', true)]);
      run([cat, file('container', false), file('not-container', true)]);
      run([cat, file('pid-new', true)]);
      run(asUid(UID, [commA, file('and-of-two', true)]));
      run([commA, file('and-of-two', false)]);
      run(asUid(UID, [commB, file('and-of-two', false)]));
      // pids, namespaces and the tree were fixed before the start
      run(['sh', '-c', `cat ${file('tree-eq', false)} ${file('tree-ne', true)}`]);
      for (const g of Object.values(gated)) await g.release();

      const expected = Object.keys(scopes).flatMap((name) => [file(name, true), file(name, false)]);
      const paths = () => new Set(seen.map((e) => arg(e, 'pathname')));
      await until(() => failure !== undefined || expected.every((p) => paths().has(p)), 15_000, 'every workload open').catch(() => {});
      expect(failure).toBeUndefined();
      expect(expected.filter((p) => !paths().has(p))).toEqual([]);

      const wrong: string[] = [];
      for (const name of Object.keys(scopes)) {
        for (const yes of [true, false]) {
          for (const e of seen.filter((x) => arg(x, 'pathname') === file(name, yes))) {
            // the global policy sees everything; the case's policy only what it must
            if (!e.matchedPolicies.includes('all') || e.matchedPolicies.includes(name) !== yes) {
              wrong.push(`${name}-${yes ? 'yes' : 'no'} by ${e.processName} (pid ${e.hostProcessId}, uid ${e.userId}): ${e.matchedPolicies.join(',')}`);
            }
          }
        }
      }
      expect(wrong).toEqual([]);
    } finally {
      sub.unsubscribe();
    }
  }, 60_000);

  it('64 policies at once, as in Tracee: the last one is bit 63, end to end', async () => {
    const target = named('/usr/bin/cat', 'trc-64');
    const rules = [{ event: 'openat', filters: [`data.pathname=${DIR}/64-*`] }];
    const policies: Policy[] = Array.from({ length: 64 }, (_, i) => ({ name: `p${i}`, scope: [i === 63 ? 'comm=trc-64' : i === 31 ? 'uid=4242' : `comm=trc-64-not-${i}`], rules }));
    const seen: TraceeEvent[] = [];
    const sub = trace({ policies }).subscribe((e) => seen.push(e));
    try {
      run([target, `${DIR}/64-root`]);
      run(asUid(UID, [target, `${DIR}/64-uid`]));
      await until(() => seen.length >= 2, 10_000, 'both opens');
      expect(seen.map((e) => [arg(e, 'pathname'), [...e.matchedPolicies]])).toEqual([
        [`${DIR}/64-root`, ['p63']],
        [`${DIR}/64-uid`, ['p31', 'p63']],
      ]);
    } finally {
      sub.unsubscribe();
    }
  }, 30_000);

  it('two policies with different scopes: each event carries exactly the policies it matched', async () => {
    const commA = named('/usr/bin/cat', 'trc-two-a');
    const policies: Policy[] = [
      { name: 'by-comm', scope: ['comm=trc-two-a'], rules: [{ event: 'openat', filters: [`data.pathname=${DIR}/two-*`] }] },
      { name: 'by-uid', scope: [`uid=${UID}`], rules: [{ event: 'openat', filters: [`data.pathname=${DIR}/two-*`] }, { event: 'close' }] },
    ];
    const seen: TraceeEvent[] = [];
    const sub = trace({ policies }).subscribe((e) => seen.push(e));
    try {
      run([commA, `${DIR}/two-comm`]);
      run(asUid(UID, [commA, `${DIR}/two-both`]));
      run(asUid(UID, ['/usr/bin/cat', `${DIR}/two-uid`]));
      run(['/usr/bin/cat', `${DIR}/two-none`]);
      run([commA, `${DIR}/two-end`]);
      await until(() => seen.some((e) => arg(e, 'pathname') === `${DIR}/two-end`), 10_000, 'the last open');
      const opens = seen.filter((e) => e.eventName === 'openat').map((e) => [arg(e, 'pathname'), [...e.matchedPolicies]]);
      expect(opens).toEqual([
        [`${DIR}/two-comm`, ['by-comm']],
        [`${DIR}/two-both`, ['by-comm', 'by-uid']],
        [`${DIR}/two-uid`, ['by-uid']],
        [`${DIR}/two-end`, ['by-comm']],
      ]);
      // close is by-uid's only: only uid 4242's, and only that policy
      const closes = seen.filter((e) => e.eventName === 'close');
      expect(closes.length).toBeGreaterThan(0);
      expect(closes.every((e) => e.userId === UID && e.matchedPolicies.join() === 'by-uid')).toBe(true);
    } finally {
      sub.unsubscribe();
    }
  }, 30_000);
});
