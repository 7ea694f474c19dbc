package io.xin.social.nearby;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Per-user limits, driven by a clock of the test's own: a full minute's worth at once, then one per interval; each
 * user and each kind on its own bucket; full buckets forgotten.
 */
class NearbyLimitsTest
{
    private final AtomicLong clock = new AtomicLong(1_000_000);

    @Test
    void shouldAllowABurstThenOnePerInterval()
    {
        final NearbyLimits limits = new NearbyLimits(clock::get, 6, 30);
        for (int i = 0; i < 6; i++)
        {
            assertEquals(NearbyLimits.ALLOWED, limits.tryReport(1));
        }
        // Six a minute: the next one in ten seconds.
        assertEquals(10_000, limits.tryReport(1));
        clock.addAndGet(9_999);
        assertEquals(1, limits.tryReport(1));
        clock.addAndGet(1);
        assertEquals(NearbyLimits.ALLOWED, limits.tryReport(1));
        assertEquals(10_000, limits.tryReport(1));
    }

    @Test
    void shouldKeepUsersAndKindsApart()
    {
        final NearbyLimits limits = new NearbyLimits(clock::get, 1, 2);
        assertEquals(NearbyLimits.ALLOWED, limits.tryReport(1));
        assertEquals(60_000, limits.tryReport(1));
        assertEquals(NearbyLimits.ALLOWED, limits.tryReport(2));
        assertEquals(NearbyLimits.ALLOWED, limits.tryQuery(1));
        assertEquals(NearbyLimits.ALLOWED, limits.tryQuery(1));
        assertEquals(30_000, limits.tryQuery(1));
    }

    @Test
    void shouldRoundAWaitUpToWholeMilliseconds()
    {
        // Seven a minute: an interval of 8,571.428 ms.
        final NearbyLimits limits = new NearbyLimits(clock::get, 7, 7);
        for (int i = 0; i < 7; i++)
        {
            assertEquals(NearbyLimits.ALLOWED, limits.tryQuery(1));
        }
        final long waitMs = limits.tryQuery(1);
        assertEquals(8_572, waitMs);
        clock.addAndGet(waitMs - 1);
        assertEquals(1, limits.tryQuery(1));
        clock.addAndGet(1);
        assertEquals(NearbyLimits.ALLOWED, limits.tryQuery(1));
    }

    @Test
    void shouldForgetFullBuckets()
    {
        final NearbyLimits limits = new NearbyLimits(clock::get, 6, 30);
        limits.tryReport(1);
        limits.tryReport(2);
        limits.tryReport(2);
        limits.tryQuery(1);
        assertEquals(3, limits.tracked());
        assertEquals(0, limits.sweep());
        clock.addAndGet(10_000);
        // User 1's report bucket and query bucket are full again; user 2 took two reports.
        assertEquals(2, limits.sweep());
        assertEquals(1, limits.tracked());
        clock.addAndGet(10_000);
        assertEquals(1, limits.sweep());
        assertEquals(0, limits.tracked());
    }

    @Test
    void shouldNotLimitWhenZero()
    {
        final NearbyLimits limits = new NearbyLimits(clock::get, 0, 0);
        for (int i = 0; i < 10_000; i++)
        {
            assertEquals(NearbyLimits.ALLOWED, limits.tryReport(1));
            assertEquals(NearbyLimits.ALLOWED, limits.tryQuery(1));
        }
        assertEquals(0, limits.tracked());
    }
}
