/** IAM API methods, as named in the request log, counts and fault rules. */
export type IamMethod = "createForServiceAccount" | "create" | "revoke" | "metadataToken";

/** Every method name the request log uses. */
export type LoggedMethod = IamMethod | "whoami" | "unknown";

/** What a fault does to a request. */
export type FaultKind = "status" | "drop" | "malformed" | "latency";

/** HTTP statuses a `status` fault may answer with. */
export const FAULT_STATUSES = [429, 500, 502, 503, 504] as const;

/** A fault rule as accepted by `POST /_emulator/faults`. */
export interface FaultSpec {
  /** Method the rule applies to, or `*` for all IAM methods. */
  method: IamMethod | "*";
  /** What happens. */
  kind: FaultKind;
  /** How many requests it affects (default 1). */
  count?: number;
  /** HTTP status for `status` faults (default 503). */
  status?: (typeof FAULT_STATUSES)[number];
  /** Adds a `Retry-After` header (seconds) to `status` faults. */
  retryAfterSeconds?: number;
  /** Delay for `latency` faults, in ms; the request is then served normally. */
  latencyMs?: number;
  /** Chance (0..1) that a matching request is affected (default 1). */
  probability?: number;
  /** Seed of the rule's pseudo-random generator, so probabilistic runs repeat exactly. */
  seed?: number;
  /**
   * Extension: shape of a `malformed` answer, `notJson` (default) or `missingFields`
   * (valid JSON without the fields the method promises).
   */
  malformed?: "notJson" | "missingFields";
}

/** A fault picked for one request. */
export interface FaultDecision {
  /** Rule id. */
  id: string;
  /** The rule. */
  spec: Readonly<FaultSpec>;
  /** Short label for the request log, e.g. `status:503`. */
  label: string;
}

interface ActiveFault {
  id: string;
  spec: FaultSpec;
  remaining: number;
  random: () => number;
}

/** mulberry32: tiny, fast, and good enough to make probabilistic faults reproducible. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Default PRNG seed when a rule gives none; fixed so runs are reproducible by default. */
export const DEFAULT_FAULT_SEED = 0x5eed;

function labelOf(spec: FaultSpec): string {
  switch (spec.kind) {
    case "status":
      return `status:${spec.status ?? 503}`;
    case "latency":
      return `latency:${spec.latencyMs ?? 0}ms`;
    case "malformed":
      return `malformed:${spec.malformed ?? "notJson"}`;
    default:
      return spec.kind;
  }
}

/**
 * The queue of injected faults. The first rule (FIFO) matching a request's method decides; when
 * its probability roll fails the request is served normally, so later rules never jump the queue.
 */
export class FaultQueue {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  /** Adds a rule (already validated by the caller); returns its id. */
  add(spec: FaultSpec): string {
    const id = `fault-${this.nextId++}`;
    this.faults.push({
      id,
      spec: { ...spec },
      remaining: spec.count ?? 1,
      random: mulberry32(spec.seed ?? DEFAULT_FAULT_SEED),
    });
    return id;
  }

  /** Removes all rules. */
  clear(): void {
    this.faults = [];
  }

  /** Number of rules still pending. */
  get size(): number {
    return this.faults.length;
  }

  /** Picks (and consumes) the fault for a request to `method`, if any. */
  take(method: IamMethod): FaultDecision | undefined {
    if (this.faults.length === 0) return undefined;
    const index = this.faults.findIndex((f) => f.spec.method === "*" || f.spec.method === method);
    if (index < 0) return undefined;
    const fault = this.faults[index];
    const probability = fault.spec.probability ?? 1;
    if (probability < 1 && fault.random() >= probability) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return { id: fault.id, spec: fault.spec, label: labelOf(fault.spec) };
  }
}
