package io.xin.cluster;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClusterConfigTest
{
    private static ClusterConfig valid()
    {
        return new ClusterConfig().bootstrapServers("127.0.0.1:9092").nodeId("n1").advertisedAddress("127.0.0.1:7700");
    }

    @Test
    void shouldDefaultToReplicationThreeTwoInSyncAndASixSecondSession()
    {
        final ClusterConfig config = valid();
        config.validate();
        assertEquals(3, config.replicationFactor());
        assertEquals(2, config.minInsyncReplicas());
        assertEquals(6_000, config.sessionTimeoutMs());
        assertEquals("xin.log", config.topic(ClusterNode.LOG));
    }

    @Test
    void shouldRefuseWhatCannotWork()
    {
        assertThrows(NullPointerException.class, () -> valid().nodeId(null).validate());
        assertThrows(IllegalArgumentException.class, () -> valid().clusterName("a b").validate());
        assertThrows(IllegalArgumentException.class, () -> valid().partitions(0).validate());
        assertThrows(IllegalArgumentException.class, () -> valid().partitions(65).validate());
        assertThrows(IllegalArgumentException.class,
            () -> valid().replicationFactor((short)1).minInsyncReplicas(2).validate());
        assertThrows(IllegalArgumentException.class, () -> valid().heartbeatIntervalMs(2_001).validate());
        assertThrows(IllegalArgumentException.class, () -> valid().appendTimeoutMs(999).validate());
    }
}
