// Tracee's cases for TRC-108 (signatures/golang/k8s_service_account_token_test.go),
// then ours. Tracee selects this signature's events from containers only
// (Origin: "container"); its tests call OnEvent directly, so their events
// are restated here as a container's (IN_CONTAINER).
import { traceeCases, type TraceeCase } from '../../testing/tracee-cases.js';
import { IN_CONTAINER, ON_HOST, O_RDONLY, O_RDWR, O_WRONLY, fileOpen, traceeMetadata, kernelLetsThrough } from '../../testing/file-cases.js';
import rule from './k8s_service_account_token.js';

traceeMetadata(rule, { id: 'TRC-108', name: 'K8s service account token file read', eventName: 'k8s_service_account_token', severity: 0, mitre: { tactic: 'Credential Access', technique: 'Exploitation for Credential Access', id: 'T1212', stixId: 'attack-pattern--9c306d8d-cde7-4b4c-b6e8-d0bb16caca36', kubernetesTechnique: 'Container service account' } });

const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const by = (processName: string) => ({ ...IN_CONTAINER, processName });

const cases: TraceeCase[] = [
  { name: 'should trigger detection', events: [fileOpen(TOKEN, O_RDONLY, by('test'))], findings: [{ trigger: 0, data: {} }] },
  { name: 'should not trigger detection - wrong open flags', events: [fileOpen(TOKEN, O_WRONLY, by('test'))], findings: [] },
  { name: 'should not trigger detection - wrong path', events: [fileOpen('/tmp/token', O_RDONLY, by('test'))], findings: [] },
  { name: 'should not trigger detection - legit proc', events: [fileOpen(TOKEN, O_RDONLY, by('flanneld'))], findings: [] },
  // ours
  { name: 'the host is not judged', events: [fileOpen(TOKEN, O_RDONLY, { ...ON_HOST, processName: 'test' })], findings: [] },
  { name: 'read-write is a read too', events: [fileOpen(TOKEN, O_RDWR, by('cat'))], findings: [{ trigger: 0, data: {} }] },
  { name: 'the projected volume\'s real file, under /run', events: [fileOpen('/run/secrets/kubernetes.io/serviceaccount/..2024_01_01_00_00_00.1/token', O_RDONLY, by('cat'))], findings: [{ trigger: 0, data: {} }] },
  { name: "the account's namespace file", events: [fileOpen('/var/run/secrets/kubernetes.io/serviceaccount/namespace', O_RDONLY, by('cat'))], findings: [] },
  { name: "every process Tracee allows, by name", events: ['kube-proxy', 'etcd', 'kube-apiserver', 'coredns', 'kube-controller', 'kubectl'].map((n) => fileOpen(TOKEN, O_RDONLY, by(n))), findings: [] },
  { name: "quirk: Tracee's dots are any character", events: [fileOpen('/x/secrets/kubernetes_io/serviceaccount_my-token', O_RDONLY, by('cat'))], findings: [{ trigger: 0, data: {} }] },
];

traceeCases(rule, cases);
kernelLetsThrough(rule, cases);
