// TRC-1017 kernel_module_loading: Tracee's signature of the same id.
import { map } from 'rxjs';
import type { Rule } from '../rule.js';
import { meta } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1017', 'kernel_module_loading', 'Kernel module loading detected', 2, { tactic: 'Persistence', technique: 'Kernel Modules and Extensions', id: 'T1547.006' },
    'A kernel module was loaded, or an attempt was made (init_module, finit_module): code in the kernel can hide anything. Attempts the kernel refused are findings too (data.loaded false).'),
  events: [{ event: 'init_module' }, { event: 'finit_module' }],
  detect: () => (events$) => events$.pipe(map((event) => ({ event, data: { loaded: event.returnValue === 0 } }))),
};

export default rule;
