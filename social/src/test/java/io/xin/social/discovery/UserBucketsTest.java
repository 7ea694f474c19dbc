package io.xin.social.discovery;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UserBucketsTest
{
    private static final long MINUTE_NS = 60_000_000_000L;

    @Test
    void shouldGiveEachUserItsOwnBucketAndSayWhenToComeBack()
    {
        final UserBuckets buckets = new UserBuckets(2, 60);
        final long start = 5 * MINUTE_NS;
        assertEquals(0, buckets.tryTake(7, 1, start));
        assertEquals(0, buckets.tryTake(7, 1, start));
        assertEquals(60_000, buckets.tryTake(7, 1, start), "empty: one token a minute");
        assertEquals(0, buckets.tryTake(8, 1, start), "another user's bucket is full");
        assertEquals(1, buckets.tryTake(7, 1, start + MINUTE_NS - 1_000_000), "rounded up, never 0 when refused");
        assertEquals(0, buckets.tryTake(7, 1, start + MINUTE_NS));
        assertEquals(0, buckets.available(7, start + MINUTE_NS));
        assertEquals(2, buckets.available(9, start), "a user never seen has a full bucket");
        assertEquals(2, buckets.size());
    }

    @Test
    void shouldForgetBucketsThatAreFullAgain()
    {
        final UserBuckets buckets = new UserBuckets(2, 60);
        buckets.tryTake(1, 2, 0);
        buckets.tryTake(2, 1, 0);
        buckets.sweep(MINUTE_NS);
        assertEquals(1, buckets.size(), "user 2 refilled, user 1 still owes a minute");
        assertEquals(1, buckets.available(1, MINUTE_NS));
        buckets.sweep(2 * MINUTE_NS);
        assertEquals(0, buckets.size());
    }

    @Test
    void shouldSweepByItselfEveryFewThousandTakes()
    {
        final UserBuckets buckets = new UserBuckets(1, 3600);
        for (int user = 1; user < UserBuckets.SWEEP_EVERY; user++)
        {
            buckets.tryTake(user, 1, 0);
        }
        assertEquals(UserBuckets.SWEEP_EVERY - 1, buckets.size());
        // A second later every bucket is full again; the next take sweeps them before making its own.
        buckets.tryTake(UserBuckets.SWEEP_EVERY, 1, 1_000_000_000L);
        assertEquals(1, buckets.size());
    }

    @Test
    void shouldRefuseABucketOfNothing()
    {
        assertThrows(IllegalArgumentException.class, () -> new UserBuckets(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new UserBuckets(1, 0));
    }
}
