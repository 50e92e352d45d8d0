// TRC-104 dynamic_code_loading: Tracee's signature of the same id.
import { filter, map } from '../../rx.js';
import type { Rule } from '../rule.js';
import { CONSTANTS } from '../../generated/schema.js';
import { constant, meta, num, str } from '../helpers.js';

/** Tracee's trace.ProtAlertMprotectWXToX (bpf/tracee.h): memory that was writable and executable made executable only. */
const MPROTECT_WX_TO_X = constant(CONSTANTS.mem_prot_alert, 'MEM_PROT_ALERT_MPROTECT_W_X_TO_X');
/** The same alert as Tracee's JSON prints it (parse-arguments). */
const MPROTECT_WX_TO_X_TEXT = 'Protection changed from W+E to E!';

const rule: Rule = {
  ...meta('TRC-104', 'dynamic_code_loading', 'Dynamic code loading detected', 2, { tactic: 'Defense Evasion', technique: 'Software Packing', id: 'T1027.002', stixId: 'attack-pattern--deb98323-e13f-4b0c-8d94-175379069062', kubernetesTechnique: '' },
    "Memory that was writable and executable was made executable only (mem_prot_alert 4, mprotect from W+X to X): code was written into memory and is now run, without an executable on disk. Only Tracee's alert 4 counts (a W+X mapping alone does not, as in Tracee)."),
  events: [{ event: 'mem_prot_alert', filters: [`data.alert=${MPROTECT_WX_TO_X}`] }],
  detect: () => (events$) => events$.pipe(filter((e) => num(e, 'alert') === MPROTECT_WX_TO_X || str(e, 'alert') === MPROTECT_WX_TO_X_TEXT), map((event) => ({ event }))),
};

export default rule;
