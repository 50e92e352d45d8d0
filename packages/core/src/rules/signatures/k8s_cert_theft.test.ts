// Tracee's cases for TRC-1018 (signatures/golang/kubernetes_certificate_theft_attempt_test.go),
// then ours: the rename syscalls for security_inode_rename.
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { ON_HOST, O_RDONLY, O_RDWR, O_WRONLY, fileOpen, inodeRename, renameCall, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './k8s_cert_theft.js';

traceeMetadata(rule, { id: 'TRC-1018', name: 'K8s TLS certificate theft detected', eventName: 'k8s_cert_theft', severity: 3, mitre: { tactic: 'Credential Access', technique: 'Steal Application Access Token', id: 'T1528', stixId: 'attack-pattern--890c9858-598c-401d-a4d5-c67ebcdd703a', kubernetesTechnique: '' } });

const by = (processName: string) => ({ processName });

const cases: TraceeCase[] = [
  { name: 'should trigger detection - security_file_open', events: [fileOpen('/etc/kubernetes/pki/ca.crt', O_RDONLY, by('malware'))], findings: [{ trigger: 0, data: {} }] },
  { name: 'should trigger detection - security_inode_rename', events: [inodeRename({ old_path: '/etc/kubernetes/pki/ca.crt' })], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - security_file_open wrong open flags', events: [fileOpen('/etc/kubernetes/pki/ca.crt', O_WRONLY, by('test'))], findings: [] },
  { name: 'should not trigger detection - security_file_open wrong path', events: [fileOpen('/tmp/ca.crt', O_RDONLY, by('test'))], findings: [] },
  { name: 'should not trigger detection - security_file_open legit proc', events: [fileOpen('/etc/kubernetes/pki/ca.crt', O_RDONLY, by('kube-apiserver'))], findings: [] },
  { name: 'should not trigger detection - security_inode_rename wrong path', events: [inodeRename({ old_path: '/tmp/ca.crt' })], findings: [] },
  // ours
  { name: 'the host too (Origin "*"), read-write', events: [fileOpen('/etc/kubernetes/pki/ca.key', O_RDWR, { ...ON_HOST, processName: 'cat' })], findings: [{ trigger: 0, data: {} }] },
  { name: "every process Tracee allows, by name", events: ['kubelet', 'kube-controller', 'etcd'].map((n) => fileOpen('/etc/kubernetes/pki/ca.key', O_RDONLY, by(n))), findings: [] },
  { name: 'a rename is judged whoever makes it', events: [inodeRename({ old_path: '/etc/kubernetes/pki/ca.key', new_path: '/tmp/k' }, by('kubelet'))], findings: [{ trigger: 0, data: {} }] },
  { name: 'rename syscall out of pki (by its old path)', events: [renameCall('renameat2', '/etc/kubernetes/pki/ca.key', '/tmp/k', 0, by('mv'))], findings: [{ trigger: 0, data: {} }] },
  { name: 'rename syscall into pki is not it', events: [renameCall('rename', '/tmp/k', '/etc/kubernetes/pki/ca.key', 0, by('mv'))], findings: [] },
  { name: 'rename syscall from a relative path: not judged (the directory is unknown)', events: [renameCall('rename', 'ca.key', '/tmp/k', 0, by('mv'))], findings: [] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
