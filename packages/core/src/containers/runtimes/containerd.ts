import type { Client } from '@grpc/grpc-js';
import { bounded } from './call.js';
import { withPod } from './cri.js';
import { connect, containerdServices, criServices, unary } from './proto.js';
import { DEFAULT_SOCKETS, DEFAULT_TIMEOUT_MS, LABELS, podOf, type RuntimeClient, type RuntimeClientOptions, type RuntimeContainer } from './types.js';

// The fields read, of containerd's native API (github.com/containerd/containerd/api services/).
interface Container {
  id: string;
  labels: Record<string, string>;
  image: string;
  createdAt: { seconds: string; nanos: number } | null;
}
interface Image {
  name: string;
  target: { digest: string } | null;
}

/** The gRPC header that names the containerd namespace a call is about (containerd's `namespaces` package). */
export const NAMESPACE_HEADER = 'containerd-namespace';

/**
 * containerd's native API (`containerd.services.containers.v1.Containers`
 * and the namespaces, tasks and images services), in every containerd
 * namespace (`k8s.io` holds the CRI plugin's, `moby` Docker's, `default`
 * ctr's): what Tracee's containerd enricher reads
 * (pkg/datastores/container/runtime/containerd.go).
 *
 * - `name`: the `io.kubernetes.container.name` label (containerd's
 *   containers have no name of their own), else '';
 * - `image`, `imageDigest`: the image record the container names, from
 *   containerd's image store (its name; its target's digest, the
 *   manifest's `sha256:<hex>`), else from the CRI image service (its first
 *   repo tag and repo digest), else the container's image reference for both;
 * - `pod.sandbox`: the CRI plugin's label `io.cri-containerd.kind=sandbox`.
 *
 * The CRI view of the same containerd is {@link CriClient} with runtime 'containerd'.
 */
export class ContainerdClient implements RuntimeClient {
  readonly runtime = 'containerd' as const;
  readonly socket: string;
  readonly timeoutMs: number;
  #containers: Client;
  #namespaces: Client;
  #tasks: Client;
  #images: Client;
  #criImages: Client;

  constructor(options: RuntimeClientOptions = {}) {
    this.socket = (options.socket ?? DEFAULT_SOCKETS.containerd).replace(/^unix:\/\//, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const s = containerdServices();
    // one channel: grpc-js shares the subchannel of one target among clients
    this.#containers = connect(s.Containers, this.socket);
    this.#namespaces = connect(s.Namespaces, this.socket);
    this.#tasks = connect(s.Tasks, this.socket);
    this.#images = connect(s.Images, this.socket);
    this.#criImages = connect(criServices().ImageService, this.socket);
  }

  inspect(id: string, signal?: AbortSignal): Promise<RuntimeContainer | undefined> {
    return bounded(this.runtime, this.socket, this.timeoutMs, signal, async (s) => {
      for (const ns of await this.#namespaceNames(s)) {
        const r = await unary<{ container: Container }>(this.#containers, 'get', { id }, s, { [NAMESPACE_HEADER]: ns });
        if (r) return this.#describe(r.container, ns, s);
      }
      return undefined;
    });
  }

  list(signal?: AbortSignal): Promise<RuntimeContainer[]> {
    return bounded(this.runtime, this.socket, this.timeoutMs, signal, async (s) => {
      const out: RuntimeContainer[] = [];
      for (const ns of await this.#namespaceNames(s)) {
        const md = { [NAMESPACE_HEADER]: ns };
        // a container runs while its task does
        const tasks = await unary<{ tasks: { id: string; status: string }[] }>(this.#tasks, 'list', {}, s, md);
        const running = new Set((tasks?.tasks ?? []).filter((t) => t.status === 'RUNNING').map((t) => t.id));
        const all = await unary<{ containers: Container[] }>(this.#containers, 'list', {}, s, md);
        for (const c of all?.containers ?? []) if (running.has(c.id)) out.push(await this.#describe(c, ns, s));
      }
      return out;
    });
  }

  close(): void {
    for (const c of [this.#containers, this.#namespaces, this.#tasks, this.#images, this.#criImages]) c.close();
  }

  async #namespaceNames(signal: AbortSignal): Promise<string[]> {
    const r = await unary<{ namespaces: { name: string }[] }>(this.#namespaces, 'list', {}, signal);
    return (r?.namespaces ?? []).map((n) => n.name);
  }

  async #describe(c: Container, ns: string, signal: AbortSignal): Promise<RuntimeContainer> {
    let image = c.image;
    let imageDigest = c.image;
    const stored = c.image ? await unary<{ image: Image }>(this.#images, 'get', { name: c.image }, signal, { [NAMESPACE_HEADER]: ns }).catch(() => undefined) : undefined;
    if (stored?.image.target) {
      image = stored.image.name;
      imageDigest = stored.image.target.digest;
    } else if (c.image) {
      // an image id, or a record deleted since: the CRI image service may still know it (the CRI plugin is optional: no answer is no error)
      const spec = c.image.startsWith('sha256:') ? { image: c.image.slice('sha256:'.length) } : { image: c.image };
      const cri = await unary<{ image: { repoTags: string[]; repoDigests: string[] } | null }>(this.#criImages, 'imageStatus', { image: spec }, signal).catch(() => undefined);
      if (cri?.image) {
        image = cri.image.repoTags[0] ?? image;
        imageDigest = cri.image.repoDigests[0] ?? imageDigest;
      }
    }
    const labels = c.labels;
    const createdAt = c.createdAt ? Number(c.createdAt.seconds) * 1e9 + c.createdAt.nanos : undefined;
    return withPod({
      id: c.id,
      runtime: this.runtime,
      name: labels[LABELS.containerName] ?? '',
      image,
      imageDigest,
      createdAt: createdAt || undefined,
      labels,
      pod: podOf(labels, labels[LABELS.containerdKind] === 'sandbox'),
    });
  }
}
