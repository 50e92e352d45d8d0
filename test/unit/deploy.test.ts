// The service files in deploy/ that no test runs as they would run (there is
// no systemd running here, no cluster): the systemd unit as
// scripts/install-service.sh installs it, which systemd-analyze verifies,
// and the Kubernetes manifest's shape, where its parts must agree with each
// other and with the image (deploy/Dockerfile). The image itself:
// test/agent-image.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_SOCKETS } from '@tracee/core';
import { resolveConfig } from '../../packages/cli/src/config/resolve.js';
import { DEFAULT_PID_FILE } from '../../packages/cli/src/reload-command.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const INSTALL = join(ROOT, 'scripts/install-service.sh');
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tracee-rs-deploy-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A unit file's `Key=value` lines of a section, in order (comments and blank lines left out). */
function section(unit: string, name: string): [string, string][] {
  const body = unit.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
  return body
    .split('\n')
    .slice(1)
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

describe('systemd: scripts/install-service.sh', () => {
  it('writes the unit with ExecStart naming the tracee-rs given, and a configuration it never overwrites', () => {
    const root = tempDir();
    const first = spawnSync('bash', [INSTALL, '--root', root, '--exec', process.execPath], { encoding: 'utf8' });
    expect([first.status, first.stderr]).toEqual([0, '']);
    const unitPath = join(root, 'etc/systemd/system/tracee-rs.service');
    const configPath = join(root, 'etc/tracee-rs/config.yaml');
    expect(first.stdout.split('\n')).toEqual([
      `install-service: wrote ${unitPath} (ExecStart=${process.execPath})`,
      `install-service: wrote ${configPath}`,
      `install-service: wrote ${join(root, 'etc/logrotate.d/tracee-rs')}`,
      `install-service: installed under ${root}; on that system: systemctl daemon-reload && systemctl enable --now tracee-rs`,
      '',
    ]);
    const unit = readFileSync(unitPath, 'utf8');
    const service = new Map(section(unit, 'Service'));
    // the config's pid-file is in the unit's runtime directory (/run is read-only under ProtectSystem=strict)
    const config = parse(readFileSync(configPath, 'utf8')) as { 'pid-file': string };
    expect(config['pid-file']).toBe(`/run/${service.get('RuntimeDirectory')}/tracee-rs.pid`);
    expect(config['pid-file']).toBe(DEFAULT_PID_FILE);
    // logrotate signals the main process to reopen its files
    expect(readFileSync(join(root, 'etc/logrotate.d/tracee-rs'), 'utf8')).toMatch(/postrotate\n\s+systemctl kill --kill-whom=main --signal=SIGUSR1 tracee-rs.service/);
    expect(service.get('ExecStart')).toBe(`${process.execPath} --config /etc/tracee-rs/config.yaml`);
    expect([service.get('Type'), service.get('Restart'), service.get('ExecReload')]).toEqual(['simple', 'on-failure', '/bin/kill -HUP $MAINPID']);
    expect(service.get('CapabilityBoundingSet')!.split(' ')).toEqual(['CAP_BPF', 'CAP_PERFMON', 'CAP_SYS_PTRACE', 'CAP_SYSLOG']);
    expect(new Map(section(unit, 'Install')).get('WantedBy')).toBe('multi-user.target');
    expect(unit).not.toContain('@TRACEE_RS@');
    expect(statSync(unitPath).mode & 0o777).toBe(0o644);
    expect(readFileSync(configPath, 'utf8')).toBe(readFileSync(join(ROOT, 'deploy/systemd/config.yaml'), 'utf8'));

    // again, over a configuration the user changed: the unit rewritten, the configuration kept
    writeFileSync(configPath, 'events: [execve]\n');
    const second = spawnSync('bash', [INSTALL, '--root', root, '--exec', process.execPath], { encoding: 'utf8' });
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`install-service: kept ${configPath}\n`);
    expect(readFileSync(configPath, 'utf8')).toBe('events: [execve]\n');
    expect(readFileSync(unitPath, 'utf8')).toBe(unit);
  });

  it('passes systemd-analyze verify (and a unit with a misspelt key does not)', () => {
    const root = tempDir();
    expect(spawnSync('bash', [INSTALL, '--root', root, '--exec', process.execPath]).status).toBe(0);
    const unitPath = join(root, 'etc/systemd/system/tracee-rs.service');
    const ok = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, '', '']);
    // the check is real: systemd-analyze names a wrong key
    const bad = join(tempDir(), 'tracee-rs.service');
    writeFileSync(bad, readFileSync(unitPath, 'utf8').replace('NoNewPrivileges=', 'NoNewPrivilege='));
    expect(spawnSync('systemd-analyze', ['verify', bad], { encoding: 'utf8' }).stderr).toMatch(/Unknown key 'NoNewPrivilege' in section \[Service\]/);
  });

  it('refuses a relative --exec, an unknown argument, and a missing tracee-rs', () => {
    const root = tempDir();
    // a PATH with the tools the script runs, and no tracee-rs
    const bin = tempDir();
    for (const tool of ['dirname', 'sed', 'install', 'chmod', 'mv']) symlinkSync(execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    const cases: [string[], RegExp][] = [
      [['--exec', 'bin/tracee-rs'], /^install-service: error: --exec 'bin\/tracee-rs' is not an absolute path/],
      [['--force'], /^install-service: error: unknown argument '--force'/],
      [[], /^install-service: error: tracee-rs is not on PATH/],
    ];
    for (const [args, error] of cases) {
      const r = spawnSync('/bin/bash', [INSTALL, '--root', root, ...args], { encoding: 'utf8', env: { ...process.env, PATH: bin } });
      expect([r.status, r.stderr], args.join(' ')).toEqual([1, expect.stringMatching(error)]);
    }
  });
});

describe('Kubernetes: deploy/kubernetes/daemonset.yaml', () => {
  interface K8sObject {
    kind: string;
    metadata: { name: string; namespace?: string };
    data?: Record<string, string>;
    spec?: { template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } };
  }
  interface Probe {
    httpGet: { path: string; port: string | number };
  }
  interface PodSpec {
    hostPID?: boolean;
    priorityClassName?: string;
    containers: {
      image: string;
      env: { name: string; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
      args: string[];
      ports: { name: string; containerPort: number }[];
      livenessProbe: Probe;
      readinessProbe: Probe;
      securityContext: {
        privileged: boolean;
        allowPrivilegeEscalation: boolean;
        readOnlyRootFilesystem: boolean;
        capabilities: { drop: string[]; add: string[] };
        seccompProfile: { type: string };
      };
      volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
    }[];
    volumes: { name: string; configMap?: { name: string }; hostPath?: { path: string } }[];
  }

  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/kubernetes/daemonset.yaml'), 'utf8'));
  const objects = docs.map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as K8sObject;
  });
  const ds = objects.find((o) => o.kind === 'DaemonSet')!;
  const pod = ds.spec!.template.spec;
  const [container] = pod.containers;
  const mountOf = (path: string) => container.volumeMounts.find((m) => m.mountPath === path);
  const volumeOf = (path: string) => pod.volumes.find((v) => v.name === mountOf(path)?.name);

  it('is a Namespace, a ConfigMap and a DaemonSet in it', () => {
    expect(objects.map((o) => [o.kind, o.metadata.namespace ?? ''])).toEqual([
      ['Namespace', ''],
      ['ConfigMap', 'tracee-rs'],
      ['DaemonSet', 'tracee-rs'],
    ]);
  });

  it("runs the image build-image.sh tags with this version (never :latest), as node-critical, naming the node in OTLP's resource", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    expect(container.image).toBe(`tracee-rs:${version}`);
    expect(readFileSync(join(ROOT, 'scripts/build-image.sh'), 'utf8')).toContain('version_tag=tracee-rs:$(node -p \'require("./packages/cli/package.json").version\')');
    expect(pod.priorityClassName).toBe('system-node-critical');
    // $(NODE_NAME) is expanded by the kubelet only from a variable defined before it
    expect(container.env).toEqual([
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'host.name=$(NODE_NAME),k8s.node.name=$(NODE_NAME)' },
    ]);
  });

  it("reads the ConfigMap's config.yaml, whose server the probes, the port and the scrape annotations point at", () => {
    // --config names a key of the ConfigMap mounted as a directory (so that its updates reach the pod)
    expect(container.args.slice(0, 1)).toEqual(['--config']);
    const configFile = container.args[1];
    const dir = configFile.slice(0, configFile.lastIndexOf('/'));
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === volumeOf(dir)?.configMap?.name)!;
    const config = parse(configMap.data![configFile.slice(dir.length + 1)]) as { server: { 'http-address': string; metrics: boolean; healthz: boolean } };
    expect([config.server.metrics, config.server.healthz]).toEqual([true, true]);
    const [, host, port] = /^(.*):(\d+)$/.exec(config.server['http-address'])!;
    // on every address: the kubelet and Prometheus come from outside the pod
    expect(host).toBe('0.0.0.0');
    const portOf = (probe: Probe) => (typeof probe.httpGet.port === 'number' ? probe.httpGet.port : container.ports.find((p) => p.name === probe.httpGet.port)!.containerPort);
    expect([portOf(container.livenessProbe), container.livenessProbe.httpGet.path]).toEqual([Number(port), '/healthz']);
    expect([portOf(container.readinessProbe), container.readinessProbe.httpGet.path]).toEqual([Number(port), '/readyz']);
    const annotations = ds.spec!.template.metadata.annotations;
    expect([annotations['prometheus.io/scrape'], annotations['prometheus.io/port'], annotations['prometheus.io/path']]).toEqual(['true', port, '/metrics']);
  });

  it("both shipped configurations (the ConfigMap's, systemd's) are valid configs that resolve to a server with metrics and health", () => {
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    const files: [string, string][] = [
      ['ConfigMap config.yaml', Object.values(configMap.data!)[0]],
      ['deploy/systemd/config.yaml', readFileSync(join(ROOT, 'deploy/systemd/config.yaml'), 'utf8')],
    ];
    for (const [name, text] of files) {
      const config = resolveConfig(text, name, {});
      expect([name, config.server?.metrics, config.server?.healthz]).toEqual([name, true, true]);
    }
  });

  it('runs unprivileged with the capabilities measured (docs/deploy.md), the host pid namespace and read-only mounts of what it reads', () => {
    expect(pod.hostPID).toBe(true);
    const sc = container.securityContext;
    expect([sc.privileged, sc.allowPrivilegeEscalation, sc.readOnlyRootFilesystem, sc.seccompProfile.type]).toEqual([false, false, true, 'RuntimeDefault']);
    expect(sc.capabilities).toEqual({ drop: ['ALL'], add: ['BPF', 'PERFMON', 'SYS_PTRACE', 'SYSLOG'] });
    // the os-release mount is where the image reads it (its LIBBPFGO_OSRELEASE_FILE)
    const osReleaseFile = /LIBBPFGO_OSRELEASE_FILE=(\S+)/.exec(readFileSync(join(ROOT, 'deploy/Dockerfile'), 'utf8'))![1];
    const hostPaths = [
      ['/sys/fs/cgroup', '/sys/fs/cgroup'],
      ['/sys/kernel/tracing', '/sys/kernel/tracing'],
      [osReleaseFile, '/etc/os-release'],
      // containerd's socket where tracee-rs looks for it by default (as Tracee)
      [DEFAULT_SOCKETS.containerd.slice(0, DEFAULT_SOCKETS.containerd.lastIndexOf('/')), '/run/containerd'],
    ];
    for (const [inPod, onHost] of hostPaths) {
      expect([mountOf(inPod)?.readOnly, volumeOf(inPod)?.hostPath?.path], inPod).toEqual([true, onHost]);
    }
  });
});
