// Measured tables in docs/ are written by the runs that measure them, never
// pasted: a run replaces the text between its markers,
//   <!-- BEGIN <name>: written by <writer>; do not edit -->
//   <!-- END <name> -->
// and leaves the rest of the page (the prose around it) as it is.
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Replaces section `name` of the markdown file `file` with `body`, stamped
 * with when and where it was measured. Throws if the page lacks the markers
 * (a renamed section must not be written silently elsewhere).
 */
export function writeDocSection(file, name, writer, body) {
  const text = readFileSync(file, 'utf8');
  const begin = new RegExp(`<!-- BEGIN ${name}:[^>]*-->`);
  const end = `<!-- END ${name} -->`;
  const b = begin.exec(text);
  const e = text.indexOf(end);
  if (!b || e < b.index) throw new Error(`${file} has no section '${name}' (${begin.source} ... ${end})`);
  const head = `<!-- BEGIN ${name}: written by ${writer}; do not edit -->`;
  writeFileSync(file, text.slice(0, b.index) + head + '\n' + body.trimEnd() + '\n' + text.slice(e));
}
