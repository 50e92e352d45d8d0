// TRC-1018 k8s_cert_theft: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { fileReadRule, meta } from '../helpers.js';

const rule: Rule = fileReadRule(
  meta('TRC-1018', 'k8s_cert_theft', 'K8s TLS certificate theft detected', 3, { tactic: 'Credential Access', technique: 'Steal Application Access Token', id: 'T1528' },
    "A Kubernetes TLS certificate or key (/etc/kubernetes/pki/) was read by a process other than Kubernetes' own: with it an adversary can impersonate a cluster component."),
  ['/etc/kubernetes/pki/*'],
  (p) => p.startsWith('/etc/kubernetes/pki/'),
  ['kube-apiserver', 'kubelet', 'kube-controller', 'etcd'],
);

export default rule;
