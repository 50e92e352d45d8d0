// Copies the container runtimes' API definitions (.proto) that
// scripts/fetch-inputs.sh fetched, pinned, into .cache/inputs/protos/ to
// packages/core/protos/, where the runtime clients load them at run time
// (src/containers/runtimes/proto.ts) and from where the package ships them.
// Fetched data, never committed. Run by `npm run build`.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, '..', '..', '.cache', 'inputs', 'protos');
const to = join(root, 'protos');
for (const name of ['containerd', 'cri-api']) {
  if (!existsSync(join(from, name))) {
    console.error(`protos: ${join(from, name)} is missing: run scripts/fetch-inputs.sh (it fetches the pinned API definitions)`);
    process.exit(1);
  }
}
rmSync(to, { recursive: true, force: true });
for (const name of ['containerd', 'cri-api']) {
  cpSync(join(from, name), join(to, name), { recursive: true, filter: (p) => !p.endsWith('.source') });
}
