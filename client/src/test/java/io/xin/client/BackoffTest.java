package io.xin.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class BackoffTest
{
    private static final long INITIAL_MS = 500;
    private static final long MAX_MS = 30_000;

    @Test
    void shouldDoubleCeilingPerAttemptUpToMax()
    {
        assertEquals(500, Backoff.ceilingMs(0, INITIAL_MS, MAX_MS));
        assertEquals(1_000, Backoff.ceilingMs(1, INITIAL_MS, MAX_MS));
        assertEquals(2_000, Backoff.ceilingMs(2, INITIAL_MS, MAX_MS));
        assertEquals(16_000, Backoff.ceilingMs(5, INITIAL_MS, MAX_MS));
        assertEquals(MAX_MS, Backoff.ceilingMs(6, INITIAL_MS, MAX_MS));
        assertEquals(MAX_MS, Backoff.ceilingMs(Backoff.MAX_ATTEMPT, INITIAL_MS, MAX_MS));
        assertEquals(MAX_MS, Backoff.ceilingMs(Integer.MAX_VALUE, INITIAL_MS, MAX_MS));
        assertEquals(1L << Backoff.MAX_ATTEMPT, Backoff.ceilingMs(100, 1, Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE, Backoff.ceilingMs(100, 3, Long.MAX_VALUE));
    }

    @Test
    void shouldNotOverflowWithHugeSettings()
    {
        final Random random = new Random(11);
        for (int i = 0; i < 100; i++)
        {
            assertTrue(Backoff.reconnectDelayMs(100, 3, Long.MAX_VALUE, 0, random) >= 0);
            assertTrue(Backoff.reconnectDelayMs(100, 3, Long.MAX_VALUE, 4_000_000_000L, random) >= 4_000_000_000L);
        }
    }

    @Test
    void shouldStayWithinFullJitterBoundsOfEachAttempt()
    {
        final Random random = new Random(42);
        for (int attempt = 0; attempt < 80; attempt++)
        {
            final long ceilingMs = Backoff.ceilingMs(attempt, INITIAL_MS, MAX_MS);
            for (int i = 0; i < 200; i++)
            {
                final long delayMs = Backoff.reconnectDelayMs(attempt, INITIAL_MS, MAX_MS, 0, random);
                assertTrue(delayMs >= 0 && delayMs <= ceilingMs, attempt + ": " + delayMs + " > " + ceilingMs);
            }
        }
    }

    @Test
    void shouldGrowWithAttemptsOnAverage()
    {
        final Random random = new Random(7);
        double previousMeanMs = -1;
        for (int attempt = 0; attempt <= 6; attempt++)
        {
            long sumMs = 0;
            final int samples = 2_000;
            for (int i = 0; i < samples; i++)
            {
                sumMs += Backoff.reconnectDelayMs(attempt, INITIAL_MS, MAX_MS, 0, random);
            }
            final double meanMs = (double)sumMs / samples;
            final double expectedMeanMs = Backoff.ceilingMs(attempt, INITIAL_MS, MAX_MS) / 2.0;
            assertTrue(Math.abs(meanMs - expectedMeanMs) < expectedMeanMs * 0.1, attempt + ": mean " + meanMs);
            assertTrue(meanMs > previousMeanMs, attempt + ": mean " + meanMs + " <= " + previousMeanMs);
            previousMeanMs = meanMs;
        }
    }

    @Test
    void shouldJitterSoClientsDoNotReconnectTogether()
    {
        final Random random = new Random(1);
        final Set<Long> distinct = new HashSet<>();
        for (int i = 0; i < 100; i++)
        {
            distinct.add(Backoff.reconnectDelayMs(3, INITIAL_MS, MAX_MS, 0, random));
        }
        assertTrue(distinct.size() > 80, "only " + distinct.size() + " distinct delays of 100");
    }

    @Test
    void shouldBeReproducibleWithSameSeed()
    {
        final Random first = new Random(99);
        final Random second = new Random(99);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            assertEquals(
                Backoff.reconnectDelayMs(attempt, INITIAL_MS, MAX_MS, 0, first),
                Backoff.reconnectDelayMs(attempt, INITIAL_MS, MAX_MS, 0, second));
        }
    }

    @Test
    void shouldNeverReconnectBeforeServerRequestedDelay()
    {
        final Random random = new Random(3);
        final long goAwayDelayMs = 5_000;
        long maxSeenMs = 0;
        for (int i = 0; i < 1_000; i++)
        {
            final long delayMs = Backoff.reconnectDelayMs(0, INITIAL_MS, MAX_MS, goAwayDelayMs, random);
            assertTrue(delayMs >= goAwayDelayMs && delayMs <= 2 * goAwayDelayMs, String.valueOf(delayMs));
            maxSeenMs = Math.max(maxSeenMs, delayMs);
        }
        assertTrue(maxSeenMs > goAwayDelayMs + goAwayDelayMs / 2, "jitter window not used: " + maxSeenMs);
    }

    @Test
    void shouldCapJitterWindowOfRequestedDelayAtMax()
    {
        final Random random = new Random(5);
        for (int i = 0; i < 1_000; i++)
        {
            final long delayMs = Backoff.reconnectDelayMs(0, INITIAL_MS, MAX_MS, 100_000, random);
            assertTrue(delayMs >= 100_000 && delayMs <= 100_000 + MAX_MS, String.valueOf(delayMs));
        }
    }

    @Test
    void shouldDrawEveryValueOfSmallRangeAndNothingOutside()
    {
        final Random random = new Random(13);
        for (final long upper : new long[]{ 0, 1, 2, 6, 7 })
        {
            final Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 1_000; i++)
            {
                final long value = Backoff.uniformInclusive(upper, random);
                assertTrue(value >= 0 && value <= upper, upper + ": " + value);
                seen.add(value);
            }
            assertEquals(upper + 1, seen.size(), "range [0, " + upper + "]");
        }
    }
}
