// `tracee-rs config validate|show|schema`: check, print and describe the
// agent's configuration without tracing.
import { toYaml } from '@tracee/core';
import type { AgentConfig } from './config/agent-config.js';
import { loadConfig } from './config/load.js';
import { ConfigError, type ConfigArgs } from './config/resolve.js';
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

/** Checks a config file: `ok FILE: ...` with what it sets up, or every problem at its line. */
export function configValidateCommand(file: string): void {
  const config = resolved({ config: file });
  if (!config) return;
  const { destinations, streams } = config.output;
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
