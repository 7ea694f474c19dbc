package io.xin.social.discovery;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With a clock of its own: time is whatever the test says. */
final class TokenBucketTest
{
    private static final long HOUR = TokenBucket.NANOS_PER_HOUR;
    private static final long T0 = 1_000_000_000_000L;

    @Test
    void shouldStartFullAndEmpty()
    {
        final TokenBucket bucket = new TokenBucket(100, 10, T0);
        assertEquals(100, bucket.available(T0));
        assertTrue(bucket.isFull(T0));
        assertTrue(bucket.tryTake(60, T0));
        assertEquals(40, bucket.available(T0));
        assertFalse(bucket.tryTake(41, T0));
        assertEquals(40, bucket.available(T0), "a refused take takes nothing");
        assertTrue(bucket.tryTake(40, T0));
        assertEquals(0, bucket.available(T0));
        assertFalse(bucket.tryTake(1, T0));
    }

    @Test
    void shouldRefillAtItsRateUpToCapacity()
    {
        final TokenBucket bucket = new TokenBucket(100, 10, T0);
        assertTrue(bucket.tryTake(100, T0));
        assertEquals(0, bucket.available(T0 + HOUR / 10 - 1));
        assertEquals(1, bucket.available(T0 + HOUR / 10));
        assertEquals(10, bucket.available(T0 + HOUR));
        assertEquals(100, bucket.available(T0 + 10 * HOUR));
        assertEquals(100, bucket.available(T0 + 1000 * HOUR), "never above capacity");
        assertTrue(bucket.isFull(T0 + 10 * HOUR));
        assertTrue(bucket.tryTake(100, T0 + 1000 * HOUR));
        assertFalse(bucket.tryTake(1, T0 + 1000 * HOUR));
    }

    @Test
    void shouldSayWhenATakeWillSucceed()
    {
        final TokenBucket bucket = new TokenBucket(100, 10, T0);
        assertEquals(0, bucket.retryAfterNs(100, T0));
        assertTrue(bucket.tryTake(95, T0));
        assertEquals(0, bucket.retryAfterNs(5, T0));
        // 20 more need 15 refilled: 1.5 hours.
        final long wait = bucket.retryAfterNs(20, T0);
        assertEquals(HOUR * 3 / 2, wait);
        assertFalse(bucket.tryTake(20, T0 + wait - 1));
        assertTrue(bucket.tryTake(20, T0 + wait));
        assertEquals(1, new TokenBucket(100, 10, T0).retryAfterMs(1, T0), "at least 1 ms");
    }

    @Test
    void shouldRoundRetryAfterUpToWholeMilliseconds()
    {
        final TokenBucket bucket = new TokenBucket(1, 7, T0);
        assertTrue(bucket.tryTake(1, T0));
        final long ns = bucket.retryAfterNs(1, T0);
        assertEquals((ns + 999_999) / 1_000_000, bucket.retryAfterMs(1, T0));
        assertTrue(bucket.tryTake(1, T0 + bucket.retryAfterMs(1, T0) * 1_000_000L));
    }

    @Test
    void shouldRefuseTakesItCanNeverServe()
    {
        final TokenBucket bucket = new TokenBucket(10, 10, T0);
        assertThrows(IllegalArgumentException.class, () -> bucket.tryTake(11, T0));
        assertThrows(IllegalArgumentException.class, () -> bucket.tryTake(0, T0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 10, T0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(10, 0, T0));
        assertThrows(ArithmeticException.class, () -> new TokenBucket(Long.MAX_VALUE / 2, 1, T0));
    }

    @Test
    void shouldWorkAcrossTheWrapOfTheClock()
    {
        final long nearWrap = Long.MAX_VALUE - HOUR / 2;
        final TokenBucket bucket = new TokenBucket(10, 10, nearWrap);
        assertTrue(bucket.tryTake(10, nearWrap));
        assertEquals(10, bucket.available(nearWrap + HOUR));
    }
}
