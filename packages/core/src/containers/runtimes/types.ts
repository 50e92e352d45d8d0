/**
 * What a container runtime says about one container, in Tracee's terms
 * (its `runtime.EnrichResult`, pkg/datastores/container/runtime/runtime.go):
 * which container did it, from which image, in which Kubernetes pod.
 */
export interface RuntimeContainer {
  /** The full id (64 hex characters for Docker, Podman, containerd and CRI-O), as in the cgroup path. */
  id: string;
  /** The runtime that knows it, with Tracee's names of runtimes. */
  runtime: RuntimeName;
  /**
   * The container's name as Tracee reports it: Docker's and Podman's name
   * without the leading `/`; CRI's container metadata name; for containerd,
   * the `io.kubernetes.container.name` label (containerd's containers have
   * no name of their own), else ''.
   */
  name: string;
  /** The image's name, e.g. `docker.io/library/nginx:1.27` (each runtime's definition: see the clients). */
  image: string;
  /**
   * The image's digest as Tracee reports it, which differs by runtime:
   * Docker and Podman, the image's first RepoDigest (`repo@sha256:<manifest
   * digest>`, '' for an image never pulled from or pushed to a registry);
   * containerd, the image's target (manifest) digest `sha256:<hex>`; CRI,
   * the container's `imageRef`.
   */
  imageDigest: string;
  /** When the container was created, in ns since the epoch (exact to about 256 ns: a JavaScript number). */
  createdAt?: number;
  /** The container's labels as the runtime keeps them. */
  labels: Record<string, string>;
  /**
   * The Kubernetes pod, from the labels kubelet sets
   * (`io.kubernetes.pod.name`, `.namespace`, `.uid`); absent when none is
   * set. `sandbox`: the container is the pod's sandbox ("pause") container,
   * not a workload: Docker's `io.kubernetes.docker.type=podsandbox`
   * (dockershim), containerd's `io.cri-containerd.kind=sandbox`, CRI-O's
   * annotation `io.kubernetes.cri-o.ContainerType=sandbox`, or a CRI pod
   * sandbox id.
   */
  pod?: { name: string; namespace: string; uid: string; sandbox: boolean };
}

/** Tracee's names of the runtimes it asks (pkg/datastores/container/runtime/runtime.go `RuntimeId`). */
export type RuntimeName = 'docker' | 'containerd' | 'crio' | 'podman';

/** A client of one container runtime's API at one socket. */
export interface RuntimeClient {
  readonly runtime: RuntimeName;
  /** The unix socket's path. */
  readonly socket: string;
  /**
   * The container with this full id; undefined when the runtime does not
   * know the id. Rejects with a {@link ContainerRuntimeError} when the
   * runtime cannot be asked (no socket, refused, timed out, an API error),
   * with an AbortError when `signal` aborts first.
   */
  inspect(id: string, signal?: AbortSignal): Promise<RuntimeContainer | undefined>;
  /** The running containers (and, for CRI runtimes, the ready pod sandboxes). Rejects as inspect. */
  list(signal?: AbortSignal): Promise<RuntimeContainer[]>;
  /** Closes the connection; the client is not used afterwards. */
  close(): void;
}

/** Options of every client. */
export interface RuntimeClientOptions {
  /** The socket (default: Tracee's default socket of that runtime, {@link DEFAULT_SOCKETS}). */
  socket?: string;
  /** The longest one call (inspect, list) may take, in ms (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/** Each call's bound, in ms, unless `timeoutMs` says otherwise: a runtime answers in ms, and a hung one must not hold events back long. */
export const DEFAULT_TIMEOUT_MS = 3000;

/** Tracee's default socket of each runtime (pkg/datastores/container/runtime/sockets.go `Autodiscover`). */
export const DEFAULT_SOCKETS: Readonly<Record<RuntimeName, string>> = {
  docker: '/var/run/docker.sock',
  containerd: '/var/run/containerd/containerd.sock',
  crio: '/var/run/crio/crio.sock',
  podman: '/var/run/podman/podman.sock',
};

/** The labels kubelet (and its CRI runtimes) set on a pod's containers, as Tracee reads them (runtime.go). */
export const LABELS = {
  podName: 'io.kubernetes.pod.name',
  podNamespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
  containerName: 'io.kubernetes.container.name',
  /** dockershim: `podsandbox` or `container`. */
  dockerType: 'io.kubernetes.docker.type',
  /** containerd's CRI plugin: `sandbox` or `container`. */
  containerdKind: 'io.cri-containerd.kind',
  /** CRI-O (an annotation): `sandbox` or `container`. */
  crioContainerType: 'io.kubernetes.cri-o.ContainerType',
} as const;

/** Why a runtime could not be asked. */
export type ContainerRuntimeErrorCode =
  /** No socket at that path. */
  | 'RUNTIME_NO_SOCKET'
  /** The socket refused the connection (nothing listens: the runtime stopped). */
  | 'RUNTIME_REFUSED'
  /** No answer within the call's timeout (the runtime hangs or is overloaded). */
  | 'RUNTIME_TIMEOUT'
  /** The runtime answered with an error. */
  | 'RUNTIME_FAILED';

/**
 * A runtime could not be asked. `message` is one line naming the runtime,
 * the socket, the cause and the fix (for a socket: the option pointing at
 * another one, Tracee's `--enrichment container.<runtime>.socket=PATH`).
 */
export class ContainerRuntimeError extends Error {
  constructor(
    readonly code: ContainerRuntimeErrorCode,
    readonly runtime: RuntimeName,
    readonly socket: string,
    message: string,
  ) {
    super(message);
    this.name = 'ContainerRuntimeError';
  }
}

/** The pod fields of `labels` (Tracee's reading: the three pod labels); undefined when none is set. */
export function podOf(labels: Record<string, string>, sandbox: boolean): RuntimeContainer['pod'] {
  const name = labels[LABELS.podName] ?? '';
  const namespace = labels[LABELS.podNamespace] ?? '';
  const uid = labels[LABELS.podUid] ?? '';
  if (!name && !namespace && !uid && !sandbox) return undefined;
  return { name, namespace, uid, sandbox };
}
