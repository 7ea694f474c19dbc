package io.xin.cluster;

import io.xin.core.Configuration;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a switch needs to join a cluster: the Kafka cluster it keeps its logs in, the name of the Xin cluster (the
 * prefix of its topics and of its consumer group), this node's id and the address clients reach it at, and the
 * Kafka settings that decide durability and failover.
 */
public final class ClusterConfig
{
    /** Detects a dead switch: the consumer group's session timeout (Kafka's default, 45 s, is too slow). */
    public static final int DEFAULT_SESSION_TIMEOUT_MS = 6_000;
    public static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 1_500;
    public static final int DEFAULT_PARTITIONS = 12;
    public static final short DEFAULT_REPLICATION_FACTOR = 3;
    public static final int DEFAULT_MIN_INSYNC_REPLICAS = 2;
    /** Bounds how long an append may wait for the brokers before the batch fails and its clients resend. */
    public static final int DEFAULT_APPEND_TIMEOUT_MS = 10_000;

    private String bootstrapServers;
    private String clusterName = "xin";
    private String nodeId;
    private String advertisedAddress;
    private int partitions = DEFAULT_PARTITIONS;
    private short replicationFactor = DEFAULT_REPLICATION_FACTOR;
    private int minInsyncReplicas = DEFAULT_MIN_INSYNC_REPLICAS;
    private int sessionTimeoutMs = DEFAULT_SESSION_TIMEOUT_MS;
    private int heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
    private int appendTimeoutMs = DEFAULT_APPEND_TIMEOUT_MS;
    private final Map<String, Object> kafkaOverrides = new LinkedHashMap<>();

    /** @param bootstrapServers Kafka's bootstrap servers, {@code host:port[,host:port...]}. */
    public ClusterConfig bootstrapServers(final String bootstrapServers)
    {
        this.bootstrapServers = bootstrapServers;
        return this;
    }

    public String bootstrapServers()
    {
        return bootstrapServers;
    }

    /** @param clusterName names the topics ({@code <name>.log}, {@code <name>.handoff}, {@code <name>.owners}). */
    public ClusterConfig clusterName(final String clusterName)
    {
        this.clusterName = clusterName;
        return this;
    }

    public String clusterName()
    {
        return clusterName;
    }

    /** @param nodeId this switch's id in the cluster, unique. */
    public ClusterConfig nodeId(final String nodeId)
    {
        this.nodeId = nodeId;
        return this;
    }

    public String nodeId()
    {
        return nodeId;
    }

    /** @param advertisedAddress {@code host:port} where clients reach this switch: the address of its redirects. */
    public ClusterConfig advertisedAddress(final String advertisedAddress)
    {
        this.advertisedAddress = advertisedAddress;
        return this;
    }

    public String advertisedAddress()
    {
        return advertisedAddress;
    }

    /**
     * @param partitions partitions of the log and hand-off topics, fixed when the cluster is created: the journal
     *                   shards of every node, and so the most nodes that can own a shard each.
     */
    public ClusterConfig partitions(final int partitions)
    {
        this.partitions = partitions;
        return this;
    }

    public int partitions()
    {
        return partitions;
    }

    /** @param replicationFactor replicas of each partition, when the topics are created. */
    public ClusterConfig replicationFactor(final short replicationFactor)
    {
        this.replicationFactor = replicationFactor;
        return this;
    }

    public short replicationFactor()
    {
        return replicationFactor;
    }

    /** @param minInsyncReplicas replicas that must hold a record before it is acknowledged (acks=all). */
    public ClusterConfig minInsyncReplicas(final int minInsyncReplicas)
    {
        this.minInsyncReplicas = minInsyncReplicas;
        return this;
    }

    public int minInsyncReplicas()
    {
        return minInsyncReplicas;
    }

    /** @param sessionTimeoutMs how long a silent switch keeps its shards (the group's session timeout). */
    public ClusterConfig sessionTimeoutMs(final int sessionTimeoutMs)
    {
        this.sessionTimeoutMs = sessionTimeoutMs;
        return this;
    }

    public int sessionTimeoutMs()
    {
        return sessionTimeoutMs;
    }

    public ClusterConfig heartbeatIntervalMs(final int heartbeatIntervalMs)
    {
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        return this;
    }

    public int heartbeatIntervalMs()
    {
        return heartbeatIntervalMs;
    }

    /** @param appendTimeoutMs the longest an append waits for the brokers before its batch fails. */
    public ClusterConfig appendTimeoutMs(final int appendTimeoutMs)
    {
        this.appendTimeoutMs = appendTimeoutMs;
        return this;
    }

    public int appendTimeoutMs()
    {
        return appendTimeoutMs;
    }

    /** A Kafka client setting passed as is to every producer and consumer (security settings, for one). */
    public ClusterConfig kafka(final String name, final Object value)
    {
        kafkaOverrides.put(name, value);
        return this;
    }

    public Map<String, Object> kafkaOverrides()
    {
        return kafkaOverrides;
    }

    String topic(final String kind)
    {
        return clusterName + "." + kind;
    }

    /** @throws IllegalArgumentException naming what is missing or out of range. */
    public void validate()
    {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(advertisedAddress, "advertisedAddress");
        if (!clusterName.matches("[A-Za-z0-9_-]{1,100}"))
        {
            throw new IllegalArgumentException("clusterName must be 1..100 of [A-Za-z0-9_-]: " + clusterName);
        }
        if (partitions < 1 || partitions > Configuration.MAX_JOURNAL_SHARDS)
        {
            // Each partition is a journal shard of every node.
            throw new IllegalArgumentException("partitions must be 1.." + Configuration.MAX_JOURNAL_SHARDS + ": " +
                partitions);
        }
        if (replicationFactor < 1 || minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor)
        {
            throw new IllegalArgumentException("need 1 <= minInsyncReplicas (" + minInsyncReplicas +
                ") <= replicationFactor (" + replicationFactor + ")");
        }
        if (heartbeatIntervalMs < 100 || heartbeatIntervalMs * 3 > sessionTimeoutMs)
        {
            throw new IllegalArgumentException("heartbeatIntervalMs must be at least 100 and at most a third of " +
                "sessionTimeoutMs (" + sessionTimeoutMs + "): " + heartbeatIntervalMs);
        }
        if (appendTimeoutMs < 1_000)
        {
            throw new IllegalArgumentException("appendTimeoutMs must be at least 1000: " + appendTimeoutMs);
        }
    }

    @Override
    public String toString()
    {
        return "ClusterConfig{bootstrapServers=" + bootstrapServers + ", clusterName=" + clusterName +
            ", nodeId=" + nodeId + ", advertisedAddress=" + advertisedAddress + ", partitions=" + partitions +
            ", replicationFactor=" + replicationFactor + ", minInsyncReplicas=" + minInsyncReplicas +
            ", sessionTimeoutMs=" + sessionTimeoutMs + ", heartbeatIntervalMs=" + heartbeatIntervalMs +
            ", appendTimeoutMs=" + appendTimeoutMs + '}';
    }
}
