// Bulk production for the benchmarks with the Kafka Java client (kafka-clients from the broker's
// jars), which writes millions of records in seconds where kafkajs needs minutes. Launched by
// bench/lib/java-bulk.ts as
//   java -cp '.cache/kafka/libs/*' bench/lib/BulkProducer.java <bootstrap> <compression.type>
// It reads records from stdin, one a line: topic TAB key TAB value (UTF-8 text; JSON values
// never hold a raw tab or newline). The key picks the partition with the client's default
// partitioner (murmur2, as every Kafka producer). Idempotent (per-partition order kept), large batches, everything sent
// asynchronously; it prints "sent N" and exits 0 once every record is acknowledged, or exits 1
// naming the first failure.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class BulkProducer {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("compression.type", args.length > 1 ? args[1] : "none");
    // idempotent: retries cannot reorder a partition's records, with 5 requests in flight
    props.put("acks", "all");
    props.put("enable.idempotence", "true");
    props.put("linger.ms", "20");
    props.put("batch.size", "524288");
    props.put("buffer.memory", "268435456");
    props.put("max.request.size", "1000000");
    props.put("max.in.flight.requests.per.connection", "5");
    props.put("key.serializer", StringSerializer.class.getName());
    props.put("value.serializer", StringSerializer.class.getName());
    AtomicLong acked = new AtomicLong();
    AtomicReference<Exception> failed = new AtomicReference<>();
    long sent = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 20);
      String line;
      while ((line = in.readLine()) != null && failed.get() == null) {
        if (line.isEmpty()) continue;
        int a = line.indexOf('\t');
        int b = line.indexOf('\t', a + 1);
        producer.send(new ProducerRecord<>(line.substring(0, a), line.substring(a + 1, b), line.substring(b + 1)), (md, e) -> {
          if (e != null) failed.compareAndSet(null, e);
          else acked.incrementAndGet();
        });
        sent++;
      }
      producer.flush();
    }
    if (failed.get() != null || acked.get() != sent) {
      System.err.println("BulkProducer failed after " + acked.get() + " of " + sent + ": " + failed.get());
      System.exit(1);
    }
    System.out.println("sent " + sent);
  }
}
