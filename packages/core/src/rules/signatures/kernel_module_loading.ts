// TRC-1017 kernel_module_loading: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { argOf, errnos, meta, preferTracee } from '../helpers.js';

/**
 * security_kernel_read_file's `type` for a module: Tracee's parsed name, or
 * the kernel's READING_MODULE (enum kernel_read_file_id, 5.10+; 3 on older
 * kernels, where 2 was READING_FIRMWARE_PREALLOC_BUFFER).
 */
const KERNEL_MODULE = ['kernel-module', 2];
/** finit_module refused before it read the file (no capability, a bad fd): the hook did not run. */
const NOT_READ = errnos('EPERM', 'EBADF');

const rule: Rule = {
  ...meta('TRC-1017', 'kernel_module_loading', 'Kernel module loading detected', 2, { tactic: 'Persistence', technique: 'Kernel Modules and Extensions', id: 'T1547.006', stixId: 'attack-pattern--a1b52199-c8c5-438a-9ded-656f1d0888c6', kubernetesTechnique: '' },
    "A kernel module was loaded, or an attempt was made: any init_module call, or the kernel reading a module's file (finit_module), whether or not the kernel then accepted the module. Where security_kernel_read_file does not run here, finit_module calls count except those refused before the file is read (EPERM, EBADF)."),
  events: [
    { event: 'init_module' },
    { event: 'security_kernel_read_file' },
    // our equivalent of security_kernel_read_file (type kernel-module): the syscall that makes the kernel read a module's file
    { event: 'finit_module' },
  ],
  detect: () => (events$) => {
    const judged = preferTracee(['security_kernel_read_file'], ['finit_module']);
    return events$.pipe(
      filter(judged),
      filter((e) => {
        switch (e.eventName) {
          case 'init_module':
            return true;
          case 'security_kernel_read_file':
            return KERNEL_MODULE.includes(argOf(e, 'type') as string | number);
          default:
            return !NOT_READ.includes(e.returnValue);
        }
      }),
      map((event) => ({ event })),
    );
  },
};

export default rule;
