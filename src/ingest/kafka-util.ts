/**
 * Small helpers every kafkajs user in `src/ingest` shares: one bounded wait, one way to turn a
 * thrown value into an Error, and how to recognise a kafkajs error by its protocol type.
 */

/**
 * `p`, or a rejection `<what> did not finish within <ms>ms` (code `ETIMEDOUT`) if it takes longer.
 * The timer never holds the process.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const fail = (): void => reject(Object.assign(new Error(`${what} did not finish within ${ms}ms`), { code: 'ETIMEDOUT' }));
    timer = setTimeout(fail, Math.max(0, ms));
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const errorOf = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/** The kafkajs protocol error type (`UNKNOWN_TOPIC_OR_PARTITION`, ...) of `err`, if it has one. */
export function kafkaErrorType(err: unknown): string | undefined {
  const type = typeof err === 'object' && err !== null && 'type' in err ? (err as { type: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

/** kafkajs marks errors a retry can cure (leader elections, metadata not yet propagated) as retriable. */
export function isRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}
