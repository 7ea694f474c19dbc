package io.xin.cluster;

import io.xin.core.journal.JournalShard;
import io.xin.core.social.SocialFeed;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cluster's social feed: what every node must see of every other node's users, on two topics of their own.
 * <ul>
 *   <li>{@code <name>.social} (one partition per journal shard, kept an hour): presence changes, published by the
 *   node that serves the user; every node reads every partition from its end when it starts (no group: each node
 *   reads all of it), asks the others to publish their online users again, and gives the other nodes' records to
 *   its presence thread. A node skips its own records: its
 *   own users' presence is its own.</li>
 *   <li>{@code <name>.directory} (compacted): contact discovery's registrations, key {@code key id | user id}, value
 *   the tag, a tombstone on removal. Every node reads it from the start before it is {@link #ready() ready}, and
 *   then follows it.</li>
 * </ul>
 * The producer is idempotent with {@code acks=all}, not transactional: a record is the news of a change, not the
 * change (presence lives in memory, registrations in each node's directory), so a fenced owner has nothing to undo.
 * <p>
 * Threading: the thread {@code xin-social} owns the consumers and sends the presence records queued by the presence
 * thread (which never waits for the brokers); discovery threads publish registrations themselves and wait for the
 * brokers' ack.
 */
public final class ClusterSocialFeed implements SocialFeed, AutoCloseable
{
    static final String SOCIAL = "social";
    static final String DIRECTORY = "directory";
    /** How long the social topic keeps presence: a record is news only while a node may still read it. */
    static final long SOCIAL_RETENTION_MS = TimeUnit.HOURS.toMillis(1);
    private static final Logger LOGGER = LoggerFactory.getLogger(ClusterSocialFeed.class);
    private static final Duration POLL = Duration.ofMillis(20);
    /** The partition of the nearby events under the fixed key (shakes that may pair with any other). */
    static final int FIXED_KEY_PARTITION = 0;
    /** The longest the start waits for the directory topic's end before giving up (the node then fails). */
    private static final long LOAD_TIMEOUT_NS = TimeUnit.MINUTES.toNanos(10);

    private final ClusterConfig config;
    /**
     * Who this node's records say they are from: its node id and this process's start, so that a node restarted
     * under the same id (kill -9, then systemd) is another sender than the one it replaces, and what that one said
     * of its users is over when the new one takes their shards.
     */
    private final String sender;
    private final int partitions;
    private final String socialTopic;
    private final String directoryTopic;
    /** Presence of this node's users, queued by the presence thread, sent by the feed's thread. */
    private final Queue<ProducerRecord<byte[], byte[]>> outgoing = new ConcurrentLinkedQueue<>();
    private final LongAdder published = new LongAdder();
    private final LongAdder publishFailures = new LongAdder();
    private final LongAdder applied = new LongAdder();
    private final LongAdder registrationsApplied = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    /** Set at launch, before start. */
    private volatile PresenceListener presence;
    private volatile DirectoryListener directory;
    private volatile NearbyListener nearby;
    /** Created by start; thread-safe (discovery threads publish through it too). */
    private volatile KafkaProducer<byte[], byte[]> producer;
    private volatile boolean running;
    private volatile boolean directoryLoaded;
    private volatile boolean alive = true;
    private volatile long lag;
    private Thread thread;
    private KafkaConsumer<byte[], byte[]> socialConsumer;

    ClusterSocialFeed(final ClusterConfig config)
    {
        this.config = config;
        this.sender = config.nodeId() + "#" + Long.toHexString(new SecureRandom().nextLong() >>> 16);
        this.partitions = config.partitions();
        this.socialTopic = config.topic(SOCIAL);
        this.directoryTopic = config.topic(DIRECTORY);
    }

    /** The sender its records name: the node id and this process's own id. */
    String sender()
    {
        return sender;
    }

    @Override
    public void attachPresence(final PresenceListener listener)
    {
        this.presence = listener;
    }

    @Override
    public void attachDirectory(final DirectoryListener listener)
    {
        this.directory = listener;
    }

    @Override
    public void attachNearby(final NearbyListener listener)
    {
        this.nearby = listener;
    }

    @Override
    public void publishNearby(
        final int op, final long userId, final long cell, final long routeKey, final long eventTimeMs, final long token)
    {
        if (!running)
        {
            return;
        }
        final byte[] value = SocialRecords.encode(
            new SocialRecords.Nearby(sender, op, userId, cell, eventTimeMs, token));
        // Every event of one coarse cell in one partition, in one order on every node; the fixed key's in one too.
        final int partition = routeKey == 0 ? FIXED_KEY_PARTITION : Math.floorMod(Long.hashCode(routeKey *
            0x9E3779B97F4A7C15L), partitions);
        outgoing.add(new ProducerRecord<>(socialTopic, partition,
            routeKey == 0 ? null : SocialRecords.userKey(routeKey), value));
    }

    @Override
    public void publishPresence(final long userId, final boolean online, final long lastSeenMs, final boolean hidden)
    {
        if (!running)
        {
            return;
        }
        final byte[] value = SocialRecords.encode(
            new SocialRecords.Presence(sender, userId, online, lastSeenMs, hidden));
        // One partition per shard: a user's records stay in order, and users of one shard share a partition.
        outgoing.add(new ProducerRecord<>(socialTopic, JournalShard.of(userId, partitions),
            SocialRecords.userKey(userId), value));
    }

    /**
     * Tells every node, this one too, that this node serves the users of {@code shard} from now on: queued behind
     * nothing of those users (it serves none of them yet), and ahead of their logins here on the same partition.
     * Cluster thread, after the shard is taken.
     */
    void publishShardServed(final int shard)
    {
        if (running)
        {
            outgoing.add(new ProducerRecord<>(socialTopic, shard, null,
                SocialRecords.encodeShardServed(sender, shard)));
        }
    }

    @Override
    public void publishRegistration(final int keyId, final long userId, final byte[] tag)
    {
        final KafkaProducer<byte[], byte[]> out = producer;
        if (out == null || !running)
        {
            throw new IllegalStateException("the social feed is not running");
        }
        try
        {
            out.send(new ProducerRecord<>(directoryTopic, SocialRecords.registrationKey(keyId, userId), tag))
                .get(config.appendTimeoutMs(), TimeUnit.MILLISECONDS);
            published.increment();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            publishFailures.increment();
            throw new IllegalStateException("interrupted while publishing a registration", ex);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            publishFailures.increment();
            throw new IllegalStateException("the brokers did not take a registration: " + ex, ex);
        }
    }

    /** Starts the feed's thread, which loads the directory first. After the switch is launched. */
    void start()
    {
        running = true;
        producer = new KafkaProducer<>(producerProps());
        thread = new Thread(this::run, "xin-social");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Whether the directory was read to the end the topic had at start, and the social topic's ends are known (so
     * every later change is seen), and the thread runs. What readiness adds in cluster mode. Any thread.
     */
    public boolean ready()
    {
        return running && alive && directoryLoaded;
    }

    /** Records this node published: presence changes and registrations. */
    public long published()
    {
        return published.sum();
    }

    /** Records the brokers did not take (presence dropped, registrations answered with an error). */
    public long publishFailures()
    {
        return publishFailures.sum();
    }

    /** Records applied here: other nodes' presence, and every node's nearby events (this node's too). */
    public long applied()
    {
        return applied.sum();
    }

    /** Directory records applied to this node's directory, its own included. */
    public long registrationsApplied()
    {
        return registrationsApplied.sum();
    }

    /** Records skipped as not of this feed's format. */
    public long malformed()
    {
        return malformed.sum();
    }

    /** Records of the social topic written and not yet read here, at the last poll. */
    public long lag()
    {
        return lag;
    }

    @Override
    public void close()
    {
        if (!running)
        {
            return;
        }
        running = false;
        final KafkaConsumer<byte[], byte[]> consumer = socialConsumer;
        if (consumer != null)
        {
            consumer.wakeup();
        }
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
    }

    private void run()
    {
        try (KafkaConsumer<byte[], byte[]> directoryConsumer = new KafkaConsumer<>(consumerProps("directory"));
            KafkaConsumer<byte[], byte[]> social = new KafkaConsumer<>(consumerProps("social")))
        {
            socialConsumer = social;
            // From the end: presence is news, and this node's own view of its users needs no history.
            final List<TopicPartition> socialPartitions = partitionsOf(social, socialTopic);
            social.assign(socialPartitions);
            social.seekToEnd(socialPartitions);
            for (final TopicPartition partition : socialPartitions)
            {
                // Resolves the end now: every record published after this point is read.
                social.position(partition);
            }
            // This node knows nothing of the others' online users: ask them to say it again.
            outgoing.add(new ProducerRecord<>(socialTopic, 0, null, SocialRecords.encodeRepublish(sender)));
            final List<TopicPartition> directoryPartitions = partitionsOf(directoryConsumer, directoryTopic);
            directoryConsumer.assign(directoryPartitions);
            directoryConsumer.seekToBeginning(directoryPartitions);
            loadDirectory(directoryConsumer, directoryPartitions);
            directoryLoaded = true;
            while (running)
            {
                sendOutgoing();
                for (final ConsumerRecord<byte[], byte[]> record : social.poll(POLL))
                {
                    applyPresence(record);
                }
                for (final ConsumerRecord<byte[], byte[]> record : directoryConsumer.poll(Duration.ZERO))
                {
                    applyRegistration(record);
                }
                lag = lagOf(social, socialPartitions);
            }
        }
        catch (final WakeupException ex)
        {
            // Closing.
        }
        catch (final RuntimeException ex)
        {
            if (running)
            {
                LOGGER.error("Social feed failed: presence of other nodes and directory changes stop here", ex);
            }
        }
        finally
        {
            alive = false;
        }
    }

    private void loadDirectory(final KafkaConsumer<byte[], byte[]> consumer, final List<TopicPartition> partitions)
    {
        final long startNs = System.nanoTime();
        final Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        long records = 0;
        while (running && !reached(consumer, ends))
        {
            if (System.nanoTime() - startNs > LOAD_TIMEOUT_NS)
            {
                throw new IllegalStateException("the directory topic was not read to its end in time");
            }
            for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL))
            {
                applyRegistration(record);
                records++;
            }
            // Presence keeps flowing out while the directory loads.
            sendOutgoing();
        }
        LOGGER.info("Directory topic read: {} records in {} ms", records,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    private static boolean reached(final KafkaConsumer<byte[], byte[]> consumer, final Map<TopicPartition, Long> ends)
    {
        for (final Map.Entry<TopicPartition, Long> end : ends.entrySet())
        {
            if (consumer.position(end.getKey()) < end.getValue())
            {
                return false;
            }
        }
        return true;
    }

    private void sendOutgoing()
    {
        ProducerRecord<byte[], byte[]> record;
        while ((record = outgoing.poll()) != null)
        {
            producer.send(record, (metadata, failure) ->
            {
                if (failure == null)
                {
                    published.increment();
                }
                else
                {
                    // Presence is best effort: the user's next change publishes its whole state again.
                    publishFailures.increment();
                }
            });
        }
    }

    private void applyPresence(final ConsumerRecord<byte[], byte[]> record)
    {
        final PresenceListener listener = presence;
        final SocialRecords.Presence change = SocialRecords.decodePresence(record.value());
        if (change == null)
        {
            final SocialRecords.Nearby event = SocialRecords.decodeNearby(record.value());
            if (event != null)
            {
                final NearbyListener nearbyListener = nearby;
                if (nearbyListener != null)
                {
                    nearbyListener.nearbyEvent(event.nodeId().equals(sender), event.token(), event.op(),
                        event.userId(), event.cell(), event.eventTimeMs(), record.partition(), record.offset());
                    applied.increment();
                }
                return;
            }
            final SocialRecords.ShardServed served = SocialRecords.decodeShardServed(record.value());
            if (served != null)
            {
                if (listener != null && served.shard() < partitions)
                {
                    listener.shardServed(served.nodeId(), served.shard(), partitions);
                    applied.increment();
                }
                return;
            }
            final String starting = SocialRecords.decodeRepublish(record.value());
            if (starting == null)
            {
                malformed.increment();
            }
            else if (listener != null && !starting.equals(sender))
            {
                listener.republish();
            }
            return;
        }
        if (listener == null || change.nodeId().equals(sender))
        {
            return;
        }
        listener.remotePresence(change.nodeId(), change.userId(), change.online(), change.lastSeenMs(),
            change.hidden());
        applied.increment();
    }

    private void applyRegistration(final ConsumerRecord<byte[], byte[]> record)
    {
        final SocialRecords.Registration registration = SocialRecords.decodeRegistration(record.key(), record.value());
        if (registration == null)
        {
            malformed.increment();
            return;
        }
        final DirectoryListener listener = directory;
        if (listener != null)
        {
            listener.registration(registration.keyId(), registration.userId(), registration.tag());
            registrationsApplied.increment();
        }
    }

    private static long lagOf(final KafkaConsumer<byte[], byte[]> consumer, final List<TopicPartition> partitions)
    {
        long total = 0;
        for (final TopicPartition partition : partitions)
        {
            final OptionalLong partitionLag = consumer.currentLag(partition);
            total += partitionLag.orElse(0);
        }
        return total;
    }

    private static List<TopicPartition> partitionsOf(final KafkaConsumer<byte[], byte[]> consumer, final String topic)
    {
        final List<TopicPartition> out = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(info ->
            out.add(new TopicPartition(topic, info.partition())));
        return out;
    }

    private Map<String, Object> consumerProps(final String clientSuffix)
    {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, config.clusterName() + "-" + config.nodeId() + "-" + clientSuffix);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.putAll(config.kafkaOverrides());
        // No group: every node reads every partition.
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return props;
    }

    private Map<String, Object> producerProps()
    {
        final Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, config.clusterName() + "-" + config.nodeId() + "-social");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, config.appendTimeoutMs());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(config.appendTimeoutMs(), 5_000));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, config.appendTimeoutMs());
        props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 10);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.putAll(config.kafkaOverrides());
        return props;
    }
}
