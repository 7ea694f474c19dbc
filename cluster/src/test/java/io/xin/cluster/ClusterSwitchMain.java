package io.xin.cluster;

import io.xin.core.TestSwitch;
import io.xin.core.XinSwitch;
import io.xin.storage.FsyncPolicy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The main of a child JVM that runs one cluster node, for tests that kill it ({@code kill -9}) or pause it
 * ({@code kill -STOP}): a switch on loopback over the given data dir, its journal shards replicated through the
 * given Kafka cluster.
 * <pre>
 *   java -cp &lt;test classpath&gt; io.xin.cluster.ClusterSwitchMain \
 *        &lt;bootstrapServers&gt; &lt;clusterName&gt; &lt;nodeId&gt; &lt;partitions&gt; &lt;dataDir&gt; &lt;port or 0&gt;
 * </pre>
 * Prints {@value #READY} and the bound port once it listens and has joined, then {@value #OWNS} and the shards it
 * owns (e.g. {@code [0, 3]}) each time they change. Runs until it is killed or its standard input closes (the test
 * JVM is gone), then leaves the cluster and stops.
 */
public final class ClusterSwitchMain
{
    /** The line's prefix that says the node listens: {@code XIN-READY <port>}. */
    public static final String READY = "XIN-READY ";
    /** The line's prefix that gives the shards the node owns now: {@code XIN-OWNS [0, 3]}. */
    public static final String OWNS = "XIN-OWNS ";
    /** How often the owned shards are looked at: a report is at most this late. */
    private static final long OWNS_POLL_MS = 20;

    private ClusterSwitchMain()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int partitions = Integer.parseInt(args[3]);
        final ClusterNode node = new ClusterNode(config(args[0], args[1], args[2], partitions));
        node.ensureTopics();
        final XinSwitch.Context context = new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(Integer.parseInt(args[5]))
            .dataDir(Path.of(args[4]))
            .jwtSecret(TestSwitch.SECRET)
            // The log is Kafka's: RocksDB is a copy of it, which a restarted node catches up from the log.
            .fsyncPolicy(FsyncPolicy.NEVER)
            .ioThreads(1)
            .ringSize(1024)
            .drainTimeoutMs(5_000)
            .blockCacheBytes(8L << 20)
            .writeBufferBytes(4L << 20)
            .sendRateLimit(0, 1)
            .maxNewConnectionsPerAddressPerSecond(0)
            .maxLoginFailuresPerAddressPerMinute(0)
            .maxLoginsPerDevicePerMinute(0)
            .strangersAllowedByDefault(true)
            .journalShards(partitions)
            .replicatedShards(node)
            .placement(node);
        final XinSwitch xin = XinSwitch.launch(context);
        node.config().advertisedAddress("127.0.0.1:" + xin.port());
        node.start();
        System.out.println(READY + xin.port());
        System.out.flush();

        final Thread stdin = new Thread(ClusterSwitchMain::awaitEndOfInput, "stdin-watch");
        stdin.setDaemon(true);
        stdin.start();
        List<Integer> reported = null;
        while (stdin.isAlive())
        {
            final List<Integer> owned = node.ownedShards();
            if (!owned.equals(reported))
            {
                System.out.println(OWNS + owned);
                System.out.flush();
                reported = owned;
            }
            Thread.sleep(OWNS_POLL_MS);
        }
        node.close();
        xin.close();
    }

    /**
     * Small cluster settings: a test broker has one replica; a dead node is noticed after the group's session
     * timeout, 6 s, with a heartbeat every second.
     */
    static ClusterConfig config(
        final String bootstrapServers, final String clusterName, final String nodeId, final int partitions)
    {
        return new ClusterConfig()
            .bootstrapServers(bootstrapServers)
            .clusterName(clusterName)
            .nodeId(nodeId)
            // Set to the bound port once the switch listens; redirects are only given after start().
            .advertisedAddress("127.0.0.1:0")
            .partitions(partitions)
            .replicationFactor((short)1)
            .minInsyncReplicas(1)
            .sessionTimeoutMs(6_000)
            .heartbeatIntervalMs(1_000)
            .appendTimeoutMs(5_000);
    }

    /** Returns when the standard input ends: the test JVM closed it, or exited. */
    private static void awaitEndOfInput()
    {
        final InputStream in = System.in;
        final byte[] buffer = new byte[64];
        try
        {
            while (in.read(buffer) >= 0)
            {
                // Nothing is read from the test; only the end matters.
            }
        }
        catch (final IOException ignored)
        {
            // A broken pipe is an end too.
        }
    }
}
