// What a user gets from npm: the packed packages install into an empty
// directory and run with no compiler on PATH, on hosts as old as RHEL 8.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tracee-rs-pack-'));
const app = join(dir, 'app');
const bin = join(dir, 'bin');
const NODE_BINARY = join(app, 'node_modules/@tracee/core-linux-x64-gnu/tracee.linux-x64-gnu.node');

beforeAll(() => {
  // the test build embeds this host's kernel (scripts/test.sh), which a release does not
  execFileSync('bash', [join(ROOT, 'scripts/pack.sh'), join(dir, 'tgz')], { stdio: 'ignore', env: { ...process.env, TRACEE_PACK_ALLOW_HOST_BTF: '1' } });
  const tgzs = readdirSync(join(dir, 'tgz')).map((f) => join(dir, 'tgz', f));
  expect(tgzs).toHaveLength(3);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tgzs], { cwd: app, stdio: 'ignore' });
  // a PATH with node and a shell (npx runs bins through sh), and no cc,
  // clang, cargo or make
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = () => ({ ...process.env, PATH: bin });

describe('npm packages', () => {
  it('install and run `npx tracee-rs --help` with no compiler on PATH', () => {
    for (const tool of ['cc', 'gcc', 'clang', 'cargo', 'rustc', 'make']) {
      expect(spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: env() }).status, tool).not.toBe(0);
    }
    const npx = join(process.execPath, '../npx');
    const help = spawnSync(process.execPath, [npx, '--no-install', 'tracee-rs', '--help'], { cwd: app, env: env(), encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('--events');
  });

  it('load the platform package binary and trace with it', () => {
    // the installed @tracee/core ships no binary of its own
    expect(readdirSync(join(app, 'node_modules/@tracee/core'))).not.toContain('native');
    const cli = join(app, 'node_modules/tracee-rs/dist/cli.js');
    const r = spawnSync(join(bin, 'node'), [cli, '-e', 'sched_process_exec', '-d', '300ms'], { cwd: app, env: env(), encoding: 'utf8' });
    expect(r.stderr).toMatch(/^tracee-rs: attached to 3 hooks for 1 events \(sched_process_exec\); syscalls: no syscalls selected;/);
    expect(r.status).toBe(0);
  });

  it('need glibc 2.28 or older and no shared library beyond glibc\'s own and libgcc', () => {
    const symbols = execFileSync('objdump', ['-T', NODE_BINARY], { encoding: 'utf8' });
    const versions = [...symbols.matchAll(/GLIBC_([0-9.]+)/g)].map((m) => m[1].split('.').map(Number));
    expect(versions.length).toBeGreaterThan(0);
    const newest = versions.reduce((a, b) => (a[0] * 1000 + a[1] >= b[0] * 1000 + b[1] ? a : b));
    expect(newest[0] * 1000 + newest[1], `needs GLIBC_${newest.join('.')}`).toBeLessThanOrEqual(2028);

    // A .node may leave symbols undefined, so a call glibc 2.17 lacks would
    // only fail at load on an old host: every strong undefined symbol must
    // be versioned (glibc, libgcc) or come from Node (napi_*).
    const unversioned = symbols
      .split('\n')
      .filter((l) => l.includes('*UND*') && !/^[0-9a-f]+\s+w\s/.test(l))
      .filter((l) => !/\b(GLIBC|GCC)_[0-9.]+/.test(l))
      .map((l) => l.trim().split(/\s+/).pop()!)
      .filter((name) => !name.startsWith('napi_'));
    expect(unversioned).toEqual([]);

    const dynamic = execFileSync('readelf', ['-d', NODE_BINARY], { encoding: 'utf8' });
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    // glibc's libraries and libgcc; librt is glibc's too (on glibc < 2.17,
    // which this binary supports, clock_gettime lives there)
    const allowed = /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2)$/;
    expect(needed.filter((l) => !allowed.test(l))).toEqual([]);
  });
});
