import { logLevel, type logCreator } from 'kafkajs';

export type SinkLog = (level: 'info' | 'warn' | 'error', message: string, extra?: Record<string, unknown>) => void;

/**
 * Whether the brokers answer, said once when an outage begins and once when it ends. KafkaJS
 * retries a connection that fails for about a minute before it gives up (at start the sink then
 * exits), and says nothing meanwhile at the level the sink runs it: the operator heard nothing
 * for that minute. One warning an outage, not one a retry: an outage can last hours.
 */
export function createKafkaReachability(brokers: readonly string[], log: SinkLog, now: () => number = Date.now) {
  let outage: { since: number; failures: number } | undefined;
  let failures = 0;

  /** A connection to a broker failed (refused, timed out, reset). */
  function failed(broker: string | undefined, error: string): void {
    failures += 1;
    if (outage) {
      outage.failures += 1;
      return;
    }
    outage = { since: now(), failures: 1 };
    log('warn', 'cannot connect to Kafka; retrying', { brokers: brokers.join(','), broker, error });
  }

  /** The brokers answered: a client connected, or a fetch came back. */
  function reached(): void {
    if (!outage) return;
    log('info', 'connected to Kafka', {
      brokers: brokers.join(','),
      failed_attempts: outage.failures,
      unreachable_for_s: Math.round((now() - outage.since) / 1000),
    });
    outage = undefined;
  }

  /**
   * KafkaJS's logger: a connection's failure (logged as an error under `Connection`, once each
   * attempt, retries included) goes to `failed`; everything else stays unprinted, as before.
   */
  const kafkaLogCreator: logCreator = () => ({ namespace, level, log: entry }) => {
    if (level !== logLevel.ERROR || namespace !== 'Connection') return;
    if (!/^Connection (error|timeout)/.test(entry.message)) return;
    failed(typeof entry.broker === 'string' ? entry.broker : undefined, entry.message);
  };

  return {
    failed,
    reached,
    /** For the progress lines: whether the brokers answer, and connections that failed so far (retries included). */
    stats: () => ({ kafka_reachable: outage === undefined, kafka_connect_failures: failures }),
    kafkaLogCreator,
  };
}
