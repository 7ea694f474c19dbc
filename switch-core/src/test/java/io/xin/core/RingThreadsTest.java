package io.xin.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

final class RingThreadsTest
{
    @Test
    void shouldMapThreadsPerShardAsSpeltInTheConfigToTheMode()
    {
        assertEquals(RingThreads.ONE_THREAD, RingThreads.ofThreadsPerShard(1));
        assertEquals(RingThreads.TWO_THREADS, RingThreads.ofThreadsPerShard(2));
        assertEquals(1, RingThreads.ONE_THREAD.threadsPerShard());
        assertEquals(2, RingThreads.TWO_THREADS.threadsPerShard());
    }

    @Test
    void shouldRefuseAnyOtherNumberOfThreadsNamingTheSetting()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> RingThreads.ofThreadsPerShard(3));

        assertEquals("ringThreadsPerShard must be 1 or 2: 3", ex.getMessage());
    }

    @Test
    void shouldSpellTheDefaultModeAsTheDefaultThreadsPerShard()
    {
        assertEquals(Configuration.DEFAULT_RING_THREADS,
            RingThreads.ofThreadsPerShard(Configuration.DEFAULT_RING_THREADS_PER_SHARD));
        assertEquals(Configuration.DEFAULT_RING_THREADS, new XinSwitch.Context().ringThreads());
    }
}
