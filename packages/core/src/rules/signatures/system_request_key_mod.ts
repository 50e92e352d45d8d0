// TRC-1031 system_request_key_mod: Tracee's signature of the same id
// (signatures/golang/system_request_key_config_modification.go).
import type { Rule } from '../rule.js';
import { ESCAPE, meta, traceeFileRule } from '../helpers.js';

const PATHS = ['/proc/sys/kernel/sysrq', '/proc/sysrq-trigger'];

const rule: Rule = traceeFileRule(
  meta('TRC-1031', 'system_request_key_mod', 'System request key configuration modification', 3, ESCAPE,
    'A process in a container opened /proc/sys/kernel/sysrq or /proc/sysrq-trigger for writing: the magic SysRq key can crash, reboot or freeze the host, or dump its tasks and registers to the kernel log.'),
  { container: true, open: 'write', matches: (p) => PATHS.includes(p), kernel: PATHS },
);

export default rule;
