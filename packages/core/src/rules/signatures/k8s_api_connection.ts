// TRC-1013 k8s_api_connection: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { IN_CONTAINER, STARTED_CONTAINER_EVENTS, StartedContainers, argOf, errnos, internet, ip, matchEach, meta, preferTracee, sockaddrOf } from '../helpers.js';

/** connect refused before security_socket_connect could run. */
const NOT_REACHED = errnos('EBADF', 'ENOTSOCK', 'EFAULT');

/** Tracee's reading of an environment: the first entry containing KUBERNETES_SERVICE_HOST=, its text after the first '=', trimmed. */
function apiServerOf(env: unknown): string {
  const entry = (Array.isArray(env) ? env : []).find((v): v is string => typeof v === 'string' && v.includes('KUBERNETES_SERVICE_HOST='));
  return entry === undefined ? '' : entry.slice(entry.indexOf('=') + 1).trim();
}

const rule: Rule = {
  ...meta('TRC-1013', 'k8s_api_connection', 'Kubernetes API server connection detected', 1, { tactic: 'Discovery', technique: 'Cloud Service Discovery', id: '', stixId: '', kubernetesTechnique: '' },
    "A started container connected to the Kubernetes API server (the IP address that the environment of a program it executed gave as KUBERNETES_SERVICE_HOST): from there it can gather secrets or start more containers. Containers are told apart by their id. Where security_socket_connect does not run here, the connect syscall: every call except those refused before the hook."),
  events: [
    { event: 'security_socket_connect', filters: [IN_CONTAINER] },
    // our equivalent of security_socket_connect
    { event: 'connect', filters: [IN_CONTAINER] },
    // sched_process_exec among them: the environment of every program the container runs (execEnv)
    ...STARTED_CONTAINER_EVENTS,
  ],
  execEnv: true,
  detect: () => (events$) => {
    const judged = preferTracee(['security_socket_connect'], ['connect']);
    // the API server's address per container id, as Tracee's
    const apiServer = new Map<string, string>();
    const started = new StartedContainers();
    return events$.pipe(
      matchEach((e) => {
        started.observe(e);
        if (!judged(e) || !started.has(e) || e.eventName === 'sched_process_fork' || e.eventName === 'sched_process_exit') return undefined;
        if (e.eventName === 'sched_process_exec') {
          const host = apiServerOf(argOf(e, 'env'));
          if (host !== '') apiServer.set(e.containerId, host);
          if (apiServer.size > 65_536) apiServer.delete(apiServer.keys().next().value!);
          return undefined;
        }
        const host = apiServer.get(e.containerId);
        if (host === undefined || (e.eventName === 'connect' && NOT_REACHED.includes(e.returnValue))) return undefined;
        const a = sockaddrOf(e, e.eventName === 'connect' ? 'addr' : 'remote_addr');
        return internet(a) && ip(a!) === host ? { event: e, data: { ip: host } } : undefined;
      }),
    );
  },
};

export default rule;
