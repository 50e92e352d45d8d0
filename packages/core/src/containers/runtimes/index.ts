import { ContainerdClient } from './containerd.js';
import { CrioClient } from './crio.js';
import { DockerClient } from './docker.js';
import { PodmanClient } from './podman.js';
import type { RuntimeClient, RuntimeClientOptions, RuntimeName } from './types.js';

export { ContainerdClient, NAMESPACE_HEADER } from './containerd.js';
export { CriClient } from './cri.js';
export { CrioClient } from './crio.js';
export { DockerClient } from './docker.js';
export { PodmanClient } from './podman.js';
export { parseEnrichment, runtimeSockets, type ContainerEnrichment } from './enrichment.js';
export * from './types.js';

/** The client Tracee uses for `runtime` (containerd: its native API; podman: its Docker-compatible API). */
export function runtimeClient(runtime: RuntimeName, options: RuntimeClientOptions = {}): RuntimeClient {
  switch (runtime) {
    case 'docker':
      return new DockerClient(options);
    case 'podman':
      return new PodmanClient(options);
    case 'containerd':
      return new ContainerdClient(options);
    case 'crio':
      return new CrioClient(options);
  }
}
