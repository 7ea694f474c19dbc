package io.xin.client;

import java.util.Random;

/**
 * Reconnect delays: exponential backoff with full jitter (a uniform pick in
 * {@code [0, min(max, initial * 2^attempt)]}), so that a whole population of clients dropped at
 * once does not come back at once. Pure functions; the caller owns the attempt counter and the
 * random generator.
 */
final class Backoff
{
    /** Doubling stops here; 2^62 times any positive delay is past any sane maximum. */
    static final int MAX_ATTEMPT = 62;

    private Backoff()
    {
    }

    /**
     * The delay before reconnect attempt {@code attempt}.
     * <p>
     * With {@code minDelayMs > 0} (the server's GoAway or LoginError asked for a delay) the result is
     * never below it, and is spread over a window at least as wide as the delay itself: a drained
     * node's sessions then trickle back over {@code [min, 2 * min]} instead of all arriving at
     * {@code min}.
     *
     * @param attempt        0 for the first reconnect after a working session, then 1, 2, ...
     * @param initialDelayMs ceiling of the first attempt, in milliseconds, positive.
     * @param maxDelayMs     largest ceiling, in milliseconds, at least {@code initialDelayMs}.
     * @param minDelayMs     delay the server asked for, in milliseconds, 0 if none.
     * @param random         source of the jitter.
     * @return the delay in milliseconds.
     */
    static long reconnectDelayMs(
        final int attempt,
        final long initialDelayMs,
        final long maxDelayMs,
        final long minDelayMs,
        final Random random)
    {
        final long ceilingMs = ceilingMs(attempt, initialDelayMs, maxDelayMs);
        if (minDelayMs <= 0)
        {
            return uniformInclusive(ceilingMs, random);
        }

        final long windowMs = Math.min(maxDelayMs, Math.max(ceilingMs, minDelayMs));
        final long delayMs = minDelayMs + uniformInclusive(windowMs, random);
        return delayMs < 0 ? Long.MAX_VALUE : delayMs;
    }

    /**
     * Uniform in {@code [0, upper]} (in {@code [0, upper)} for {@code Long.MAX_VALUE}), by rejection so
     * that there is no modulo bias; {@code Random.nextLong(bound)} is not on every Android version.
     */
    static long uniformInclusive(final long upper, final Random random)
    {
        final long bound = upper == Long.MAX_VALUE ? upper : upper + 1;
        final long mask = bound - 1;
        long bits = random.nextLong() >>> 1;
        if ((bound & mask) == 0)
        {
            return bits & mask;
        }

        long value = bits % bound;
        while (bits + mask - value < 0)
        {
            bits = random.nextLong() >>> 1;
            value = bits % bound;
        }
        return value;
    }

    /**
     * The upper bound of the jitter for an attempt: {@code min(maxDelayMs, initialDelayMs * 2^attempt)}
     * without overflow.
     */
    static long ceilingMs(final int attempt, final long initialDelayMs, final long maxDelayMs)
    {
        final int shift = Math.max(0, Math.min(attempt, MAX_ATTEMPT));
        if (initialDelayMs > (maxDelayMs >> shift))
        {
            return maxDelayMs;
        }
        return Math.min(maxDelayMs, initialDelayMs << shift);
    }
}
