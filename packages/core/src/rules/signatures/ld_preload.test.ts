// Tracee's cases for TRC-107 (signatures/golang/ld_preload_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './ld_preload.js';

const O_WRONLY = 1;
const O_RDONLY = 0;

traceeCases(rule, [
  {
    name: 'should trigger detection - security_file_open',
    events: [{ eventName: 'security_file_open', args: [{ name: 'flags', value: O_WRONLY }, { name: 'pathname', value: '/etc/ld.so.preload' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should trigger detection - security_inode_rename',
    events: [{ eventName: 'security_inode_rename', args: [{ name: 'new_path', value: '/etc/ld.so.preload' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should trigger detection - sched_process_exec',
    events: [{ eventName: 'sched_process_exec', args: [{ name: 'env', value: ['FOO=BAR', 'LD_PRELOAD=/something'] }, { name: 'argv', value: ['ls'] }] }],
    findings: [{ trigger: 0, data: { LD_PRELOAD: 'LD_PRELOAD=/something' } }],
  },
  {
    name: 'should not trigger detection - security_file_open wrong path',
    events: [{ eventName: 'security_file_open', args: [{ name: 'flags', value: O_WRONLY }, { name: 'pathname', value: '/var/lib/some_file' }] }],
    findings: [],
  },
  {
    name: 'should not trigger detection - security_file_open wrong open flags',
    events: [{ eventName: 'security_file_open', args: [{ name: 'flags', value: O_RDONLY }, { name: 'pathname', value: '/etc/ld.so.preload' }] }],
    findings: [],
  },
  {
    name: 'should not trigger detection - security_inode_rename wrong path',
    events: [{ eventName: 'security_inode_rename', args: [{ name: 'new_path', value: '/tmp/something' }] }],
    findings: [],
  },
  {
    name: 'should not trigger detection - sched_process_exec',
    events: [{ eventName: 'sched_process_exec', args: [{ name: 'env', value: ['FOO=BAR', 'LD_LOAD=/something'] }, { name: 'argv', value: ['ls'] }] }],
    findings: [],
  },
  // ours
  {
    name: 'ours: the first preload variable in the environment is reported, whichever it is',
    events: [{ eventName: 'sched_process_exec', args: [{ name: 'env', value: ['LD_LIBRARY_PATH=/tmp/lib', 'LD_PRELOAD=/tmp/x.so'] }] }],
    findings: [{ trigger: 0, data: { LD_LIBRARY_PATH: 'LD_LIBRARY_PATH=/tmp/lib' } }],
  },
  {
    name: 'ours: an empty LD_PRELOAD is set all the same',
    events: [{ eventName: 'sched_process_exec', args: [{ name: 'env', value: ['LD_PRELOAD='] }] }],
    findings: [{ trigger: 0, data: { LD_PRELOAD: 'LD_PRELOAD=' } }],
  },
  {
    name: "ours: Tracee's flags as text (parse-arguments), O_RDWR|O_CLOEXEC",
    events: [{ eventName: 'security_file_open', args: [{ name: 'pathname', value: '/etc/ld.so.preload' }, { name: 'flags', value: 'O_RDWR|O_CLOEXEC' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: "ours: O_CREAT with O_RDONLY is not a write (Tracee's IsFileWrite: the access mode alone)",
    events: [{ eventName: 'security_file_open', args: [{ name: 'pathname', value: '/etc/ld.so.preload' }, { name: 'flags', value: 0o100 }] }],
    findings: [],
  },
  {
    name: "ours: a path ending in /etc/ld.so.preload (a container's root seen from the host)",
    events: [{ eventName: 'security_file_open', args: [{ name: 'pathname', value: '/var/lib/docker/overlay2/x/merged/etc/ld.so.preload' }, { name: 'flags', value: O_WRONLY }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: renameat2 onto /etc/ld.so.preload (no security_inode_rename here)',
    events: [{ eventName: 'renameat2', args: [{ name: 'olddirfd', value: -100 }, { name: 'oldpath', value: '/tmp/p' }, { name: 'newdirfd', value: -100 }, { name: 'newpath', value: '/etc/ld.so.preload' }, { name: 'flags', value: 0 }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: a refused rename (EACCES) did not reach the hook',
    events: [{ eventName: 'rename', returnValue: -13, args: [{ name: 'oldpath', value: '/tmp/p' }, { name: 'newpath', value: '/etc/ld.so.preload' }] }],
    findings: [],
  },
  {
    // the syscall gives the path as written: from /etc, 'ld.so.preload';
    // security_inode_rename would give /etc/ld.so.preload (a known gap of
    // the equivalent, on kernels without the hook)
    name: 'ours: a rename by a relative path is not seen without the hook',
    events: [{ eventName: 'renameat', args: [{ name: 'olddirfd', value: -100 }, { name: 'oldpath', value: 'p' }, { name: 'newdirfd', value: -100 }, { name: 'newpath', value: 'ld.so.preload' }] }],
    findings: [],
  },
  {
    name: 'ours: a kernel with both: security_inode_rename, then the syscall, one finding',
    events: [
      { eventName: 'security_inode_rename', args: [{ name: 'old_path', value: '/tmp/p' }, { name: 'new_path', value: '/etc/ld.so.preload' }] },
      { eventName: 'rename', args: [{ name: 'oldpath', value: '/tmp/p' }, { name: 'newpath', value: '/etc/ld.so.preload' }] },
    ],
    findings: [{ trigger: 0, data: {} }],
  },
]);
