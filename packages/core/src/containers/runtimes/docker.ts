import Docker from 'dockerode';
import { bounded, rfc3339Ns } from './call.js';
import { DEFAULT_SOCKETS, DEFAULT_TIMEOUT_MS, LABELS, podOf, type RuntimeClient, type RuntimeClientOptions, type RuntimeContainer } from './types.js';

/**
 * Docker's Engine API (the `dockerode` client over the unix socket): what
 * Tracee's Docker enricher reads (pkg/datastores/container/runtime/docker.go).
 *
 * - `name`: the container's `Name` without Docker's leading `/`;
 * - `image`: the image's first `RepoTags` entry, else the container's
 *   `Config.Image` (what it was started from, possibly an id);
 * - `imageDigest`: the image's first `RepoDigests` entry
 *   (`repo@sha256:<manifest digest>`), '' when the image has none (never
 *   pulled from or pushed to a registry);
 * - `pod.sandbox`: dockershim's label `io.kubernetes.docker.type=podsandbox`
 *   (Tracee compares with `sandbox`, which dockershim never sets; we read
 *   the value kubelet's dockershim wrote).
 *
 * Podman's Docker-compatible API is the same API ({@link PodmanClient}).
 */
export class DockerClient implements RuntimeClient {
  readonly runtime: 'docker' | 'podman' = 'docker';
  readonly socket: string;
  readonly timeoutMs: number;
  #docker: Docker;

  constructor(options: RuntimeClientOptions = {}, runtime: 'docker' | 'podman' = 'docker') {
    this.runtime = runtime;
    this.socket = options.socket ?? DEFAULT_SOCKETS[runtime];
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // the socket's idle timeout ends a request the deadline gave up on
    this.#docker = new Docker({ socketPath: this.socket, timeout: this.timeoutMs });
  }

  inspect(id: string, signal?: AbortSignal): Promise<RuntimeContainer | undefined> {
    return bounded(this.runtime, this.socket, this.timeoutMs, signal, (s) => this.#inspect(id, s));
  }

  list(signal?: AbortSignal): Promise<RuntimeContainer[]> {
    return bounded(this.runtime, this.socket, this.timeoutMs, signal, async (s) => {
      // GET /containers/json lists the running ones (all=false)
      const running = await this.#docker.listContainers({ abortSignal: s });
      const found = await Promise.all(running.map((c) => this.#inspect(c.Id, s)));
      return found.filter((c): c is RuntimeContainer => c !== undefined);
    });
  }

  close(): void {
    // dockerode keeps no connection open between requests
  }

  async #inspect(id: string, signal: AbortSignal): Promise<RuntimeContainer | undefined> {
    let c: Docker.ContainerInspectInfo;
    try {
      c = await this.#docker.getContainer(id).inspect({ abortSignal: signal });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
    const labels = c.Config?.Labels ?? {};
    // the sandbox value dockershim writes; Tracee's 'sandbox' too, in case a fork wrote that
    const sandbox = labels[LABELS.dockerType] === 'podsandbox' || labels[LABELS.dockerType] === 'sandbox';
    const out: RuntimeContainer = {
      id: c.Id,
      runtime: this.runtime,
      name: c.Name.replace(/^\//, ''),
      image: c.Config?.Image ?? '',
      imageDigest: '',
      createdAt: rfc3339Ns(c.Created),
      labels,
      pod: podOf(labels, sandbox),
    };
    if (!out.pod) delete out.pod;
    let image: Docker.ImageInspectInfo;
    try {
      // (dockerode's image inspect takes no signal: the modem's timeout ends it)
      image = await this.#docker.getImage(c.Image).inspect();
    } catch (e) {
      // an image removed since: the container's own words stay (as Tracee)
      if ((e as { statusCode?: number }).statusCode === 404) return out;
      throw e;
    }
    if (image.RepoTags?.length) out.image = image.RepoTags[0];
    if (image.RepoDigests?.length) out.imageDigest = image.RepoDigests[0];
    return out;
  }
}
