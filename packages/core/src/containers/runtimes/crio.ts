import { CriClient } from './cri.js';
import type { RuntimeClientOptions } from './types.js';

/**
 * CRI-O: the CRI client ({@link CriClient}) at CRI-O's socket (default
 * /var/run/crio/crio.sock), as Tracee asks it (pkg/datastores/container/runtime/crio.go).
 */
export class CrioClient extends CriClient {
  constructor(options: RuntimeClientOptions = {}) {
    super(options, 'crio');
  }
}
