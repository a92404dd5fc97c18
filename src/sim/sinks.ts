/**
 * Where the simulator writes: the embedded in-process log, or Kafka (kafkajs producer).
 */
import type { Producer as KafkaProducer } from 'kafkajs';
import type { InputTopics } from '../config.js';
import type { EmbeddedLog } from '../ingest/embedded-log.js';
import type { RecordSink } from './producer.js';
import type { SimRecord } from './records.js';

export function embeddedSink(log: EmbeddedLog, topics: InputTopics): RecordSink {
  return {
    send: async (records) => {
      for (const r of records) log.append(topics[r.topic], { key: r.key, value: r.value });
    },
  };
}

/**
 * Sends each batch as one `sendBatch` (acks=all), grouped per topic; records keep their order
 * within a topic, so the per-intent order of each topic is the publication order.
 */
export function kafkaSink(producer: KafkaProducer, topics: InputTopics): RecordSink {
  return {
    send: async (records: readonly SimRecord[]) => {
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const r of records) {
        const name = topics[r.topic];
        let list = byTopic.get(name);
        if (list === undefined) byTopic.set(name, (list = []));
        list.push({ key: r.key, value: r.value });
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
  };
}
