// TRC-108 k8s_service_account_token: Tracee's signature of the same id.
import type { Rule } from '../rule.js';
import { fileReadRule, meta } from '../helpers.js';

const rule: Rule = fileReadRule(
  meta('TRC-108', 'k8s_service_account_token', 'K8s service account token file read', 0, { tactic: 'Credential Access', technique: 'Exploitation for Credential Access', id: 'T1212' },
    "A Kubernetes service account's token was read: it authenticates to the API server as that account."),
  ['/var/run/secrets/kubernetes.io/serviceaccount/*', '/run/secrets/kubernetes.io/serviceaccount/*'],
  (p) => /^\/(var\/)?run\/secrets\/kubernetes\.io\/serviceaccount\/.*token$/.test(p),
);

export default rule;
