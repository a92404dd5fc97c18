/**
 * Record headers and the one rule for reading them.
 *
 * Kafka allows a header name to repeat; kafkajs then gives an array of the values in the order
 * they were written. Every reader here (CloudEvents binary mode in `decode.ts`, the `dlq.*`
 * headers in `dlq-headers.ts`) takes the LAST value. That is the Kafka Java client's
 * `Headers.lastHeader(key)`, the convention Kafka's own tooling follows: whoever adds a header
 * after another (an interceptor, a re-publishing step) means to override it.
 */

export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;
export type RecordHeaders = Record<string, HeaderValue>;

/** The value of header `name` as a UTF-8 string (the last one if repeated); undefined if absent. */
export function headerValue(headers: RecordHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  if (last === undefined) return undefined;
  return typeof last === 'string' ? last : last.toString('utf8');
}
