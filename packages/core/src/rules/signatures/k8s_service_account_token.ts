// TRC-108 k8s_service_account_token: Tracee's signature of the same id
// (signatures/golang/k8s_service_account_token.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

// Tracee's expression, unanchored, its dots unescaped (Go's `.`: any
// character but a newline): secrets/kubernetes.io/serviceaccount.+token$
const TOKEN = /secrets\/kubernetes[^\n]io\/serviceaccount[^\n]+token$/;

const rule: Rule = traceeFileRule(
  meta('TRC-108', 'k8s_service_account_token', 'K8s service account token file read', 0, { tactic: 'Credential Access', technique: 'Exploitation for Credential Access', id: 'T1212', stixId: 'attack-pattern--9c306d8d-cde7-4b4c-b6e8-d0bb16caca36', kubernetesTechnique: 'Container service account' },
    "A process in a container opened a Kubernetes service account token for reading (a path with secrets/kubernetes.io/serviceaccount, then anything, ending in token), other than Kubernetes' own (flanneld, kube-proxy, etcd, kube-apiserver, coredns, kube-controller, kubectl, by process name): the token authenticates to the API server as that account."),
  {
    container: true,
    open: 'read',
    legit: ['flanneld', 'kube-proxy', 'etcd', 'kube-apiserver', 'coredns', 'kube-controller', 'kubectl'],
    matches: (p) => TOKEN.test(p),
    kernel: ['*token'],
  },
);

export default rule;
