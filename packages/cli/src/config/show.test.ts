// config show: the resolved configuration in the file's shape, secrets
// masked, and read back as --config it resolves to the same thing.
import { describe, expect, it } from 'vitest';
import { toYaml } from '@tracee/core';
import { resolveConfig } from './resolve.js';
import { MASK, configFile, maskUrl } from './show.js';

const TEXT = `events: [execve, openat]
duration: 1m
enrichment:
  container: {docker-socket: /run/docker.sock}
output:
  destinations:
    - {name: out, format: json}
    - name: siem
      type: webhook
      url: "https://bob:hunter2@siem.example:8443/in?api_key=k3y&tenant=blue"
      headers: {Authorization: "Bearer s3cret", X-Tenant: blue}
      timeout: 2500ms
      retries: 3
    - {name: otel, type: otlp, url: "http://collector:4317", protocol: grpc, headers: {api-key: abc}}
  streams:
    - {name: alerts, destinations: [siem], filters: {kind: findings, severity: 3}, buffer: {size: 10}}
  options: {parse-arguments: true}
server: {metrics: true}
aggregate: {window: 90s}
`;

describe('config show', () => {
  it('masks every secret: header values, URL passwords, secret-looking query values', () => {
    expect(maskUrl('https://bob:hunter2@siem.example:8443/in?api_key=k3y&tenant=blue&token=t&sig=s')).toBe(`https://bob:${MASK}@siem.example:8443/in?api_key=${MASK}&tenant=blue&token=${MASK}&sig=${MASK}`);
    expect(maskUrl('not a url')).toBe('not a url');
    // one that does not parse is masked by its shape: its errors are printed
    expect(maskUrl('http://u:pw9999@[::1/x')).toBe(`http://u:${MASK}@[::1/x`);
    expect(maskUrl('http://u:hunter2@[::1/in?token=ZZTOP&x=1')).toBe(`http://u:${MASK}@[::1/in?token=${MASK}&x=1`);
    const shown = toYaml(configFile(resolveConfig(TEXT, 'agent.yaml', {})));
    for (const secret of ['hunter2', 'k3y', 's3cret', 'abc']) expect(shown).not.toContain(secret);
    expect(shown).toContain('tenant=blue');
    expect(shown).toContain('X-Tenant');
  });

  it('prints every default filled in, in the file\'s shape', () => {
    expect(configFile(resolveConfig(TEXT, 'agent.yaml', {}))).toEqual({
      events: ['execve', 'openat'],
      rules: false,
      duration: '1m',
      'ring-buffer-mb': 32,
      'perf-buffer': false,
      'legacy-programs': false,
      'syscall-hooks': 'auto',
      enrichment: { container: { 'docker-socket': '/run/docker.sock' } },
      output: {
        destinations: [
          { name: 'out', type: 'file', format: 'json', path: 'stdout' },
          { name: 'siem', type: 'webhook', format: 'json', url: `https://bob:${MASK}@siem.example:8443/in?api_key=${MASK}&tenant=blue`, headers: { Authorization: MASK, 'X-Tenant': MASK }, timeout: '2500ms', retries: 3 },
          { name: 'otel', type: 'otlp', format: 'json', url: 'http://collector:4317', protocol: 'grpc', headers: { 'api-key': MASK } },
        ],
        streams: [{ name: 'alerts', destinations: ['siem'], filters: { events: [], policies: [], kind: 'findings', severity: 3 }, buffer: { mode: 'drop', size: 10 } }],
        options: { 'parse-arguments': true, 'exec-env': false },
      },
      server: { 'http-address': '127.0.0.1:3366', metrics: true, healthz: false },
      aggregate: { window: '90s' },
    });
  });

  it('read back as a config file (unmasked), it resolves to the same configuration, with flags or without', () => {
    for (const argv of [{}, { output: ['table', 'otlp:http://127.0.0.1:4318'], server: ['healthz'], 'ring-buffer-mb': 8, enrichment: ['none'] }]) {
      const first = resolveConfig(TEXT, 'agent.yaml', argv);
      const again = resolveConfig(toYaml(configFile(first, false)), 'agent.yaml', {});
      expect(again).toEqual(first);
    }
  });

  it("a flag's value the trace would refuse is refused with the trace's message", () => {
    expect(() => configFile(resolveConfig(undefined, undefined, { duration: 'soon' }))).toThrow("invalid duration 'soon': use e.g. 10s, 500ms, 2m or 1h");
    expect(() => configFile(resolveConfig(undefined, undefined, { enrichment: ['container=1'] }))).toThrow("invalid --enrichment value 'container=1': container takes no value");
  });
});
