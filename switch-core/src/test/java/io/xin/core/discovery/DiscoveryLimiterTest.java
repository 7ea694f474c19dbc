package io.xin.core.discovery;

import io.xin.social.discovery.TokenBucket;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per account and per device, on a clock the test moves. */
final class DiscoveryLimiterTest
{
    private static final long HOUR = TokenBucket.NANOS_PER_HOUR;
    private static final long T0 = 42L * HOUR;

    @Test
    void shouldLimitEachDeviceBelowItsAccount()
    {
        final DiscoveryLimiter limiter = new DiscoveryLimiter(300, 30, 200, 20);
        assertNull(limiter.tryTake(1, "phone", 200, T0));
        final DiscoveryLimiter.Refusal phone = limiter.tryTake(1, "phone", 1, T0);
        assertNotNull(phone);
        assertTrue(phone.device(), "the phone's own bucket is empty");
        assertEquals(HOUR / 20 / 1_000_000, phone.retryAfterMs(), "one token of the device's refill");
        // The tablet has its own device bucket; the account has 100 left.
        assertNull(limiter.tryTake(1, "tablet", 100, T0));
        final DiscoveryLimiter.Refusal tablet = limiter.tryTake(1, "tablet", 1, T0);
        assertNotNull(tablet);
        assertFalse(tablet.device(), "the account's bucket is the one empty");
        assertEquals(HOUR / 30 / 1_000_000, tablet.retryAfterMs());
        assertEquals(0, limiter.available(1, "tablet", T0));
        // Another account is untouched.
        assertEquals(200, limiter.available(2, "phone", T0));
        assertNull(limiter.tryTake(2, "phone", 200, T0));
    }

    @Test
    void shouldAdmitAgainOnceTheBucketsRefill()
    {
        final DiscoveryLimiter limiter = new DiscoveryLimiter(300, 30, 200, 20);
        assertNull(limiter.tryTake(1, "phone", 200, T0));
        final DiscoveryLimiter.Refusal refused = limiter.tryTake(1, "phone", 10, T0);
        assertNotNull(refused);
        final long waitNs = refused.retryAfterMs() * 1_000_000L;
        assertNotNull(limiter.tryTake(1, "phone", 10, T0 + waitNs - 1_000_000), "a millisecond too soon");
        assertNull(limiter.tryTake(1, "phone", 10, T0 + waitNs));
        assertEquals(0, limiter.available(1, "phone", T0 + waitNs));
    }

    @Test
    void shouldTakeFromNeitherBucketWhenOneRefuses()
    {
        final DiscoveryLimiter limiter = new DiscoveryLimiter(100, 10, 100, 10);
        assertNull(limiter.tryTake(1, "phone", 60, T0));
        assertNotNull(limiter.tryTake(1, "tablet", 50, T0), "the account has 40");
        assertEquals(40, limiter.available(1, "tablet", T0));
        assertNull(limiter.tryTake(1, "tablet", 40, T0));
    }

    @Test
    void shouldForgetBucketsThatAreFullAgain()
    {
        final DiscoveryLimiter limiter = new DiscoveryLimiter(100, 10, 50, 10);
        for (long user = 1; user <= 100; user++)
        {
            assertNull(limiter.tryTake(user, "phone", 5, T0));
        }
        assertEquals(200, limiter.buckets());
        limiter.sweep(T0 + HOUR / 10 - 1);
        assertEquals(200, limiter.buckets(), "not refilled yet");
        limiter.sweep(T0 + HOUR);
        assertEquals(0, limiter.buckets());
        assertThrows(IllegalArgumentException.class, () -> limiter.tryTake(1, "phone", 51, T0));
    }
}
