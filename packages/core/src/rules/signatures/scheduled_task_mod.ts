// TRC-1027 scheduled_task_mod: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { either, fileWriteRule, meta, oneOf, under } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-1027', 'scheduled_task_mod', 'Scheduled tasks modification detected', 2, { tactic: 'Persistence', technique: 'Cron', id: 'T1053.003' },
    'A cron table or cron directory was written: a scheduled task is a common way to keep running.'),
  ['/etc/crontab', '/etc/anacrontab', '/etc/cron.deny', '/etc/cron.allow', '/etc/cron.*', '/var/spool/cron/*', '/var/spool/anacron/*'],
  either(oneOf(['/etc/crontab', '/etc/anacrontab', '/etc/cron.deny', '/etc/cron.allow']), under(['/etc/cron.hourly/', '/etc/cron.daily/', '/etc/cron.weekly/', '/etc/cron.monthly/', '/etc/cron.d/', '/var/spool/cron/', '/var/spool/anacron/'])),
);

export default rule;
