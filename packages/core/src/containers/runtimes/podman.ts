import { DockerClient } from './docker.js';
import type { RuntimeClientOptions } from './types.js';

/**
 * Podman, through its API service's Docker-compatible API (`podman system
 * service`, default socket /var/run/podman/podman.sock): the same client
 * as Docker's, as Tracee registers its Docker enricher for Podman
 * (pkg/datastores/container/containers.go). Podman's images carry their
 * manifest digest, so `imageDigest` is `repo@sha256:<manifest digest>`
 * also for an image only loaded locally.
 */
export class PodmanClient extends DockerClient {
  constructor(options: RuntimeClientOptions = {}) {
    super(options, 'podman');
  }
}
