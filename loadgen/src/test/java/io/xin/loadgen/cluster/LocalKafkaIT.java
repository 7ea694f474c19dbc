package io.xin.loadgen.cluster;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's local Kafka starts in a child JVM, serves a producer and a consumer group, and leaves neither
 * process nor folder behind when closed.
 */
@Timeout(180)
@Tag("cluster")
class LocalKafkaIT
{
    @Test
    void shouldServeARecordAndLeaveNothingBehind() throws Exception
    {
        final long startNs = System.nanoTime();
        final LocalKafka kafka = LocalKafka.start();
        final ProcessHandle process = kafka.process();
        final Path dir = kafka.dir();
        try
        {
            System.out.printf("LocalKafka: started in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            assertTrue(kafka.bootstrapServers().startsWith("127.0.0.1:"), kafka.bootstrapServers());
            assertTrue(process.isAlive());
            assertTrue(process.pid() != ProcessHandle.current().pid(), "a child JVM, not this one");

            try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers())))
            {
                admin.createTopics(List.of(new NewTopic("demo", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new StringSerializer()))
            {
                assertEquals(0, producer.send(new ProducerRecord<>("demo", "alice", "hello")).get(60, TimeUnit.SECONDS)
                    .offset());
            }
            // A group, so the offsets topic (one replica on one node) is exercised too.
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "demo-readers",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer()))
            {
                consumer.subscribe(List.of("demo"));
                final List<String> values = new ArrayList<>();
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (values.isEmpty() && System.nanoTime() < deadlineNs)
                {
                    for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500)))
                    {
                        values.add(record.key() + "=" + record.value());
                    }
                }
                assertEquals(List.of("alice=hello"), values);
                consumer.commitSync(Duration.ofSeconds(30));
            }
        }
        finally
        {
            final long closeNs = System.nanoTime();
            kafka.close();
            System.out.printf("LocalKafka: closed in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closeNs));
        }
        assertFalse(process.isAlive(), "the Kafka JVM is gone after close");
        assertFalse(Files.exists(dir), "its folder is deleted");
    }
}
