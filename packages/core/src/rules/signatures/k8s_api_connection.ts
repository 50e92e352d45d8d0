// TRC-1013 k8s_api_connection: Tracee's signature of the same id.
import { mergeMap } from 'rxjs';
import { KERNEL_VALUES, type Sockaddr } from '../../generated/schema.js';
import type { Rule, RuleMatch } from '../rule.js';
import { argOf, envVar, meta } from '../helpers.js';

const rule: Rule = {
  ...meta('TRC-1013', 'k8s_api_connection', 'Kubernetes API server connection detected', 1, { tactic: 'Discovery', technique: 'Cloud Service Discovery', id: 'T1526' },
    "A container connected to the Kubernetes API server (the address its environment's KUBERNETES_SERVICE_HOST names): from there it can gather secrets or start more containers."),
  // the environment of every program the container runs, however it was exec'd
  events: [{ event: 'sched_process_exec' }, { event: 'connect' }],
  execEnv: true,
  detect: () => (events$) => {
    // the API server's address per container (pid namespace), from the
    // environment its programs were executed with
    const apiServer = new Map<number, string>();
    return events$.pipe(
      mergeMap((e): RuleMatch[] => {
        if (e.pidNamespace === KERNEL_VALUES.PROC_PID_INIT_INO) return [];
        if (e.eventName === 'sched_process_exec' || e.eventName === 'execve') {
          const host = e.returnValue === 0 ? envVar(e, 'KUBERNETES_SERVICE_HOST')?.trim() : undefined;
          if (host) apiServer.set(e.pidNamespace, host);
          return [];
        }
        const a = argOf(e, 'addr') as Sockaddr | undefined;
        const ip = typeof a === 'object' ? (a.sin_addr ?? a.sin6_addr) : undefined;
        const host = apiServer.get(e.pidNamespace);
        return ip !== undefined && ip === host ? [{ event: e, data: { ip } }] : [];
      }),
    );
  },
};

export default rule;
