package io.xin.cluster;

import io.xin.core.journal.Handoff;
import io.xin.core.journal.JournalShard;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The transactional producer of one owned shard. Its transactional id is the shard's, the same on every node: when a
 * new owner initialises it, Kafka fences the previous owner's producer (its next commit fails) and aborts its open
 * transaction, so two nodes can never both append to a shard. Each journal batch is one transaction: the log entry,
 * the hand-offs to other shards and the hand-off queue's consumed offset, all or nothing.
 * <p>
 * Used by the shard's journal thread; created, initialised and closed by the cluster's thread.
 */
final class ShardProducer implements AutoCloseable
{
    private final KafkaProducer<byte[], byte[]> producer;
    private final int shard;
    private final int partitions;
    private final String logTopic;
    private final String handoffTopic;
    private final TopicPartition incoming;

    ShardProducer(final ClusterConfig config, final int shard)
    {
        this.shard = shard;
        this.partitions = config.partitions();
        this.logTopic = config.topic(ClusterNode.LOG);
        this.handoffTopic = config.topic(ClusterNode.HANDOFF);
        this.incoming = new TopicPartition(handoffTopic, shard);
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, config.clusterName() + "-" + config.nodeId() + "-shard-" + shard);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.clusterName() + ".shard-" + shard);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // A batch is sent at once: the journal already groups what arrived together into one entry.
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.appendTimeoutMs());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(config.appendTimeoutMs(), 5_000));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, config.appendTimeoutMs());
        // An owner that stops mid-transaction holds back the readers (read_committed) until this passes or a new
        // owner takes the shard; kept short, above an append's own timeout.
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, config.appendTimeoutMs() + 5_000);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, ClusterNode.MAX_RECORD_BYTES);
        // A transaction that starts while the last one's markers are still being written is told to retry
        // (CONCURRENT_TRANSACTIONS): back-to-back transactions measured 3-6 ms at p50 with 5 ms here, 8-10 ms with
        // Kafka's 100 ms default. The backoff still grows to retry.backoff.max.ms when a broker is away.
        props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.putAll(config.kafkaOverrides());
        this.producer = new KafkaProducer<>(props);
    }

    /** Fences every earlier owner's producer of this shard and aborts its open transaction. */
    void init()
    {
        producer.initTransactions();
    }

    /**
     * Appends one journal batch as one transaction.
     *
     * @return the log offset after the batch's entry.
     * @throws ShardFencedException if another node owns the shard now.
     * @throws KafkaException       if the transaction failed or its outcome is unknown.
     */
    long append(
        final ByteBuffer entry,
        final List<Handoff> handoffs,
        final long handoffsTakenBefore,
        final ConsumerGroupMetadata group)
    {
        try
        {
            producer.beginTransaction();
            final byte[] value = new byte[entry.remaining()];
            entry.duplicate().get(value);
            final Future<RecordMetadata> logged = producer.send(new ProducerRecord<>(logTopic, shard, null, value));
            for (int i = 0, size = handoffs.size(); i < size; i++)
            {
                final Handoff handoff = handoffs.get(i);
                producer.send(new ProducerRecord<>(handoffTopic, JournalShard.of(handoff.recipientId(), partitions),
                    null, HandoffRecords.encode(handoff)));
            }
            if (handoffsTakenBefore >= 0)
            {
                // Exactly once: the hand-offs this batch appended are consumed in the same transaction.
                producer.sendOffsetsToTransaction(
                    Map.of(incoming, new OffsetAndMetadata(handoffsTakenBefore)), group);
            }
            producer.commitTransaction();
            return logged.get().offset() + 1;
        }
        catch (final ProducerFencedException | InvalidProducerEpochException ex)
        {
            throw new ShardFencedException(shard, ex);
        }
        catch (final KafkaException ex)
        {
            abortQuietly();
            throw ex;
        }
        catch (final ExecutionException ex)
        {
            // Committed, so sent: not reached in practice.
            throw new KafkaException("log append of shard " + shard, ex.getCause());
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted in the log append of shard " + shard, ex);
        }
    }

    private void abortQuietly()
    {
        try
        {
            producer.abortTransaction();
        }
        catch (final RuntimeException ignored)
        {
            // Fenced or closed: the next owner's initialisation aborts it.
        }
    }

    @Override
    public void close()
    {
        producer.close(Duration.ofSeconds(5));
    }
}
