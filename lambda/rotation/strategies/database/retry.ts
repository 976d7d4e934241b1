export interface RetryOptions {
  /** Total time budget; no new attempt starts that could not finish within it. */
  readonly budgetMs: number;
  /** The longest one attempt can take (a connect timeout), to decide whether another fits. */
  readonly attemptMs: number;
  /** First pause between attempts; doubles each time, up to maxDelayMs. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** False stops at once (an error retrying cannot fix). */
  readonly retryable: (error: unknown) => boolean;
  /** Told of each failed attempt that will be retried. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` until it succeeds, it fails with a non-retryable error, or the budget runs out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const started = now();
  let delay = options.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      const elapsed = now() - started;
      const fits = elapsed + delay + options.attemptMs <= options.budgetMs;
      if (!options.retryable(error) || !fits) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 4000);
    }
  }
}
