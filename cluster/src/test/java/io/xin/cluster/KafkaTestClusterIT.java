package io.xin.cluster;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The test brokers behave as the cluster mode needs: transactions commit, abort and fence on one combined
 * node, and with three brokers an acks=all producer goes on writing while one broker is down.
 */
@Timeout(180)
@Tag("cluster")
class KafkaTestClusterIT
{
    private static final long WAIT_S = 60;

    @Test
    void shouldCommitAbortAndFenceTransactionsOnASingleNode() throws Exception
    {
        final long startNs = System.nanoTime();
        try (KafkaTestCluster kafka = KafkaTestCluster.single())
        {
            System.out.printf("single(): started in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            final String topic = "shard-log";
            createTopic(kafka, new NewTopic(topic, 2, (short) 1));
            // Offsets sent to a transaction must be for a topic that exists: the broker answers
            // UNKNOWN_TOPIC_OR_PARTITION, which the producer retries until max.block.ms, otherwise.
            createTopic(kafka, new NewTopic("hand-offs", 1, (short) 1));
            final TopicPartition consumed = new TopicPartition("hand-offs", 0);

            try (KafkaProducer<String, String> producer = transactional(kafka, "owner-1"))
            {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, 0, "k", "committed-0"));
                producer.send(new ProducerRecord<>(topic, 1, "k", "committed-1"));
                producer.sendOffsetsToTransaction(Map.of(consumed, new OffsetAndMetadata(7)),
                    new ConsumerGroupMetadata("owners"));
                producer.commitTransaction();

                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, 0, "k", "aborted"));
                producer.flush();
                producer.abortTransaction();
            }

            assertEquals(List.of("committed-0", "committed-1"), readCommitted(kafka, topic, 2));
            try (Admin admin = admin(kafka))
            {
                final Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("owners")
                    .partitionsToOffsetAndMetadata().get(WAIT_S, TimeUnit.SECONDS);
                assertEquals(7, offsets.get(consumed).offset(), "offsets committed in the transaction");
            }

            try (KafkaProducer<String, String> first = transactional(kafka, "owner-2");
                KafkaProducer<String, String> second = transactional(kafka, "owner-2"))
            {
                first.initTransactions();
                first.beginTransaction();
                first.send(new ProducerRecord<>(topic, 0, "k", "fenced")).get(WAIT_S, TimeUnit.SECONDS);

                // The same transactional id: the new owner aborts the old one's open transaction and fences it.
                second.initTransactions();
                assertThrows(ProducerFencedException.class, first::commitTransaction);

                second.beginTransaction();
                second.send(new ProducerRecord<>(topic, 1, "k", "new-owner"));
                second.commitTransaction();
            }
            assertEquals(List.of("committed-0", "committed-1", "new-owner"), readCommitted(kafka, topic, 2));
        }
    }

    @Test
    void shouldProduceWithAcksAllWhileOneOfThreeBrokersIsDown() throws Exception
    {
        final long startNs = System.nanoTime();
        try (KafkaTestCluster kafka = KafkaTestCluster.threeBrokers())
        {
            System.out.printf("threeBrokers(): started in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
            assertEquals(3, kafka.brokerIds().size());
            final String topic = "replicated";
            createTopic(kafka, new NewTopic(topic, 1, (short) 3).configs(Map.of("min.insync.replicas", "2")));

            final int leader;
            try (Admin admin = admin(kafka))
            {
                final TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(WAIT_S, TimeUnit.SECONDS).get(topic);
                leader = description.partitions().get(0).leader().id();
                assertEquals(3, description.partitions().get(0).isr().size());
            }

            final Properties config = new Properties();
            config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
            config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
            try (KafkaProducer<String, String> producer =
                new KafkaProducer<>(config, new StringSerializer(), new StringSerializer()))
            {
                producer.send(new ProducerRecord<>(topic, "k", "before")).get(WAIT_S, TimeUnit.SECONDS);

                // The partition's leader, so that the producer has to find the new one.
                kafka.stopBroker(leader);
                final RecordMetadata during = producer.send(new ProducerRecord<>(topic, "k", "during"))
                    .get(WAIT_S, TimeUnit.SECONDS);
                assertEquals(1, during.offset());
                try (Admin admin = admin(kafka))
                {
                    final TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(WAIT_S, TimeUnit.SECONDS).get(topic);
                    assertNotEquals(leader, description.partitions().get(0).leader().id());
                }

                kafka.startBroker(leader);
                producer.send(new ProducerRecord<>(topic, "k", "after")).get(WAIT_S, TimeUnit.SECONDS);
            }
            assertEquals(List.of("before", "during", "after"), readCommitted(kafka, topic, 1));
        }
    }

    private static void createTopic(final KafkaTestCluster kafka, final NewTopic topic) throws Exception
    {
        try (Admin admin = admin(kafka))
        {
            admin.createTopics(List.of(topic)).all().get(WAIT_S, TimeUnit.SECONDS);
        }
    }

    private static Admin admin(final KafkaTestCluster kafka)
    {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    private static KafkaProducer<String, String> transactional(final KafkaTestCluster kafka, final String id)
    {
        final Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000");
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /**
     * Every committed value of the topic, partition by partition: read until each partition's position reaches
     * its last stable offset, the end a read_committed consumer sees.
     */
    private static List<String> readCommitted(final KafkaTestCluster kafka, final String topic, final int partitions)
    {
        final Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, String> consumer =
            new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer()))
        {
            final List<TopicPartition> assigned = new ArrayList<>();
            for (int p = 0; p < partitions; p++)
            {
                assigned.add(new TopicPartition(topic, p));
            }
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            final Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, Duration.ofSeconds(WAIT_S));
            final Map<TopicPartition, List<String>> values = new HashMap<>();
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (!assigned.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp)))
            {
                assertTrue(System.nanoTime() < deadlineNs, "read to the end within " + WAIT_S + " s");
                for (final ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200)))
                {
                    final TopicPartition from = new TopicPartition(record.topic(), record.partition());
                    values.computeIfAbsent(from, tp -> new ArrayList<>()).add(record.value());
                }
            }
            final List<String> all = new ArrayList<>();
            assigned.forEach(tp -> all.addAll(values.getOrDefault(tp, List.of())));
            return all;
        }
    }
}
