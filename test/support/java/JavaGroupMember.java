import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A member of a consumer group that is not ours: the Kafka Java client (classic group protocol,
 * its default assignors), used by test/support/java-group-member.ts. It joins the group, prints
 * "assigned <n>" once it owns partitions, keeps polling without committing, and leaves the group
 * when its stdin closes.
 *
 *   java -cp '.cache/kafka/libs/*' JavaGroupMember.java <brokers> <group> <topic>
 */
public class JavaGroupMember {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("group.id", args[1]);
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "latest");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    Thread stdin = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {}
      } catch (Exception e) {
        // closed
      }
    });
    stdin.setDaemon(true);
    stdin.start();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> parts) {}
        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
          System.out.println("assigned " + parts.size());
          System.out.flush();
        }
      });
      while (stdin.isAlive()) consumer.poll(Duration.ofMillis(200));
    }
    System.out.println("left");
    System.out.flush();
  }
}
