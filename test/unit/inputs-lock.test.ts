// inputs.lock and scripts/inputs-lock.sh: the Debian packages the build
// reads are fetched by their pinned pool path, refused unless their sha256
// is the pinned one, extracted once and kept while intact. Real packages
// (dpkg-deb) served over HTTP by a mirror in this process, fetched by the
// script's own curl.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const LIB = join(ROOT, 'scripts/inputs-lock.sh');

const SYSCALLS_H = 'asmlinkage long sys_getppid(void);\n';
const UNISTD_H = '#define __NR_read 0\n#define __NR_write 1\n';

interface Pkg {
  use: string;
  suite: string;
  name: string;
  version: string;
  filename: string;
  files: Record<string, string>;
}

const PKGS: Pkg[] = [
  {
    use: 'syscalls',
    suite: 'trixie',
    name: 'linux-headers-9.9.9-common',
    version: '9.9.9-1',
    filename: 'pool/main/l/linux/linux-headers-9.9.9-common_9.9.9-1_all.deb',
    files: { 'usr/src/linux-headers-9.9.9-common/include/linux/syscalls.h': SYSCALLS_H, 'usr/src/linux-headers-9.9.9-common/Makefile': 'all:\n' },
  },
  {
    // a *-security suite: fetched from debian-security/
    use: 'include',
    suite: 'bookworm-security',
    name: 'linux-libc-dev',
    version: '1:6.1.1-1',
    filename: 'pool/updates/main/l/linux/linux-libc-dev_6.1.1-1_amd64.deb',
    files: { 'usr/include/x86_64-linux-gnu/asm/unistd_64.h': UNISTD_H, 'usr/share/doc/linux-libc-dev/copyright': 'GPL-2\n' },
  },
];

let dir: string;
let mirror: string;
let server: Server;
let url: string;
const requests: string[] = [];
const sums = new Map<string, string>();

const archive = (p: Pkg) => (p.suite.endsWith('-security') ? 'debian-security' : 'debian');
const debPath = (p: Pkg) => join(mirror, archive(p), p.filename);
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function buildDeb(p: Pkg): void {
  const root = join(dir, 'build', p.name);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  writeFileSync(
    join(root, 'DEBIAN/control'),
    `Package: ${p.name}\nVersion: ${p.version}\nArchitecture: all\nMaintainer: test <test@example.org>\nDescription: test package\n`,
  );
  for (const [path, text] of Object.entries(p.files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(dirname(debPath(p)), { recursive: true });
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, debPath(p)], { stdio: 'ignore' });
  sums.set(p.name, sha256(debPath(p)));
}

function lockText(pkgs: Pkg[]): string {
  return `# a test lock\n${pkgs.map((p) => `${p.use}  ${p.suite}  ${p.name}  ${p.version}  ${sums.get(p.name)}  ${p.filename}`).join('\n')}\n`;
}

/** Runs a function of scripts/inputs-lock.sh in bash with the test mirror. */
function lib(fn: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', 'set -euo pipefail; source "$0"; "$@"', LIB, fn, ...args],
      { env: { ...process.env, DEBIAN_MIRROR: url } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const errors = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('inputs-lock: error:'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tracee-inputs-lock-'));
  mirror = join(dir, 'mirror');
  PKGS.forEach(buildDeb);
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = join(mirror, decodeURIComponent(req.url ?? '/'));
    if (!existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('inputs.lock: pinned Debian packages', () => {
  it('extracts the pinned packages once, and again only what was damaged', async () => {
    const lock = join(dir, 'a.lock');
    const out = join(dir, 'a-out');
    const downloads = join(dir, 'a-debs');
    writeFileSync(lock, lockText(PKGS));
    const first = requests.length;
    const r = await lib('lock_fetch_headers', lock, out, downloads);
    expect(r.stderr).toBe(
      [
        `inputs-lock: fetching linux-headers-9.9.9-common 9.9.9-1: ${url}/debian/${PKGS[0].filename}`,
        'inputs-lock: syscall prototypes from linux-headers-9.9.9-common 9.9.9-1',
        `inputs-lock: fetching linux-libc-dev 1:6.1.1-1: ${url}/debian-security/${PKGS[1].filename}`,
        'inputs-lock: headers from linux-libc-dev 1:6.1.1-1',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
    expect(requests.slice(first)).toEqual([`/debian/${PKGS[0].filename}`, `/debian-security/${PKGS[1].filename}`]);
    expect(readFileSync(join(out, 'syscalls.h'), 'utf8')).toBe(SYSCALLS_H);
    const unistd = join(out, 'linux-libc-dev/usr/include/x86_64-linux-gnu/asm/unistd_64.h');
    expect(readFileSync(unistd, 'utf8')).toBe(UNISTD_H);
    // only the include directories, and the packages are not kept
    expect(readdirSync(join(out, 'linux-libc-dev/usr'))).toEqual(['include']);
    expect(readdirSync(downloads)).toEqual([]);

    // a second run fetches and writes nothing
    const inode = statSync(unistd).ino;
    const again = await lib('lock_fetch_headers', lock, out, downloads);
    expect(again).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(requests.length).toBe(first + 2);
    expect(statSync(unistd).ino).toBe(inode);

    // damaged (a truncated file, a changed header): extracted again, alone
    writeFileSync(join(out, 'syscalls.h'), SYSCALLS_H.slice(0, 10));
    appendFileSync(unistd, '#define __NR_evil 999\n');
    const repaired = await lib('lock_fetch_headers', lock, out, downloads);
    expect(repaired.code).toBe(0);
    expect(requests.length).toBe(first + 4);
    expect(readFileSync(join(out, 'syscalls.h'), 'utf8')).toBe(SYSCALLS_H);
    expect(readFileSync(unistd, 'utf8')).toBe(UNISTD_H);

    // a new pin is not met by the old extraction: the package is fetched
    // (here refused: the mirror has another file) and the old one left
    writeFileSync(lock, lockText(PKGS).replace(sums.get('linux-libc-dev')!, '0'.repeat(64)));
    const repinned = await lib('lock_fetch_headers', lock, out, downloads);
    expect(repinned.code).toBe(1);
    expect(errors(repinned.stderr)).toHaveLength(1);
    expect(readFileSync(unistd, 'utf8')).toBe(UNISTD_H);
  });

  it('refuses a package whose sha256 is not the pinned one', async () => {
    const lock = join(dir, 'b.lock');
    const out = join(dir, 'b-out');
    const downloads = join(dir, 'b-debs');
    writeFileSync(lock, lockText(PKGS));
    const deb = debPath(PKGS[1]);
    const good = readFileSync(deb);
    try {
      appendFileSync(deb, 'x'); // a tampered (or corrupted) download
      const r = await lib('lock_fetch_headers', lock, out, downloads);
      expect(r.code).toBe(1);
      expect(errors(r.stderr)).toEqual([
        `inputs-lock: error: ${url}/debian-security/${PKGS[1].filename} has sha256 ${sha256(deb)}, inputs.lock pins ${sums.get('linux-libc-dev')} for linux-libc-dev 1:6.1.1-1: refusing it`,
      ]);
      expect(existsSync(join(out, 'linux-libc-dev'))).toBe(false);
      expect(readdirSync(downloads)).toEqual([]);
      // a cached package that is not the pinned one is not used either:
      // it is fetched again (and refused again here)
      writeFileSync(join(downloads, 'linux-libc-dev_6.1.1-1_amd64.deb'), readFileSync(deb));
      const cached = await lib('lock_fetch_deb', downloads, PKGS[1].suite, PKGS[1].name, PKGS[1].version, sums.get('linux-libc-dev')!, PKGS[1].filename);
      expect(cached.code).toBe(1);
      expect(errors(cached.stderr)[0]).toMatch(/refusing it$/);
    } finally {
      writeFileSync(deb, good);
    }
    const fixed = await lib('lock_fetch_headers', lock, out, downloads);
    expect(fixed.code).toBe(0);
    expect(existsSync(join(out, 'linux-libc-dev/usr/include/x86_64-linux-gnu/asm/unistd_64.h'))).toBe(true);
  });

  it('a pinned package gone from the mirror: one line naming it and the update command', async () => {
    const lock = join(dir, 'c.lock');
    writeFileSync(lock, lockText(PKGS));
    const deb = debPath(PKGS[0]);
    const good = readFileSync(deb);
    unlinkSync(deb);
    try {
      const r = await lib('lock_fetch_headers', lock, join(dir, 'c-out'), join(dir, 'c-debs'));
      expect(r.code).toBe(1);
      expect(errors(r.stderr)).toEqual([
        `inputs-lock: error: linux-headers-9.9.9-common 9.9.9-1 (trixie) is no longer on ${url} (${url}/debian/${PKGS[0].filename}: HTTP 404); pin today's packages with scripts/fetch-inputs.sh --update-lock, then rebuild and commit inputs.lock`,
      ]);
    } finally {
      writeFileSync(deb, good);
    }
  });

  it('a malformed lock line is refused with its line number', async () => {
    const lock = join(dir, 'd.lock');
    const cases = [
      lockText(PKGS).replace(sums.get('linux-libc-dev')!, 'not-a-sha256'),
      lockText(PKGS).replace('include ', 'headers '),
      lockText(PKGS).replace('linux-libc-dev_6.1.1-1_amd64.deb', 'linux-libc-dev_6.1.2-1_amd64.deb'),
      `${lockText(PKGS)}include bookworm\n`,
    ];
    for (const text of cases) {
      writeFileSync(lock, text);
      const r = await lib('lock_entries', lock, 'include');
      expect(r.code, text).toBe(1);
      expect(errors(r.stderr)[0]).toMatch(new RegExp(`^inputs-lock: error: ${lock}:\\d+: not 'use suite package version sha256 pool/`));
    }
  });

  it('the committed inputs.lock pins every package the build reads', async () => {
    const r = await lib('lock_entries', join(ROOT, 'inputs.lock'), 'embed', 'boot', 'syscalls', 'include');
    expect(r.stderr).toBe('');
    const entries = r.stdout.trim().split('\n').map((l) => l.split(' '));
    const names = (use: string) => entries.filter((e) => e[0] === use).map((e) => e[2]);
    expect(names('embed').length).toBeGreaterThanOrEqual(4);
    expect(names('embed').every((n) => /^linux-image-.*-unsigned$/.test(n))).toBe(true);
    expect(names('syscalls')).toHaveLength(1);
    expect(names('syscalls')[0]).toMatch(/^linux-headers-.*-common$/);
    expect(names('include').sort()).toEqual(['libc6-dev', 'linux-libc-dev', 'linux-libc-dev-arm64-cross']);
    // where the build looks for them
    const build = readFileSync(join(ROOT, 'crates/tracee-core/build.rs'), 'utf8');
    for (const p of names('include')) expect(build).toContain(`.cache/inputs/${p}/usr/`);
    expect(build).toContain('.cache/inputs/syscalls.h');
  });
});
