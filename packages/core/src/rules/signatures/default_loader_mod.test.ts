// Tracee's cases for TRC-1012 (signatures/golang/default_loader_modification_test.go),
// then ours: the rename syscalls, the reach of Tracee's pattern.
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { ON_HOST, O_RDONLY, O_WRONLY, fileOpen, inodeRename, renameCall, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './default_loader_mod.js';

traceeMetadata(rule, { id: 'TRC-1012', name: 'Default dynamic loader modification detected', eventName: 'default_loader_mod', severity: 3, mitre: { tactic: 'Defense Evasion', technique: 'Hijack Execution Flow', id: 'T1574', stixId: 'attack-pattern--aedfca76-3b30-4866-b2aa-0f1d7fd1e4b6', kubernetesTechnique: '' } });

const LD = '/usr/lib/x86_64-linux-gnu/ld-2.31.so';

const cases: TraceeCase[] = [
  { name: 'should trigger detection - security_file_open', events: [fileOpen(LD, O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename', events: [inodeRename({ new_path: LD })], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - security_file_open wrong open flags', events: [fileOpen(LD, O_RDONLY)], findings: [] },
  { name: 'should not trigger detection - security_file_open wrong path', events: [fileOpen('/tmp/something', O_WRONLY)], findings: [] },
  { name: 'should not trigger detection - security_inode_rename wrong path', events: [inodeRename({ new_path: '/tmp/something' })], findings: [] },
  // ours
  { name: 'the host too (Origin "*"): /lib64', events: [fileOpen('/lib64/ld-linux-x86-64.so.2', O_WRONLY, ON_HOST)], findings: [{ trigger: 0, data: {} }] },
  { name: 'rename syscall onto the loader (a package upgrade does this)', events: [renameCall('rename', '/lib64/ld-linux-x86-64.so.2.dpkg-new', '/lib64/ld-linux-x86-64.so.2')], findings: [{ trigger: 0, data: {} }] },
  { name: 'another library', events: [fileOpen('/lib/x86_64-linux-gnu/libc.so.6', O_WRONLY)], findings: [] },
  { name: 'not under /lib or /usr/lib', events: [fileOpen('/usr/local/lib/ld.so', O_WRONLY)], findings: [] },
  { name: 'quirk: any name starting "ld" with ".so" after it (/usr/lib/ldap/...)', events: [fileOpen('/usr/lib/ldap/libfoo.so', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
