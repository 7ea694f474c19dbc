package io.xin.cluster;

import io.xin.core.device.Placement;
import io.xin.core.journal.Handoff;
import io.xin.core.journal.Journal;
import io.xin.core.journal.JournalShard;
import io.xin.core.journal.ReplicatedShards;
import io.xin.storage.JournalBatch;
import io.xin.storage.XinStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * One switch's membership of a cluster on Kafka.
 * <p>
 * Three topics, named after the cluster: {@code .log} (one partition per journal shard: the shard's message log),
 * {@code .handoff} (the same partitions: messages for a shard's users from other shards) and {@code .owners}
 * (compacted: which node owns each shard, for redirects); and the social feed's two ({@link ClusterSocialFeed}:
 * {@code .social}, {@code .directory}). Every node is a member of one consumer group subscribed
 * to the hand-off topic; the partitions the group assigns a node are the shards it owns. An owner alone appends to
 * its shards' logs, through a transactional producer per shard whose id fences the previous owner
 * ({@link ShardProducer}), and it consumes its shards' hand-offs in the same transactions (exactly once).
 * <p>
 * Every node also keeps a standby copy of the shards it does not own: it reads their logs (read_committed) into its
 * RocksDB as they grow, so a node that takes a shard only reads the tail written since, and failover does not grow
 * with history.
 * <p>
 * Threading: the thread {@code xin-cluster} owns the consumers and every ownership change; journal threads call
 * {@link #append} for their own shard; {@link #ownerEpoch} and {@link #redirectFor} are read by any thread.
 */
public final class ClusterNode implements ReplicatedShards, Placement, AutoCloseable
{
    static final String LOG = "log";
    static final String HANDOFF = "handoff";
    static final String OWNERS = "owners";
    private static final Logger LOGGER = LoggerFactory.getLogger(ClusterNode.class);
    private static final Duration POLL = Duration.ofMillis(20);
    /** The largest record: a journal batch's entry (appended at 8 MiB even mid-batch) and one more message. */
    static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;
    private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** Standby copies this close to the logs' ends let a starting node join the group. */
    private static final long CAUGHT_UP_ENTRIES = 1_000;

    private final ClusterConfig config;
    private final int partitions;
    private final String logTopic;
    private final String handoffTopic;
    private final String ownersTopic;
    /** Presence and the discovery directory of every node; started and closed with this node. */
    private final ClusterSocialFeed social;
    /** Per shard: the epoch of this node's ownership, 0 when not owned. Written by the cluster thread and lost(). */
    private final AtomicLongArray epochs;
    /** Per shard: the producer while owned. Written by the cluster thread, read by the shard's journal. */
    private final AtomicReferenceArray<ShardProducer> producers;
    /** Per shard: the advertised address of its owner, from the owners topic. Written by the cluster thread. */
    private final AtomicReferenceArray<String> ownerAddresses;
    /** Shards whose journal gave them up after a failed append; the cluster thread restores them. */
    private final ConcurrentLinkedQueue<Integer> lostShards = new ConcurrentLinkedQueue<>();
    private final LongAdder appends = new LongAdder();
    private final LongAdder appendNanos = new LongAdder();
    private final LongAdder handoffsReceived = new LongAdder();
    private final LongAdder standbyEntriesApplied = new LongAdder();
    private final LongAdder restores = new LongAdder();
    private final LongAdder restoredEntries = new LongAdder();
    private final LongAdder restoreNanos = new LongAdder();
    /**
     * The group as named in the offsets each append commits: its id alone, without the member's generation. The
     * shard's transactional id fences an earlier owner already (a new owner initialises it before reading the log);
     * the generation would also fail every append of every shard, moved or not, whose offsets were taken before a
     * rebalance the group consumer has not polled yet, and each such failure gives the shard up and kicks its users.
     */
    private final ConsumerGroupMetadata groupMetadata;
    private volatile long standbyLag;
    private volatile boolean running;
    /** False once the cluster thread has ended, for whatever reason. */
    private volatile boolean memberAlive = true;
    private long nextEpoch;

    private XinStore store;
    private Journal[] journals;
    private IntConsumer movedAway;
    /** Told of the friendships written by other nodes as the standby copies apply them (presence follows them). */
    private XinStore.RelationsApplied relations;
    private Thread thread;
    private KafkaConsumer<byte[], byte[]> group;

    /** Shards assigned by the group whose activation has yet to succeed. Cluster thread. */
    private final Set<Integer> pendingActivation = new HashSet<>();
    private long retryAtNanos;

    /**
     * @param config the cluster to join; validated here.
     */
    public ClusterNode(final ClusterConfig config)
    {
        config.validate();
        this.config = config;
        this.partitions = config.partitions();
        this.logTopic = config.topic(LOG);
        this.handoffTopic = config.topic(HANDOFF);
        this.ownersTopic = config.topic(OWNERS);
        this.epochs = new AtomicLongArray(partitions);
        this.producers = new AtomicReferenceArray<>(partitions);
        this.ownerAddresses = new AtomicReferenceArray<>(partitions);
        this.groupMetadata = new ConsumerGroupMetadata(config.clusterName());
        this.social = new ClusterSocialFeed(config);
    }

    /** The social feed: give it to the switch's context ({@code Context.socialFeed}) before launch. */
    public ClusterSocialFeed social()
    {
        return social;
    }

    /** The partitions, which the switch runs as its journal shards. */
    public int partitions()
    {
        return partitions;
    }

    public ClusterConfig config()
    {
        return config;
    }

    /**
     * Creates the cluster's topics if they are missing, and checks that existing ones have the configured partition
     * count (fixed when the cluster is created).
     *
     * @throws IllegalStateException if a topic has another partition count, or Kafka cannot be reached.
     */
    public void ensureTopics()
    {
        final Map<String, Object> props = new HashMap<>(config.kafkaOverrides());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        try (Admin admin = Admin.create(props))
        {
            final Map<String, String> durable = Map.of(
                "min.insync.replicas", Integer.toString(config.minInsyncReplicas()),
                "unclean.leader.election.enable", "false");
            final Map<String, String> logConfig = new HashMap<>(durable);
            // A journal batch is one record, up to the journal's entry limit (8 MiB) plus its last message.
            logConfig.put("max.message.bytes", Integer.toString(MAX_RECORD_BYTES));
            // The log is the shards' history: new nodes and standbys read it from the start. Kept until deleted.
            logConfig.put("retention.ms", "-1");
            final Map<String, String> handoffConfig = new HashMap<>(durable);
            handoffConfig.put("max.message.bytes", Integer.toString(MAX_RECORD_BYTES));
            final Map<String, String> ownersConfig = new HashMap<>(durable);
            ownersConfig.put("cleanup.policy", "compact");
            // Presence and nearby events are news: a node reads them as they come, never an hour later.
            final Map<String, String> socialConfig = new HashMap<>(durable);
            socialConfig.put("retention.ms", Long.toString(ClusterSocialFeed.SOCIAL_RETENTION_MS));
            // The directory: the latest registration per key id and user, tombstones dropped after a day.
            final Map<String, String> directoryConfig = new HashMap<>(durable);
            directoryConfig.put("cleanup.policy", "compact");
            directoryConfig.put("delete.retention.ms", Long.toString(TimeUnit.DAYS.toMillis(1)));
            final String socialTopic = config.topic(ClusterSocialFeed.SOCIAL);
            final List<NewTopic> topics = List.of(
                new NewTopic(logTopic, partitions, config.replicationFactor()).configs(logConfig),
                new NewTopic(handoffTopic, partitions, config.replicationFactor()).configs(handoffConfig),
                new NewTopic(ownersTopic, 1, config.replicationFactor()).configs(ownersConfig),
                new NewTopic(socialTopic, partitions, config.replicationFactor()).configs(socialConfig),
                new NewTopic(config.topic(ClusterSocialFeed.DIRECTORY), partitions, config.replicationFactor())
                    .configs(directoryConfig));
            for (final NewTopic topic : topics)
            {
                try
                {
                    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
                    LOGGER.info("Created topic {} ({} partitions, replication factor {})",
                        topic.name(), topic.numPartitions(), topic.replicationFactor());
                }
                catch (final ExecutionException ex)
                {
                    if (!(ex.getCause() instanceof TopicExistsException))
                    {
                        throw new IllegalStateException("cannot create topic " + topic.name() + ": " + ex.getCause(),
                            ex.getCause());
                    }
                }
            }
            final Map<String, TopicDescription> described = describe(admin,
                List.of(logTopic, handoffTopic, socialTopic));
            for (final TopicDescription description : described.values())
            {
                if (description.partitions().size() != partitions)
                {
                    throw new IllegalStateException("topic " + description.name() + " has " +
                        description.partitions().size() + " partitions but the cluster is configured with " +
                        partitions + ": the partition count is fixed when the cluster is created");
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", ex);
        }
        catch (final ExecutionException | java.util.concurrent.TimeoutException ex)
        {
            throw new IllegalStateException("cannot reach Kafka at " + config.bootstrapServers() + ": " + ex, ex);
        }
    }

    /** Describes new topics, waiting (bounded) until the brokers' metadata holds them. */
    private static Map<String, TopicDescription> describe(final Admin admin, final List<String> topics)
        throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            try
            {
                return admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
            }
            catch (final ExecutionException ex)
            {
                if (!(ex.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() - deadlineNs > 0)
                {
                    throw ex;
                }
                Thread.sleep(100);
            }
        }
    }

    @Override
    public void attach(
        final XinStore store, final Journal[] journals, final IntConsumer movedAway,
        final XinStore.RelationsApplied relations)
    {
        if (journals.length != partitions)
        {
            throw new IllegalArgumentException("the switch runs " + journals.length + " journal shards; the cluster " +
                "has " + partitions + " partitions");
        }
        this.store = store;
        this.journals = journals;
        this.movedAway = movedAway;
        this.relations = relations;
    }

    /** Joins the group and starts the cluster thread. After the switch is launched (and so attached). */
    public void start()
    {
        if (store == null)
        {
            throw new IllegalStateException("not attached to a switch");
        }
        running = true;
        social.start();
        thread = new Thread(this::run, "xin-cluster");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public long ownerEpoch(final int shard)
    {
        return epochs.get(shard);
    }

    /**
     * Where a user should be served: null when this node owns the user's shard, the owner's advertised address when
     * another node is known to, "" when no owner is known yet. Any thread; does not block.
     */
    @Override
    public String redirectFor(final long userId)
    {
        final int shard = JournalShard.of(userId, partitions);
        if (epochs.get(shard) != 0)
        {
            return null;
        }
        final String address = ownerAddresses.get(shard);
        return address == null || address.equals(config.advertisedAddress()) ? "" : address;
    }

    @Override
    public long append(
        final int shard, final long epoch, final JournalBatch batch, final List<Handoff> handoffs,
        final long handoffsTakenBefore)
    {
        final ShardProducer producer = producers.get(shard);
        if (producer == null || epochs.get(shard) != epoch)
        {
            throw new IllegalStateException("journal shard " + shard + " is not owned by this node (epoch " + epoch +
                ")");
        }
        final long startNs = System.nanoTime();
        final long end = producer.append(batch.entry(), handoffs, handoffsTakenBefore, groupMetadata);
        appendNanos.add(System.nanoTime() - startNs);
        appends.increment();
        return end;
    }

    @Override
    public void lost(final int shard, final long epoch, final RuntimeException cause)
    {
        if (epochs.compareAndSet(shard, epoch, 0))
        {
            lostShards.add(shard);
        }
    }

    /**
     * Whether the node's cluster thread runs and takes part in the group: false before {@link #start()}, after
     * {@link #close()}, and after the thread failed (then the node owns nothing until restarted). What a balancer's
     * health check should see. Any thread.
     */
    public boolean isMember()
    {
        return running && memberAlive;
    }

    /**
     * Whether the node should take sessions: a {@link #isMember() member} whose social feed has read the discovery
     * directory (a MATCH here would otherwise miss registrations made on other nodes). Any thread.
     */
    public boolean isReady()
    {
        return isMember() && social.ready();
    }

    /** The shards this node owns now. Any thread. */
    public List<Integer> ownedShards()
    {
        final List<Integer> owned = new ArrayList<>();
        for (int shard = 0; shard < partitions; shard++)
        {
            if (epochs.get(shard) != 0)
            {
                owned.add(shard);
            }
        }
        return owned;
    }

    /** Counters for metrics: appends, their total nanos, hand-offs read, standby entries, restores. Any thread. */
    public long appends()
    {
        return appends.sum();
    }

    public long appendNanos()
    {
        return appendNanos.sum();
    }

    public long handoffsReceived()
    {
        return handoffsReceived.sum();
    }

    public long standbyEntriesApplied()
    {
        return standbyEntriesApplied.sum();
    }

    /** Entries of the logs of standby shards written to Kafka and not yet in this node's RocksDB. */
    public long standbyLag()
    {
        return standbyLag;
    }

    public long restores()
    {
        return restores.sum();
    }

    public long restoredEntries()
    {
        return restoredEntries.sum();
    }

    public long restoreNanos()
    {
        return restoreNanos.sum();
    }

    /**
     * Leaves the group: the shards this node owns move to the others at once (no session timeout to wait for), its
     * sessions are sent elsewhere, and its producers are closed. Any thread; waits for the cluster thread.
     */
    @Override
    public void close()
    {
        if (!running)
        {
            return;
        }
        running = false;
        final KafkaConsumer<byte[], byte[]> consumer = group;
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
        social.close();
    }

    private Map<String, Object> consumerProps(final String clientSuffix)
    {
        final Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, config.clusterName() + "-" + config.nodeId() + "-" + clientSuffix);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
        props.putAll(config.kafkaOverrides());
        return props;
    }

    private void run()
    {
        final Map<String, Object> groupProps = consumerProps("group");
        groupProps.put(ConsumerConfig.GROUP_ID_CONFIG, config.clusterName());
        groupProps.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, config.sessionTimeoutMs());
        groupProps.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, config.heartbeatIntervalMs());
        groupProps.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        groupProps.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 300_000);
        final Map<String, Object> ownersProducerProps = new HashMap<>(config.kafkaOverrides());
        ownersProducerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        ownersProducerProps.put(ProducerConfig.CLIENT_ID_CONFIG, config.clusterName() + "-" + config.nodeId() +
            "-owners");
        ownersProducerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        ownersProducerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        ownersProducerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        try (KafkaConsumer<byte[], byte[]> standby = new KafkaConsumer<>(consumerProps("standby"));
            KafkaConsumer<byte[], byte[]> restore = new KafkaConsumer<>(consumerProps("restore"));
            KafkaConsumer<byte[], byte[]> owners = new KafkaConsumer<>(consumerProps("owners"));
            KafkaProducer<byte[], byte[]> ownersProducer = new KafkaProducer<>(ownersProducerProps))
        {
            final Loop loop = new Loop(standby, restore, owners, ownersProducer);
            group = new KafkaConsumer<>(groupProps);
            try
            {
                loop.run();
            }
            finally
            {
                try
                {
                    // Leaving the group revokes every shard here (the listener gives them up) and lets the others
                    // take them at once.
                    group.close(Duration.ofSeconds(10));
                }
                catch (final RuntimeException ex)
                {
                    LOGGER.warn("Leaving the group failed", ex);
                }
                for (int shard = 0; shard < partitions; shard++)
                {
                    loop.giveUp(shard);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            if (running)
            {
                LOGGER.error("Cluster thread failed: this node owns no shard until restarted", ex);
            }
        }
        finally
        {
            memberAlive = false;
            for (int shard = 0; shard < partitions; shard++)
            {
                epochs.set(shard, 0);
                final ShardProducer producer = producers.getAndSet(shard, null);
                if (producer != null)
                {
                    producer.close();
                }
            }
        }
    }

    /** The cluster thread's state: its consumers and which log partitions it keeps standby copies of. */
    private final class Loop implements ConsumerRebalanceListener
    {
        private final KafkaConsumer<byte[], byte[]> standby;
        private final KafkaConsumer<byte[], byte[]> restore;
        private final KafkaConsumer<byte[], byte[]> owners;
        private final KafkaProducer<byte[], byte[]> ownersProducer;
        private final Set<TopicPartition> standbyAssigned = new HashSet<>();
        private final boolean[] toNudge = new boolean[partitions];
        private final List<List<ByteBuffer>> entriesOfShard = new ArrayList<>();
        private final long[] endOfShard = new long[partitions];

        Loop(
            final KafkaConsumer<byte[], byte[]> standby,
            final KafkaConsumer<byte[], byte[]> restore,
            final KafkaConsumer<byte[], byte[]> owners,
            final KafkaProducer<byte[], byte[]> ownersProducer)
        {
            this.standby = standby;
            this.restore = restore;
            this.owners = owners;
            this.ownersProducer = ownersProducer;
            for (int shard = 0; shard < partitions; shard++)
            {
                entriesOfShard.add(new ArrayList<>());
            }
        }

        void run()
        {
            final TopicPartition ownersPartition = new TopicPartition(ownersTopic, 0);
            owners.assign(List.of(ownersPartition));
            owners.seekToBeginning(List.of(ownersPartition));
            final Set<Integer> all = new HashSet<>();
            for (int shard = 0; shard < partitions; shard++)
            {
                all.add(shard);
            }
            addStandby(all);
            catchUpBeforeJoining();
            group.subscribe(List.of(handoffTopic), this);
            while (running)
            {
                final ConsumerRecords<byte[], byte[]> handoffs;
                try
                {
                    handoffs = group.poll(POLL);
                }
                catch (final WakeupException ex)
                {
                    break;
                }
                takeHandoffs(handoffs);
                restoreLost();
                retryActivations();
                if (!standbyAssigned.isEmpty())
                {
                    applyStandby(standby.poll(Duration.ZERO), relations);
                }
                readOwners(owners.poll(Duration.ZERO));
            }
        }

        /**
         * A node that comes back (or a new one) first brings its standby copies close to the logs' ends, and only
         * then joins the group: a shard it is given then needs only a short tail, and the shards it takes from
         * others are not held up by its catching up.
         */
        private void catchUpBeforeJoining()
        {
            final long startNs = System.nanoTime();
            long applied = 0;
            while (running)
            {
                final ConsumerRecords<byte[], byte[]> records = standby.poll(POLL);
                applied += records.count();
                // History: no user is served here yet, so presence has nobody to tell of its friend rows.
                applyStandby(records, null);
                if (records.isEmpty() && lagKnown() && standbyLag <= CAUGHT_UP_ENTRIES)
                {
                    break;
                }
            }
            LOGGER.info("Standby copies caught up: {} log entries in {} ms; joining the group", applied,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
        }

        /**
         * Whether the standby consumer knows the end of every log it reads (after its first fetch of each); if so,
         * {@link #standbyLag} is set to the entries not yet read.
         */
        private boolean lagKnown()
        {
            long lag = 0;
            for (final TopicPartition partition : standbyAssigned)
            {
                final java.util.OptionalLong partitionLag = standby.currentLag(partition);
                if (partitionLag.isEmpty())
                {
                    return false;
                }
                lag += partitionLag.getAsLong();
            }
            standbyLag = lag;
            return true;
        }

        private void takeHandoffs(final ConsumerRecords<byte[], byte[]> records)
        {
            if (records.isEmpty())
            {
                return;
            }
            for (final ConsumerRecord<byte[], byte[]> record : records)
            {
                final int shard = record.partition();
                final long epoch = epochs.get(shard);
                if (epoch == 0)
                {
                    continue;
                }
                journals[shard].handOff(HandoffRecords.decode(record.value(), record.offset(), epoch));
                handoffsReceived.increment();
                toNudge[shard] = true;
            }
            for (int shard = 0; shard < partitions; shard++)
            {
                if (toNudge[shard])
                {
                    toNudge[shard] = false;
                    journals[shard].nudge();
                }
            }
        }

        @Override
        public void onPartitionsAssigned(final Collection<TopicPartition> assigned)
        {
            for (final TopicPartition partition : assigned)
            {
                pendingActivation.add(partition.partition());
            }
            retryAtNanos = System.nanoTime();
            retryActivations();
        }

        @Override
        public void onPartitionsRevoked(final Collection<TopicPartition> revoked)
        {
            for (final TopicPartition partition : revoked)
            {
                giveUp(partition.partition());
            }
        }

        @Override
        public void onPartitionsLost(final Collection<TopicPartition> lost)
        {
            onPartitionsRevoked(lost);
        }

        private void retryActivations()
        {
            if (pendingActivation.isEmpty() || System.nanoTime() - retryAtNanos < 0)
            {
                return;
            }
            for (final Integer shard : new ArrayList<>(pendingActivation))
            {
                try
                {
                    activate(shard);
                    pendingActivation.remove(shard);
                }
                catch (final RuntimeException ex)
                {
                    LOGGER.warn("Taking journal shard {} failed; retrying", shard, ex);
                    retryAtNanos = System.nanoTime() + RETRY_NANOS;
                    return;
                }
            }
        }

        /**
         * Takes a shard: fences its previous owner, reads its log's tail into RocksDB, then lets the journal append.
         */
        private void activate(final int shard)
        {
            final long startNs = System.nanoTime();
            removeStandby(shard);
            final ShardProducer producer = new ShardProducer(config, shard);
            try
            {
                // After this no earlier owner can commit, and its open transaction is aborted: the log's end is final.
                producer.init();
                final long entries = catchUp(shard);
                // Hand-offs polled while the shard was not active here (a failed or retried take, a lost append) were
                // dropped: read again from what the last owner committed.
                rewindHandoffs(shard);
                producers.set(shard, producer);
                final long epoch = ++nextEpoch;
                epochs.set(shard, epoch);
                restores.increment();
                restoredEntries.add(entries);
                restoreNanos.add(System.nanoTime() - startNs);
                announceOwner(shard, epoch);
                social.publishShardServed(shard);
                LOGGER.info("Owns journal shard {} (epoch {}): read {} log entries in {} ms", shard, epoch, entries,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
                journals[shard].nudge();
            }
            catch (final RuntimeException ex)
            {
                producers.compareAndSet(shard, producer, null);
                epochs.set(shard, 0);
                producer.close();
                addStandby(Set.of(shard));
                throw ex;
            }
        }

        /** Gives a shard up: the journal stops appending, the sessions go elsewhere, the standby copy resumes. */
        void giveUp(final int shard)
        {
            pendingActivation.remove(shard);
            final long epoch = epochs.getAndSet(shard, 0);
            final ShardProducer producer = producers.getAndSet(shard, null);
            if (producer != null)
            {
                // Whatever the journal commits before this returns is in the log, which the next owner reads.
                producer.close();
            }
            if (epoch != 0)
            {
                LOGGER.info("Gave up journal shard {} (epoch {})", shard, epoch);
                movedAway.accept(shard);
            }
            if (running)
            {
                addStandby(Set.of(shard));
            }
        }

        private void restoreLost()
        {
            Integer shard;
            while ((shard = lostShards.poll()) != null)
            {
                final TopicPartition incoming = new TopicPartition(handoffTopic, shard);
                final ShardProducer producer = producers.getAndSet(shard, null);
                if (producer != null)
                {
                    producer.close();
                }
                // Always: a revocation after the loss found the epoch at 0 already and moved no one out, so the
                // shard's devices would stay logged in here, their sends never answered.
                movedAway.accept(shard);
                if (!group.assignment().contains(incoming))
                {
                    continue;
                }
                addStandby(Set.of(shard));
                pendingActivation.add(shard);
                retryAtNanos = System.nanoTime();
            }
        }

        private void rewindHandoffs(final int shard)
        {
            final TopicPartition incoming = new TopicPartition(handoffTopic, shard);
            if (!group.assignment().contains(incoming))
            {
                return;
            }
            final OffsetAndMetadata committed = group.committed(Set.of(incoming)).get(incoming);
            if (committed == null)
            {
                group.seekToBeginning(List.of(incoming));
            }
            else
            {
                group.seek(incoming, committed);
            }
        }

        /** Reads the shard's log from where RocksDB holds it to its end (the last committed entry). */
        private long catchUp(final int shard)
        {
            final TopicPartition partition = new TopicPartition(logTopic, shard);
            restore.assign(List.of(partition));
            try
            {
                long position = store.appliedPosition(shard);
                final long start = restore.beginningOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
                if (position < start)
                {
                    throw new IllegalStateException("the log of journal shard " + shard + " starts at offset " + start +
                        " but this node's RocksDB holds it only up to " + position + ": entries were deleted before " +
                        "this node read them; restore its data directory from another node's backup");
                }
                restore.seek(partition, position);
                final long end = restore.endOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
                long entries = 0;
                final long deadlineNs = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
                final List<ByteBuffer> chunk = new ArrayList<>();
                while (restore.position(partition) < end)
                {
                    if (System.nanoTime() - deadlineNs > 0)
                    {
                        throw new KafkaException("restore of journal shard " + shard + " did not reach " + end);
                    }
                    final ConsumerRecords<byte[], byte[]> records = restore.poll(POLL);
                    chunk.clear();
                    for (final ConsumerRecord<byte[], byte[]> record : records)
                    {
                        chunk.add(ByteBuffer.wrap(record.value()));
                        position = record.offset() + 1;
                    }
                    // Control records (transaction markers) move the position without an entry.
                    position = Math.max(position, restore.position(partition));
                    if (!chunk.isEmpty() || position > store.appliedPosition(shard))
                    {
                        store.applyReplicated(shard, chunk, position);
                    }
                    entries += chunk.size();
                }
                return entries;
            }
            finally
            {
                restore.assign(List.of());
            }
        }

        private void announceOwner(final int shard, final long epoch)
        {
            final byte[] key = ByteBuffer.allocate(4).putInt(shard).array();
            final byte[] address = config.advertisedAddress().getBytes(StandardCharsets.UTF_8);
            final byte[] value = ByteBuffer.allocate(8 + address.length).putLong(epoch).put(address).array();
            ownersProducer.send(new ProducerRecord<>(ownersTopic, 0, key, value));
            ownerAddresses.set(shard, config.advertisedAddress());
        }

        private void readOwners(final ConsumerRecords<byte[], byte[]> records)
        {
            for (final ConsumerRecord<byte[], byte[]> record : records)
            {
                if (record.key() == null || record.key().length != 4 || record.value() == null ||
                    record.value().length < 8)
                {
                    continue;
                }
                final int shard = ByteBuffer.wrap(record.key()).getInt();
                // In the topic's order, also for a shard this node owns: the last record names the owner, and a node
                // that resumes after a pause reads the new owner's record before it notices its own loss.
                if (shard >= 0 && shard < partitions)
                {
                    ownerAddresses.set(shard, new String(record.value(), 8, record.value().length - 8,
                        StandardCharsets.UTF_8));
                }
            }
        }

        private void addStandby(final Set<Integer> shards)
        {
            final Set<TopicPartition> added = new HashSet<>();
            for (final int shard : shards)
            {
                final TopicPartition partition = new TopicPartition(logTopic, shard);
                if (standbyAssigned.add(partition))
                {
                    added.add(partition);
                }
            }
            if (added.isEmpty())
            {
                return;
            }
            standby.assign(new ArrayList<>(standbyAssigned));
            for (final TopicPartition partition : added)
            {
                standby.seek(partition, store.appliedPosition(partition.partition()));
            }
        }

        private void removeStandby(final int shard)
        {
            if (standbyAssigned.remove(new TopicPartition(logTopic, shard)))
            {
                standby.assign(new ArrayList<>(standbyAssigned));
            }
        }

        private void applyStandby(
            final ConsumerRecords<byte[], byte[]> records, final XinStore.RelationsApplied relationsApplied)
        {
            if (records.isEmpty())
            {
                return;
            }
            for (final ConsumerRecord<byte[], byte[]> record : records)
            {
                final int shard = record.partition();
                if (epochs.get(shard) != 0)
                {
                    continue;
                }
                entriesOfShard.get(shard).add(ByteBuffer.wrap(record.value()));
                endOfShard[shard] = record.offset() + 1;
            }
            for (int shard = 0; shard < partitions; shard++)
            {
                final List<ByteBuffer> entries = entriesOfShard.get(shard);
                if (!entries.isEmpty())
                {
                    store.applyReplicated(shard, entries, endOfShard[shard], relationsApplied);
                    standbyEntriesApplied.add(entries.size());
                    entries.clear();
                }
            }
            // Updates the gauge when every log's end is known; otherwise it keeps its last value.
            lagKnown();
        }
    }
}
