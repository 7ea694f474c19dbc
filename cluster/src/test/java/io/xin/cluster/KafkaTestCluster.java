package io.xin.cluster;

import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Real KRaft Kafka brokers in the test's JVM, through Kafka's own {@link KafkaClusterTestKit}: either one
 * combined broker and controller, or three brokers beside three controllers of their own, so that a broker
 * can be stopped without taking a quorum member with it. Ports are ephemeral and on loopback, data is in a
 * temporary folder that {@link #close()} deletes.
 */
public final class KafkaTestCluster implements AutoCloseable
{
    /** How long {@link #startBroker(int)} waits for the broker to be back in the cluster. */
    private static final long READY_TIMEOUT_MS = 60_000;

    /** Owned by the test that made this cluster; the kit's own threads run the servers. */
    private final KafkaClusterTestKit kit;
    /** The brokers stopped by {@link #stopBroker(int)} and not started again. Owned by the test thread. */
    private final Set<Integer> stopped = new TreeSet<>();

    private KafkaTestCluster(final KafkaClusterTestKit kit)
    {
        this.kit = kit;
    }

    /**
     * One node that is both broker and controller. The internal topics (consumer offsets, transaction state,
     * share-group state) have one replica and one in-sync replica, so groups and transactions work.
     *
     * @return the cluster, started, its broker ready for clients.
     */
    public static KafkaTestCluster single() throws Exception
    {
        final TestKitNodes nodes = new TestKitNodes.Builder()
            .setBootstrapMetadata(production())
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .build();
        final KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
        common(builder);
        internalTopics(builder, 1, 1);
        builder.setConfigProp("default.replication.factor", "1");
        builder.setConfigProp("min.insync.replicas", "1");
        return start(builder);
    }

    /**
     * Three brokers (ids 0, 1 and 2) and three controllers (ids 3000, 3001 and 3002) in separate servers.
     * The internal topics have three replicas and two in-sync replicas, so groups and transactions outlive one
     * stopped broker.
     *
     * @return the cluster, started, every broker ready for clients.
     */
    public static KafkaTestCluster threeBrokers() throws Exception
    {
        final TestKitNodes nodes = new TestKitNodes.Builder()
            .setBootstrapMetadata(production())
            .setCombined(false)
            .setNumBrokerNodes(3)
            .setNumControllerNodes(3)
            .build();
        final KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
        common(builder);
        internalTopics(builder, 3, 2);
        return start(builder);
    }

    /**
     * The newest metadata version and feature levels a released broker formats with (what the storage tool
     * writes), rather than the kit's default of the unreleased ones under development.
     */
    private static BootstrapMetadata production()
    {
        final MetadataVersion version = MetadataVersion.latestProduction();
        final Map<String, Short> levels = new TreeMap<>();
        for (final Feature feature : Feature.PRODUCTION_FEATURES)
        {
            levels.put(feature.featureName(), feature.defaultLevel(version));
        }
        levels.put(MetadataVersion.FEATURE_NAME, version.featureLevel());
        return BootstrapMetadata.fromVersions(version, levels, "xin-test");
    }

    /** Settings that keep tests short. */
    private static void common(final KafkaClusterTestKit.Builder builder)
    {
        // The first consumer joins a group at once rather than after the default 3 s wait for others.
        builder.setConfigProp("group.initial.rebalance.delay.ms", "0");
        // A few partitions for the internal topics instead of 50: created faster, loaded faster.
        builder.setConfigProp("offsets.topic.num.partitions", "3");
        builder.setConfigProp("transaction.state.log.num.partitions", "3");
        builder.setConfigProp("share.coordinator.state.topic.num.partitions", "3");
        // The smallest segments a broker accepts; a test writes little, so this only shortens rolls.
        builder.setConfigProp("log.segment.bytes", Integer.toString(1024 * 1024));
        builder.setConfigProp("auto.create.topics.enable", "false");
    }

    private static void internalTopics(final KafkaClusterTestKit.Builder builder, final int replicas, final int minIsr)
    {
        builder.setConfigProp("offsets.topic.replication.factor", Integer.toString(replicas));
        builder.setConfigProp("transaction.state.log.replication.factor", Integer.toString(replicas));
        builder.setConfigProp("transaction.state.log.min.isr", Integer.toString(minIsr));
        builder.setConfigProp("share.coordinator.state.topic.replication.factor", Integer.toString(replicas));
        builder.setConfigProp("share.coordinator.state.topic.min.isr", Integer.toString(minIsr));
    }

    private static KafkaTestCluster start(final KafkaClusterTestKit.Builder builder) throws Exception
    {
        final KafkaClusterTestKit kit = builder.build();
        try
        {
            kit.format();
            kit.startup();
            kit.waitForReadyBrokers();
            return new KafkaTestCluster(kit);
        }
        catch (final Exception | Error ex)
        {
            kit.close();
            throw ex;
        }
    }

    /**
     * @return the running brokers' client addresses, {@code host:port,...}.
     */
    public String bootstrapServers()
    {
        final ListenerName listener = kit.nodes().brokerListenerName();
        return kit.brokers().entrySet().stream()
            .filter(broker -> !stopped.contains(broker.getKey()))
            .map(broker -> "localhost:" + broker.getValue().boundPort(listener))
            .collect(Collectors.joining(","));
    }

    /**
     * @return the broker ids, ascending.
     */
    public Set<Integer> brokerIds()
    {
        return new TreeSet<>(kit.brokers().keySet());
    }

    /**
     * Shut a broker down cleanly (its controller, if separate, stays up). Partitions it led move to other
     * replicas once the controller sees it gone.
     *
     * @param id the broker's id.
     */
    public void stopBroker(final int id)
    {
        broker(id).shutdown();
        stopped.add(id);
    }

    /**
     * Start a broker stopped by {@link #stopBroker(int)} again, on its old port and data, and wait until the
     * controller has it registered and unfenced.
     *
     * @param id the broker's id.
     */
    public void startBroker(final int id) throws Exception
    {
        final BrokerServer broker = broker(id);
        broker.startup();
        stopped.remove(id);
        awaitBrokers(kit.brokers().size());
    }

    /** Wait until the cluster's metadata lists the given number of brokers. */
    private void awaitBrokers(final int expected) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers())))
        {
            while (true)
            {
                final Collection<Node> nodes =
                    admin.describeCluster().nodes().get(READY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                if (nodes.size() >= expected)
                {
                    return;
                }
                if (System.nanoTime() > deadlineNs)
                {
                    throw new IllegalStateException("only " + nodes.size() + " of " + expected + " brokers registered");
                }
                // The broker registers with the controller by its heartbeat; poll, there is no event to wait on.
                Thread.sleep(100);
            }
        }
    }

    private BrokerServer broker(final int id)
    {
        final BrokerServer broker = kit.brokers().get(id);
        if (broker == null)
        {
            throw new IllegalArgumentException("no broker " + id + ", the brokers are " + brokerIds());
        }
        return broker;
    }

    /**
     * Stop every broker and controller and delete their data.
     */
    @Override
    public void close() throws Exception
    {
        kit.close();
    }
}
