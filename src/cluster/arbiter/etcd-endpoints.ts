// How the etcd arbiter's client picks endpoints: per-endpoint fault policies (the shape the
// etcd3 client expects from cockatiel) that skip an endpoint for a while after it refused a
// connection or let a call run into its deadline, and classifiers for gRPC errors.
import { GRPCDeadlineExceededError, GRPCUnavailableError, type IOptions } from 'etcd3';
import { performance } from 'node:perf_hooks';

/** How long an endpoint is skipped after it refused a connection (cheap to find out again). */
export const REFUSED_REST_MS = 2_000;
/** ... and after a call to it ran into its deadline (a hung member usually stays hung). */
export const HUNG_REST_MS = 5_000;
/**
 * A deadline counts against the endpoint only if the call had this long: the client's retry
 * sends a call whose deadline has already passed to the next endpoint, which then "fails" at
 * once through no fault of its own.
 */
const MIN_HUNG_EVIDENCE_MS = 100;

export class EndpointResting extends Error {
  constructor() {
    super('etcd endpoint failed a moment ago; trying the others');
    this.name = 'EndpointResting';
  }
}

/** Connection refused or reset (gRPC UNAVAILABLE), or an endpoint we are skipping. */
export function isRefusal(err: unknown): boolean {
  return err instanceof GRPCUnavailableError || err instanceof EndpointResting || (err as { code?: unknown } | null)?.code === 14;
}

export function isDeadline(err: unknown): boolean {
  return err instanceof GRPCDeadlineExceededError || (err as { code?: unknown } | null)?.code === 4;
}

/**
 * Per-endpoint fault policies (the shape of a cockatiel policy) sharing one view: an endpoint
 * that refused a connection, or let a call run into its deadline (a hung or partitioned
 * member), is skipped for a while as long as another endpoint is usable; the pool then tries
 * the next one. With every endpoint skipped (or just one endpoint), calls go through anyway:
 * skipping can only help when there is somewhere else to go. A success ends the skipping.
 */
export class EndpointRest {
  private readonly until = new Map<string, number>();

  constructor(private readonly endpoints: readonly string[]) {}

  policy(host: string): HostPolicy {
    return {
      onSuccess: noListeners,
      onFailure: noListeners,
      execute: async <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> => {
        if (this.resting(host) && this.endpoints.some((h) => h !== host && !this.resting(h))) throw new EndpointResting();
        const started = performance.now();
        try {
          const v = await fn({ signal: signal ?? new AbortController().signal });
          this.until.delete(host);
          return v;
        } catch (err) {
          const now = performance.now();
          if (isRefusal(err) && !(err instanceof EndpointResting)) this.until.set(host, now + REFUSED_REST_MS);
          else if (isDeadline(err) && now - started >= MIN_HUNG_EVIDENCE_MS) this.until.set(host, now + HUNG_REST_MS);
          throw err;
        }
      },
    } as unknown as HostPolicy;
  }

  private resting(host: string): boolean {
    return (this.until.get(host) ?? 0) > performance.now();
  }
}

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;
const noListeners = (): { dispose(): void } => ({ dispose: () => undefined });
