import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, Metadata, status, type Client, type GrpcObject, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';

/**
 * Where the runtimes' API definitions are: packages/core/protos/, copied
 * there by the build from the pinned Go module zips scripts/fetch-inputs.sh
 * fetched (containerd/ = github.com/containerd/containerd/api, cri-api/ =
 * k8s.io/cri-api). The same three levels up from src/containers/runtimes/
 * and from dist/containers/runtimes/.
 */
export const PROTOS_DIR = fileURLToPath(new URL('../../../protos/', import.meta.url));

// int64 as decimal strings (timestamps in ns exceed 2^53), enums by name, defaults filled in
const LOAD: Options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

const loaded = new Map<string, GrpcObject>();

function load(dir: string, files: string[]): GrpcObject {
  const key = `${dir}:${files.join(',')}`;
  let pkg = loaded.get(key);
  if (!pkg) {
    const root = PROTOS_DIR + dir;
    if (!existsSync(root)) throw new Error(`containers: the runtimes' API definitions are missing at ${root}: rebuild @tracee/core (scripts/fetch-inputs.sh, npm run build)`);
    pkg = loadPackageDefinition(loadSync(files, { ...LOAD, includeDirs: [root] }));
    loaded.set(key, pkg);
  }
  return pkg;
}

function service(pkg: GrpcObject, path: string): ServiceClientConstructor {
  let node: unknown = pkg;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node as ServiceClientConstructor;
}

/** Kubernetes' CRI, runtime.v1 (k8s.io/cri-api pkg/apis/runtime/v1/api.proto). */
export function criServices(): { RuntimeService: ServiceClientConstructor; ImageService: ServiceClientConstructor } {
  const pkg = load('cri-api', ['pkg/apis/runtime/v1/api.proto']);
  return { RuntimeService: service(pkg, 'runtime.v1.RuntimeService'), ImageService: service(pkg, 'runtime.v1.ImageService') };
}

/** containerd's native services that say which containers there are (github.com/containerd/containerd/api services/). */
export function containerdServices(): Record<'Containers' | 'Namespaces' | 'Tasks' | 'Images', ServiceClientConstructor> {
  const pkg = load('containerd', [
    'services/containers/v1/containers.proto',
    'services/namespaces/v1/namespace.proto',
    'services/tasks/v1/tasks.proto',
    'services/images/v1/images.proto',
  ]);
  return {
    Containers: service(pkg, 'containerd.services.containers.v1.Containers'),
    Namespaces: service(pkg, 'containerd.services.namespaces.v1.Namespaces'),
    Tasks: service(pkg, 'containerd.services.tasks.v1.Tasks'),
    Images: service(pkg, 'containerd.services.images.v1.Images'),
  };
}

/** A gRPC target for a unix socket path (Tracee accepts it with or without `unix://`). */
export function unixTarget(socket: string): string {
  return `unix://${socket.replace(/^unix:\/\//, '')}`;
}

/** A new client of `Service` at the unix socket (no TLS: a local socket, as Tracee connects). */
export function connect(Service: ServiceClientConstructor, socket: string): Client {
  return new Service(unixTarget(socket), credentials.createInsecure());
}

/**
 * One unary call of `client`, cancelled when `signal` aborts; resolves
 * undefined when the server answers NOT_FOUND (it does not know the id).
 * `metadata`: gRPC headers (containerd's namespace).
 */
export function unary<Res>(client: Client, method: string, request: object, signal: AbortSignal, metadata: Record<string, string> = {}): Promise<Res | undefined> {
  const md = new Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => { cancel(): void }>)[method];
    const call = fn.call(client, request, md, (err: ServiceError | null, res: Res) => {
      if (err?.code === status.NOT_FOUND) resolve(undefined);
      else if (err) reject(err);
      else resolve(res);
    });
    signal.addEventListener('abort', () => call.cancel(), { once: true });
  });
}
