// Tracee's cases for TRC-1027 (signatures/golang/scheduled_task_modification_test.go),
// then ours: Tracee's list as it is, the rename syscalls, the exec.
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { ON_HOST, O_RDONLY, O_WRONLY, fileOpen, inodeRename, processExec, renameCall, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './scheduled_task_mod.js';

traceeMetadata(rule, { id: 'TRC-1027', name: 'Scheduled tasks modification detected', eventName: 'scheduled_task_mod', severity: 2, mitre: { tactic: 'Persistence', technique: 'Cron', id: 'T1053.003', stixId: 'attack-pattern--2acf44aa-542f-4366-b4eb-55ef5747759c', kubernetesTechnique: '' } });

const cases: TraceeCase[] = [
  { name: 'should trigger detection - security_file_open file', events: [fileOpen('/etc/crontab', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_file_open directory', events: [fileOpen('/etc/cron.d/job', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename file', events: [inodeRename({ new_path: '/etc/crontab' })], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename directory', events: [inodeRename({ new_path: '/etc/cron.d/job' })], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - sched_process_exec', events: [processExec('/bin/crontab')], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - security_file_open wrong path', events: [fileOpen('/var/lib/some_file', O_WRONLY)], findings: [] },
  { name: 'should not trigger detection - security_file_open wrong open flags', events: [fileOpen('/etc/crontab', O_RDONLY)], findings: [] },
  { name: 'should not trigger detection - security_inode_rename wrong path', events: [inodeRename({ new_path: '/var/lib/some_file' })], findings: [] },
  { name: 'should not trigger detection - sched_process_exec', events: [processExec('/bin/ls')], findings: [] },
  // ours
  { name: 'the host too (Origin "*")', events: [fileOpen('/var/spool/cron/crontabs/root', O_WRONLY, ON_HOST)], findings: [{ trigger: 0, data: {} }] },
  { name: 'exec of at, batch, launchd at their real paths', events: [processExec('/usr/bin/at'), processExec('/usr/bin/batch'), processExec('/sbin/launchd')], findings: [0, 1, 2].map((trigger) => ({ trigger, data: {} })) },
  { name: 'exec of atq', events: [processExec('/usr/bin/atq')], findings: [] },
  { name: 'rename syscall into a cron directory', events: [renameCall('rename', '/etc/cron.d/.job.tmp', '/etc/cron.d/job')], findings: [{ trigger: 0, data: {} }] },
  { name: 'rename syscall to a relative path: not judged (the directory is unknown)', events: [renameCall('renameat', 'x', 'crontab')], findings: [] },
  { name: 'a failed rename syscall', events: [renameCall('rename', '/tmp/x', '/etc/crontab', -1)], findings: [] },
  // Tracee's prefixes as they are
  { name: 'quirk: prefixes without a trailing slash (/etc/cron.dailyX)', events: [fileOpen('/etc/cron.dailyX', O_WRONLY)], findings: [{ trigger: 0, data: {} }] },
  { name: "quirk: Red Hat's /var/spool/cron/<user> is not in Tracee's list (crontabs/ only)", events: [fileOpen('/var/spool/cron/root', O_WRONLY)], findings: [] },
  // Tracee writes "var/spool/anacron" without its leading slash: an absolute path never matches it
  { name: 'quirk: /var/spool/anacron does not match (the typo in Tracee\'s list)', events: [fileOpen('/var/spool/anacron/cron.daily', O_WRONLY), inodeRename({ new_path: '/var/spool/anacron/cron.daily' })], findings: [] },
  { name: "quirk: what Tracee's typo does match, a relative new_path", events: [inodeRename({ new_path: 'var/spool/anacron/cron.daily' })], findings: [{ trigger: 0, data: {} }] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
