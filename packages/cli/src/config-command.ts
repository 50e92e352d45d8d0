// `tracee-rs config validate|show|schema`: check, print and describe the
// agent's configuration without tracing.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BUILTIN_RULES, PolicyError, formatIssue, loadPolicies, loadRules, toYaml } from '@tracee/core';
import type { AgentConfig } from './config/agent-config.js';
import { loadConfig } from './config/load.js';
import { ConfigError, STANDARD_STREAMS, streamPolicyProblems, type ConfigArgs } from './config/resolve.js';
import { CONFIG_SCHEMA } from './config/schema.js';
import { configFile } from './config/show.js';

/** Resolves, or prints every problem (one line each) and sets exit code 1. */
function resolved(argv: ConfigArgs & { config?: string }): AgentConfig | undefined {
  try {
    return loadConfig(argv);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.lines()) process.stderr.write(`tracee-rs: error: ${line}\n`);
    process.exitCode = 1;
    return undefined;
  }
}

/**
 * Checks a config file: `ok FILE: ...` with what it sets up, or every
 * problem at its line; the policy files it names are checked too (and the
 * rules of its rules-dir loaded, for the signatures they may name).
 */
export async function configValidateCommand(file: string): Promise<void> {
  const config = resolved({ config: file });
  if (!config) return;
  let policyNames: string[] | undefined;
  if (config.trace.policy !== undefined) {
    try {
      const dir = config.trace['rules-dir'];
      policyNames = loadPolicies(config.trace.policy, dir === undefined ? BUILTIN_RULES : [...BUILTIN_RULES, ...(await loadRules(dir, BUILTIN_RULES))]).map((p) => p.name);
    } catch (e) {
      if (e instanceof PolicyError) for (const i of e.issues) process.stderr.write(`tracee-rs: error: ${formatIssue(i)}\n`);
      else process.stderr.write(`tracee-rs: error: ${(e as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
  }
  const problems = streamPolicyProblems(config, policyNames);
  if (problems.length > 0) {
    for (const line of problems) process.stderr.write(`tracee-rs: error: ${file}: ${line}\n`);
    process.exitCode = 1;
    return;
  }
  const { destinations, streams } = config.output;
  // a directory made later (systemd's LogsDirectory=) is fine; one that is never made fails the start
  for (const d of destinations) {
    if (d.type !== 'file' || d.path === undefined || STANDARD_STREAMS.has(d.path)) continue;
    const dir = dirname(resolve(d.path));
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      process.stderr.write(`tracee-rs: warning: ${file}: destination '${d.name}': directory '${dir}' does not exist here: the start fails unless it is made first (mkdir -p ${dir}, or systemd's LogsDirectory=)\n`);
    }
  }
  const named = streams.filter((s) => !s.implicit);
  const server = config.server ? `; server ${config.server.httpAddress} (${[config.server.metrics && 'metrics', config.server.healthz && 'healthz'].filter(Boolean).join(', ') || 'no endpoints'})` : '';
  process.stdout.write(
    `ok ${file}: ${destinations.length} destination${destinations.length === 1 ? '' : 's'} (${destinations.map((d) => `${d.name}: ${d.type} ${d.format}`).join(', ')}); ${named.length} stream${named.length === 1 ? '' : 's'}${named.length ? ` (${named.map((s) => s.name).join(', ')})` : ''}${server}${config.aggregate ? `; findings aggregated over ${config.aggregate.windowMs} ms` : ''}\n`,
  );
}

/** Prints the configuration that --config and these flags make, as YAML in the file's shape, secrets masked. */
export function configShowCommand(argv: ConfigArgs & { config?: string }): void {
  const config = resolved(argv);
  if (!config) return;
  let file;
  try {
    file = configFile(config);
  } catch (e) {
    process.stderr.write(`tracee-rs: error: ${(e as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(toYaml(file));
}

/** Prints the JSON Schema of the config file (for editors: yaml-language-server's `$schema`). */
export function configSchemaCommand(): void {
  process.stdout.write(`${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`);
}
