import type { Client } from '@grpc/grpc-js';
import { bounded } from './call.js';
import { connect, criServices, unary } from './proto.js';
import { DEFAULT_SOCKETS, DEFAULT_TIMEOUT_MS, LABELS, podOf, type RuntimeClient, type RuntimeClientOptions, type RuntimeContainer } from './types.js';

// The fields read, of CRI runtime.v1's messages (k8s.io/cri-api pkg/apis/runtime/v1/api.proto).
interface CriContainer {
  id: string;
  metadata: { name: string } | null;
  image: { image: string } | null;
  imageRef: string;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface CriSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string } | null;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * Kubernetes' CRI (`runtime.v1.RuntimeService`): what Tracee's CRI-O
 * enricher reads (pkg/datastores/container/runtime/crio.go), at any CRI
 * runtime's socket (CRI-O's, containerd's CRI plugin).
 *
 * - a container id: ContainerStatus: `name` is the container's metadata
 *   name, `image` its image spec (`image.image`), `imageDigest` its
 *   `imageRef`; `pod.sandbox` from CRI-O's annotation
 *   `io.kubernetes.cri-o.ContainerType` (or containerd's label
 *   `io.cri-containerd.kind`) being `sandbox`;
 * - a pod sandbox id (ContainerStatus does not know it; Tracee stops
 *   there): PodSandboxStatus: `pod` from the sandbox's metadata (name,
 *   namespace, uid), `sandbox` true, `name` the `io.kubernetes.container.name`
 *   label if any, `image` and `imageDigest` '' (CRI does not say which
 *   image a sandbox runs).
 */
export class CriClient implements RuntimeClient {
  readonly runtime: 'crio' | 'containerd';
  readonly socket: string;
  readonly timeoutMs: number;
  #client: Client;

  constructor(options: RuntimeClientOptions = {}, runtime: 'crio' | 'containerd' = 'crio') {
    this.runtime = runtime;
    this.socket = (options.socket ?? DEFAULT_SOCKETS[runtime]).replace(/^unix:\/\//, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#client = connect(criServices().RuntimeService, this.socket);
  }

  inspect(id: string, signal?: AbortSignal): Promise<RuntimeContainer | undefined> {
    return bounded(this.runtime, this.socket, this.timeoutMs, signal, async (s) => {
      const c = await unary<{ status: CriContainer }>(this.#client, 'containerStatus', { containerId: id, verbose: false }, s);
      if (c) return this.#container(c.status);
      const p = await unary<{ status: CriSandbox }>(this.#client, 'podSandboxStatus', { podSandboxId: id, verbose: false }, s);
      return p ? this.#sandbox(p.status) : undefined;
    });
  }

  list(signal?: AbortSignal): Promise<RuntimeContainer[]> {
    return bounded(this.runtime, this.socket, this.timeoutMs, signal, async (s) => {
      const [cs, ps] = await Promise.all([
        unary<{ containers: CriContainer[] }>(this.#client, 'listContainers', { filter: { state: { state: 'CONTAINER_RUNNING' } } }, s),
        unary<{ items: CriSandbox[] }>(this.#client, 'listPodSandbox', { filter: { state: { state: 'SANDBOX_READY' } } }, s),
      ]);
      return [...(ps?.items ?? []).map((p) => this.#sandbox(p)), ...(cs?.containers ?? []).map((c) => this.#container(c))];
    });
  }

  close(): void {
    this.#client.close();
  }

  #container(c: CriContainer): RuntimeContainer {
    const sandbox = c.annotations[LABELS.crioContainerType] === 'sandbox' || c.labels[LABELS.containerdKind] === 'sandbox';
    return withPod({
      id: c.id,
      runtime: this.runtime,
      name: c.metadata?.name ?? '',
      image: c.image?.image ?? '',
      imageDigest: c.imageRef,
      createdAt: nsOf(c.createdAt),
      labels: c.labels,
      pod: podOf(c.labels, sandbox),
    });
  }

  #sandbox(p: CriSandbox): RuntimeContainer {
    return {
      id: p.id,
      runtime: this.runtime,
      name: p.labels[LABELS.containerName] ?? '',
      image: '',
      imageDigest: '',
      createdAt: nsOf(p.createdAt),
      labels: p.labels,
      pod: { name: p.metadata?.name ?? '', namespace: p.metadata?.namespace ?? '', uid: p.metadata?.uid ?? '', sandbox: true },
    };
  }
}

/** An int64 of ns (a decimal string, as loaded) as a number; undefined for 0 (unset). */
export function nsOf(text: string): number | undefined {
  const n = Number(text);
  return n > 0 ? n : undefined;
}

/** `c` without a `pod` key when it has no pod. */
export function withPod(c: RuntimeContainer): RuntimeContainer {
  if (!c.pod) delete c.pod;
  return c;
}
