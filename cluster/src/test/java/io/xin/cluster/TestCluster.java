package io.xin.cluster;

import io.xin.core.TestSwitch;
import io.xin.core.journal.JournalShard;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Switch nodes of one Xin cluster in this JVM, each with its own RocksDB, on loopback, over a Kafka test cluster.
 */
final class TestCluster implements AutoCloseable
{
    static final int PARTITIONS = 4;

    final List<Node> nodes = new ArrayList<>();
    private final String bootstrapServers;
    private final Path dir;
    private final String name;
    private short replicationFactor = 1;
    private int minInsyncReplicas = 1;
    /** More settings of every node's switch, after the cluster's own. */
    private java.util.function.Consumer<io.xin.core.XinSwitch.Context> settings = ctx -> { };

    /** One switch and its membership. */
    static final class Node
    {
        final String id;
        ClusterNode cluster;
        TestSwitch server;

        Node(final String id)
        {
            this.id = id;
        }

        boolean running()
        {
            return server != null;
        }
    }

    TestCluster(final String bootstrapServers, final Path dir, final String name)
    {
        this.bootstrapServers = bootstrapServers;
        this.dir = dir;
        this.name = name;
    }

    /** Replication of the topics the first node creates: 1 on a single broker. */
    TestCluster replication(final short replicationFactor, final int minInsyncReplicas)
    {
        this.replicationFactor = replicationFactor;
        this.minInsyncReplicas = minInsyncReplicas;
        return this;
    }

    /** Settings every node's switch gets on top of the cluster's own. Before the nodes start. */
    TestCluster settings(final java.util.function.Consumer<io.xin.core.XinSwitch.Context> settings)
    {
        this.settings = settings;
        return this;
    }

    ClusterConfig config(final String nodeId)
    {
        return new ClusterConfig()
            .bootstrapServers(bootstrapServers)
            .clusterName(name)
            .nodeId(nodeId)
            .advertisedAddress("127.0.0.1:0")
            .partitions(PARTITIONS)
            .replicationFactor(replicationFactor)
            .minInsyncReplicas(minInsyncReplicas)
            .sessionTimeoutMs(6_000)
            .heartbeatIntervalMs(1_000)
            .appendTimeoutMs(5_000);
    }

    Node start(final String nodeId)
    {
        final Node node = new Node(nodeId);
        nodes.add(node);
        startNode(node);
        return node;
    }

    void startNode(final Node node)
    {
        final ClusterNode cluster = new ClusterNode(config(node.id));
        cluster.ensureTopics();
        node.cluster = cluster;
        node.server = new TestSwitch(dir.resolve(node.id), ctx -> settings.accept(ctx
            .journalShards(PARTITIONS)
            .replicatedShards(cluster)
            .placement(cluster)
            .socialFeed(cluster.social())));
        cluster.config().advertisedAddress("127.0.0.1:" + node.server.port());
        cluster.start();
    }

    /** Leaves the group cleanly, then stops the switch. */
    void stop(final Node node)
    {
        node.cluster.close();
        node.server.close();
        node.server = null;
    }

    /** Waits until the running nodes own every shard between them, each shard once, and each node one at least. */
    void awaitAllOwned(final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() - deadline < 0)
        {
            final Set<Integer> owned = new HashSet<>();
            int count = 0;
            boolean everyNode = true;
            for (final Node node : nodes)
            {
                if (node.running())
                {
                    final List<Integer> shards = node.cluster.ownedShards();
                    owned.addAll(shards);
                    count += shards.size();
                    everyNode &= !shards.isEmpty();
                }
            }
            if (owned.size() == PARTITIONS && count == PARTITIONS && everyNode)
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the nodes did not come to own all " + PARTITIONS + " shards in " + timeoutMs + " ms");
    }

    /** The running node that owns the user's shard now, or null. */
    Node ownerOf(final long userId)
    {
        final int shard = JournalShard.of(userId, PARTITIONS);
        for (final Node node : nodes)
        {
            if (node.running() && node.cluster.ownerEpoch(shard) != 0)
            {
                return node;
            }
        }
        return null;
    }

    /** A user, from {@code from} up, whose shard the given node owns. */
    long userOwnedBy(final Node node, final long from)
    {
        for (long user = from; user < from + 10_000; user++)
        {
            if (node.cluster.ownerEpoch(JournalShard.of(user, PARTITIONS)) != 0)
            {
                return user;
            }
        }
        throw new AssertionError(node.id + " owns no shard");
    }

    @Override
    public void close()
    {
        for (final Node node : nodes)
        {
            if (node.running())
            {
                stop(node);
            }
        }
    }
}
