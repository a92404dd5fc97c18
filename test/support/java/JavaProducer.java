// A producer the project did not write: the Kafka Java client (kafka-clients from the broker's
// jars). Launched by test/support/java-producer.ts as
//   java -cp '.cache/kafka/libs/*' test/support/java/JavaProducer.java <bootstrap> [key=value ...]
// It reads records from stdin, one a line:
//   compression.type TAB topic TAB partition TAB timestamp TAB key TAB value
// key and value base64 ("-" = null), partition and timestamp "-" = the producer's choice. One
// producer per compression type; all records are sent asynchronously (so they share batches),
// then flushed; it prints "sent N" and exits 0 once every record is acknowledged (acks=all), or
// exits 1 naming the first failure.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class JavaProducer {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("acks", "all");
    props.put("linger.ms", "100");
    props.put("batch.size", "1048576");
    props.put("max.request.size", "2097152");
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    for (int i = 1; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    Map<String, KafkaProducer<byte[], byte[]>> producers = new HashMap<>();
    try {
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) continue;
        String[] f = line.split("\t", -1);
        KafkaProducer<byte[], byte[]> producer = producers.computeIfAbsent(f[0], (compression) -> {
          Properties p = new Properties();
          p.putAll(props);
          p.put("compression.type", compression);
          return new KafkaProducer<>(p);
        });
        Integer partition = f[2].equals("-") ? null : Integer.valueOf(f[2]);
        Long timestamp = f[3].equals("-") ? null : Long.valueOf(f[3]);
        byte[] key = f[4].equals("-") ? null : Base64.getDecoder().decode(f[4]);
        byte[] value = f[5].equals("-") ? null : Base64.getDecoder().decode(f[5]);
        sent.add(producer.send(new ProducerRecord<>(f[1], partition, timestamp, key, value)));
      }
      for (KafkaProducer<byte[], byte[]> producer : producers.values()) producer.flush();
      for (Future<RecordMetadata> f : sent) f.get();
      for (KafkaProducer<byte[], byte[]> producer : producers.values()) producer.close();
    } catch (Exception e) {
      System.err.println("JavaProducer failed: " + e);
      System.exit(1);
    }
    System.out.println("sent " + sent.size());
  }
}
