// TRC-1018 k8s_cert_theft: Tracee's signature of the same id
// (signatures/golang/kubernetes_certificate_theft_attempt.go).
import type { Rule } from '../rule.js';
import { meta, traceeFileRule } from '../helpers.js';

const DIR = '/etc/kubernetes/pki/';

const rule: Rule = traceeFileRule(
  meta('TRC-1018', 'k8s_cert_theft', 'K8s TLS certificate theft detected', 3, { tactic: 'Credential Access', technique: 'Steal Application Access Token', id: 'T1528', stixId: 'attack-pattern--890c9858-598c-401d-a4d5-c67ebcdd703a', kubernetesTechnique: '' },
    "A file under /etc/kubernetes/pki/ (the cluster's TLS certificates and keys) was opened for reading by a process other than Kubernetes' own (kube-apiserver, kubelet, kube-controller, etcd, by process name), or renamed away by any process: with them an adversary can impersonate a cluster component. Where the rename hook cannot be traced, renames are the rename syscalls' (successful ones with an absolute old path)."),
  { open: 'read', legit: ['kube-apiserver', 'kubelet', 'kube-controller', 'etcd'], rename: 'old', matches: (p) => p.startsWith(DIR), kernel: [`${DIR}*`] },
);

export default rule;
