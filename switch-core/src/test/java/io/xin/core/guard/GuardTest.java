package io.xin.core.guard;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The abuse guards driven with a clock the test advances: no sleeps, no sockets.
 */
class GuardTest
{
    private static final long T0 = 1_000_000_000_000L;
    private static final long SECOND_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long MINUTE_NS = TimeUnit.MINUTES.toNanos(1);

    @Test
    void shouldAllowBurstThenSustainedRate()
    {
        final RateLimiter limiter = new RateLimiter(10, SECOND_NS, 5, T0);
        for (int i = 0; i < 5; i++)
        {
            assertTrue(limiter.tryAcquire(T0), "burst " + i);
        }
        assertFalse(limiter.tryAcquire(T0));
        assertEquals(SECOND_NS / 10, limiter.retryAfterNs(T0));
        assertFalse(limiter.tryAcquire(T0 + SECOND_NS / 10 - 1));
        assertTrue(limiter.tryAcquire(T0 + SECOND_NS / 10));
        // A second later ten more have accrued, but never more than the burst.
        int allowed = 0;
        while (limiter.tryAcquire(T0 + 2 * SECOND_NS))
        {
            allowed++;
        }
        assertEquals(5, allowed);
        assertTrue(limiter.isFull(T0 + 10 * SECOND_NS));
    }

    @Test
    void shouldAdviseTheWaitUntilTheBucketAdmitsTheNextSendRoundedUpToWholeMs()
    {
        final long intervalNs = SECOND_NS / 300;
        final long msNs = TimeUnit.MILLISECONDS.toNanos(1);
        final RateLimiter limiter = new RateLimiter(300, SECOND_NS, 3, T0);
        assertEquals(0, limiter.retryAfterNs(T0, 2), "a full bucket of 3 admits the third at once");
        assertEquals(intervalNs, limiter.retryAfterNs(T0, 3));
        assertEquals(1, limiter.retryAfterMs(T0, 0), "at least 1 ms even when it would admit now");
        for (int i = 0; i < 3; i++)
        {
            assertTrue(limiter.tryAcquire(T0));
        }
        assertFalse(limiter.tryAcquire(T0));

        assertEquals(intervalNs, limiter.retryAfterNs(T0));
        final int retryAfterMs = limiter.retryAfterMs(T0, 0);
        assertEquals(4, retryAfterMs, "3.33 ms rounds up");
        assertFalse(limiter.tryAcquire(T0 + (retryAfterMs - 1) * msNs), "3 ms, rounded down, is too early");
        assertEquals(1, limiter.retryAfterMs(T0 + 3 * msNs, 0));
    }

    @Test
    void shouldAdmitEachRefusedSendResentInOrderAfterItsOwnAdvisedWaitAndNotBefore()
    {
        final long msNs = TimeUnit.MILLISECONDS.toNanos(1);
        final RateLimiter limiter = new RateLimiter(300, SECOND_NS, 3, T0);
        for (int i = 0; i < 3; i++)
        {
            assertTrue(limiter.tryAcquire(T0));
        }
        final int refused = 50;
        final int[] retryAfterMs = new int[refused];
        for (int k = 0; k < refused; k++)
        {
            final long refusedAtNs = T0 + k * 1_000L;
            assertFalse(limiter.tryAcquire(refusedAtNs));
            retryAfterMs[k] = limiter.retryAfterMs(refusedAtNs, k);
            if (k > 0)
            {
                assertTrue(retryAfterMs[k] >= retryAfterMs[k - 1], "later in the queue, later or equal wait");
            }
        }
        assertEquals(167, retryAfterMs[refused - 1], "50 sends behind a full bucket at 300/s: 166.7 ms");
        for (int k = 0; k < refused; k++)
        {
            final long dueNs = T0 + k * 1_000L + retryAfterMs[k] * msNs;
            assertFalse(limiter.tryAcquire(dueNs - msNs), "a millisecond early is refused: " + k);
            assertTrue(limiter.tryAcquire(dueNs), "admitted when advised: " + k);
        }
    }

    @Test
    void shouldCountRefusedRequestsAsFree()
    {
        final RateLimiter limiter = new RateLimiter(1, SECOND_NS, 1, T0);
        assertTrue(limiter.tryAcquire(T0));
        for (int i = 0; i < 100; i++)
        {
            assertFalse(limiter.tryAcquire(T0 + i));
        }
        assertTrue(limiter.tryAcquire(T0 + SECOND_NS), "refusals do not push the next permit back");
    }

    @Test
    void shouldRefuseConnectionsPastPerAddressAndGlobalCaps() throws UnknownHostException
    {
        final AddressGuard guard = new AddressGuard(3, 2, 0, 0, 100);
        final InetAddress a = InetAddress.getByName("192.0.2.1");
        final InetAddress b = InetAddress.getByName("192.0.2.2");
        assertNull(guard.onConnect(a, T0));
        assertNull(guard.onConnect(a, T0));
        assertEquals(AddressGuard.Refusal.TOO_MANY_CONNECTIONS, guard.onConnect(a, T0));
        assertNull(guard.onConnect(b, T0));
        assertEquals(AddressGuard.Refusal.TOO_MANY_CONNECTIONS, guard.onConnect(b, T0), "global cap");
        assertEquals(3, guard.connections());
        guard.onDisconnect(a);
        assertNull(guard.onConnect(b, T0));
    }

    @Test
    void shouldRefuseAddressConnectingFasterThanItsRate() throws UnknownHostException
    {
        final AddressGuard guard = new AddressGuard(1000, 1000, 5, 0, 100);
        final InetAddress a = InetAddress.getByName("192.0.2.1");
        for (int i = 0; i < 10; i++)
        {
            assertNull(guard.onConnect(a, T0), "a burst of twice the rate: " + i);
        }
        assertEquals(AddressGuard.Refusal.CONNECTING_TOO_FAST, guard.onConnect(a, T0));
        assertEquals(10, guard.connections(), "a refused connection does not count");
        assertTrue(guard.retryAfterMs(a, T0) > 0);
        assertNull(guard.onConnect(a, T0 + SECOND_NS / 5));
        assertNull(guard.onConnect(InetAddress.getByName("192.0.2.9"), T0), "other addresses are not affected");
    }

    @Test
    void shouldRefuseAddressAfterTooManyFailedLoginsUntilItCoolsDown() throws UnknownHostException
    {
        final AddressGuard guard = new AddressGuard(1000, 1000, 0, 3, 100);
        final InetAddress a = InetAddress.getByName("192.0.2.1");
        for (int i = 0; i < 3; i++)
        {
            assertNull(guard.onConnect(a, T0));
            guard.onLoginFailed(a, T0);
            guard.onDisconnect(a);
        }
        assertEquals(AddressGuard.Refusal.TOO_MANY_FAILED_LOGINS, guard.onConnect(a, T0));
        assertEquals(TimeUnit.NANOSECONDS.toMillis(MINUTE_NS / 3) + 1, guard.retryAfterMs(a, T0));
        assertNull(guard.onConnect(a, T0 + MINUTE_NS / 3));
    }

    @Test
    void shouldForgetIdleAddressesAndStayWithinMaxRecords() throws UnknownHostException
    {
        final AddressGuard guard = new AddressGuard(1000, 1000, 1, 1, 2);
        final InetAddress a = InetAddress.getByName("192.0.2.1");
        final InetAddress b = InetAddress.getByName("192.0.2.2");
        final InetAddress c = InetAddress.getByName("192.0.2.3");
        assertNull(guard.onConnect(a, T0));
        assertNull(guard.onConnect(b, T0));
        guard.onDisconnect(b);
        assertEquals(2, guard.trackedAddresses());
        assertNull(guard.onConnect(c, T0), "untracked past the cap: only the global cap applies");
        assertEquals(2, guard.trackedAddresses());
        guard.sweep(T0 + 10 * SECOND_NS);
        assertEquals(1, guard.trackedAddresses(), "a, still connected, stays; b is forgotten");
    }

    @Test
    void shouldBanDeviceThatLogsInTooOftenAndOnlyThatDevice()
    {
        final FlapGuard guard = new FlapGuard(3, 60_000, 100);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(0, guard.onLogin(7, "phone", T0 + i));
        }
        assertEquals(60_001, guard.onLogin(7, "phone", T0 + 3));
        assertEquals(0, guard.onLogin(7, "tablet", T0 + 3));
        assertEquals(0, guard.onLogin(8, "phone", T0 + 3));
        final long halfway = T0 + 3 + 30 * SECOND_NS;
        assertEquals(30_001, guard.onLogin(7, "phone", halfway), "the ban does not grow while refused");
        assertEquals(0, guard.onLogin(7, "phone", T0 + 3 + MINUTE_NS), "lifted after the ban");
        guard.sweep(T0 + 10 * MINUTE_NS);
        assertEquals(0, guard.trackedDevices());
    }

    @Test
    void shouldNotLimitWhenRatesAreZero() throws UnknownHostException
    {
        final FlapGuard flap = new FlapGuard(0, 60_000, 100);
        final AddressGuard address = new AddressGuard(1000, 1000, 0, 0, 100);
        final InetAddress a = InetAddress.getByName("192.0.2.1");
        for (int i = 0; i < 500; i++)
        {
            assertEquals(0, flap.onLogin(1, "phone", T0));
            assertNull(address.onConnect(a, T0));
            address.onLoginFailed(a, T0);
            address.onDisconnect(a);
        }
    }
}
