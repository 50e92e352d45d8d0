// TRC-1026 rcd_modification: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { either, fileWriteRule, meta, oneOf, under } from '../helpers.js';

const rule: Rule = fileWriteRule(
  meta('TRC-1026', 'rcd_modification', 'Rcd modification detected', 2, { tactic: 'Persistence', technique: 'RC Scripts', id: 'T1037.004' },
    'An rc script (run at boot) was written.'),
  ['/etc/rc.local', '/etc/init.d/*', '/etc/rc.d/*', '/etc/rc0.d/*', '/etc/rc1.d/*', '/etc/rc2.d/*', '/etc/rc3.d/*', '/etc/rc4.d/*', '/etc/rc5.d/*', '/etc/rc6.d/*', '/etc/rcS.d/*'],
  either(oneOf(['/etc/rc.local', '/etc/init.d/rc.local']), under(['/etc/init.d/', '/etc/rc.d/', ...'0123456S'.split('').map((n) => `/etc/rc${n}.d/`)])),
);

export default rule;
