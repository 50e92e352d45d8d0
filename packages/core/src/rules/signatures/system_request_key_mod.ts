// TRC-1031 system_request_key_mod: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { ESCAPE, fileWriteRule, meta, oneOf } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-1031', 'system_request_key_mod', 'System request key configuration modification', 3, ESCAPE,
    'The magic SysRq key configuration or trigger was written: it can crash or reboot the host from a container.'),
  ['/proc/sys/kernel/sysrq', '/proc/sysrq-trigger'],
  oneOf(['/proc/sys/kernel/sysrq', '/proc/sysrq-trigger']),
);

export default rule;
