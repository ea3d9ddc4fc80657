// How the etcd arbiter's client picks endpoints: per-endpoint fault policies (the shape the
// etcd3 client expects from cockatiel) that skip an endpoint for a while after it refused a
// connection or let a call run into its deadline, and classifiers for gRPC errors.
import { GRPCDeadlineExceededError, GRPCUnavailableError, type IOptions } from 'etcd3';
import { performance } from 'node:perf_hooks';

/** How long an endpoint that refused a connection or let a call run out is skipped. */
export const ENDPOINT_REST_MS = 2_000;

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
 * that refused a connection or let a call run into its deadline (a hung or partitioned
 * member) is skipped for `restMs` while another endpoint is usable; the pool then tries the
 * next one. With every endpoint resting (or just one endpoint), calls go through anyway:
 * skipping can only help when there is somewhere else to go. A success ends the rest. The
 * library also routes failed streams here (markFailed), so keep-alives count too.
 */
export class EndpointRest {
  private readonly until = new Map<string, number>();

  constructor(private readonly endpoints: readonly string[], private readonly restMs: number) {}

  policy(host: string): HostPolicy {
    return {
      onSuccess: noListeners,
      onFailure: noListeners,
      execute: async <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> => {
        if (this.resting(host) && this.endpoints.some((h) => h !== host && !this.resting(h))) throw new EndpointResting();
        try {
          const v = await fn({ signal: signal ?? new AbortController().signal });
          this.until.delete(host);
          return v;
        } catch (err) {
          if ((isRefusal(err) && !(err instanceof EndpointResting)) || isDeadline(err)) this.until.set(host, performance.now() + this.restMs);
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
