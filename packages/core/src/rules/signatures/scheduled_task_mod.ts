// TRC-1027 scheduled_task_mod: Tracee's signature of the same id
// (signatures/golang/scheduled_task_modification.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

const FILES = ['/etc/crontab', '/etc/anacrontab', '/etc/cron.deny', '/etc/cron.allow'];
// Tracee's prefixes, as they are: no trailing slash (/etc/cron.dailyX
// matches), /var/spool/cron/crontabs only (not Red Hat's /var/spool/cron/),
// and "var/spool/anacron" without its leading slash (evidently a typo), so
// that no absolute path matches it: Tracee's verdict is kept
const DIRS = ['/etc/cron.hourly', '/etc/cron.daily', '/etc/cron.weekly', '/etc/cron.monthly', '/etc/cron.d', '/var/spool/cron/crontabs', 'var/spool/anacron'];

const rule: Rule = traceeFileRule(
  meta('TRC-1027', 'scheduled_task_mod', 'Scheduled tasks modification detected', 2, { tactic: 'Persistence', technique: 'Cron', id: 'T1053.003', stixId: 'attack-pattern--2acf44aa-542f-4366-b4eb-55ef5747759c', kubernetesTechnique: '' },
    "A cron table or directory was opened for writing or renamed into place (/etc/crontab, /etc/anacrontab, /etc/cron.allow, /etc/cron.deny, /etc/cron.{hourly,daily,weekly,monthly,d}, /var/spool/cron/crontabs; Tracee's list: any path starting with one of those directories' names, and not /var/spool/anacron), or crontab, at, batch or launchd was run: a scheduled task outlives a reboot. Where the rename hook cannot be traced, renames are the rename syscalls' (successful ones with an absolute new path)."),
  {
    open: 'write',
    rename: 'new',
    exec: ['crontab', 'at', 'batch', 'launchd'],
    matches: (p) => FILES.includes(p) || DIRS.some((d) => p.startsWith(d)),
    kernel: [...FILES, ...DIRS.map((d) => `${d}*`)],
  },
);

export default rule;
