// TRC-1026 rcd_modification: Tracee's signature of the same id
// (signatures/golang/rcd_modification.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

const FILES = ['/etc/rc.local', '/etc/init.d/rc.local'];
// Tracee's prefixes, as they are: no trailing slash (/etc/init.dX matches),
// no /etc/rc0.d, and /etc/rcs.d in lower case (Debian's /etc/rcS.d does not
// match)
const DIRS = ['/etc/rc1.d', '/etc/rc2.d', '/etc/rc3.d', '/etc/rc4.d', '/etc/rc5.d', '/etc/rc6.d', '/etc/rcs.d', '/etc/init.d', '/etc/rc.d/rc.local', '/etc/rc.d/init.d', '/etc/rc.d'];

const rule: Rule = traceeFileRule(
  meta('TRC-1026', 'rcd_modification', 'Rcd modification detected', 2, { tactic: 'Persistence', technique: 'RC Scripts', id: 'T1037.004', stixId: 'attack-pattern--dca670cf-eeec-438f-8185-fd959d9ef211', kubernetesTechnique: '' },
    "An rc script, run at boot or at a runlevel change, was opened for writing or renamed into place (/etc/rc.local, /etc/init.d, /etc/rc1.d to /etc/rc6.d, /etc/rc.d; Tracee's list: not /etc/rc0.d nor /etc/rcS.d, and any path starting with one of those directories' names), or update-rc.d was run. Where the rename hook cannot be traced, renames are the rename syscalls' (successful ones with an absolute new path)."),
  {
    open: 'write',
    rename: 'new',
    exec: ['update-rc.d'],
    matches: (p) => FILES.includes(p) || DIRS.some((d) => p.startsWith(d)),
    kernel: [...FILES, ...DIRS.map((d) => `${d}*`)],
  },
);

export default rule;
