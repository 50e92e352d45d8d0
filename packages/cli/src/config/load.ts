// The configuration of a command: `--config FILE` read (when given) and
// resolved with the command's flags, before anything is started.
import { readFileSync } from 'node:fs';
import type { AgentConfig } from './agent-config.js';
import { ConfigError, resolveConfig, type ConfigArgs } from './resolve.js';

/**
 * Reads `argv.config` (if given) and resolves it with the flags. Throws a
 * ConfigError listing every problem (one for a file that cannot be read).
 */
export function loadConfig(argv: ConfigArgs & { config?: string }): AgentConfig {
  let text: string | undefined;
  if (argv.config !== undefined) {
    try {
      text = readFileSync(argv.config, 'utf8');
    } catch (e) {
      throw new ConfigError([{ file: argv.config, path: '', message: `cannot read it: ${(e as Error).message}` }]);
    }
  }
  return resolveConfig(text, argv.config, argv);
}
