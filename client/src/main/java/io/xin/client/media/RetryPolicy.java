package io.xin.client.media;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How often and how patiently an upload or a download tries again after a dropped connection, a timeout or an
 * answer that may pass (5xx, 503 over the connection limit): at most {@code maxRetries} failures in a row without
 * progress (a chunk the server took, bytes read, resets the count), each followed by an exponential backoff from
 * {@code initialBackoff} to {@code maxBackoff}, jittered over its upper half so that clients cut off together do
 * not come back together.
 *
 * @param maxRetries     failures in a row without progress before giving up, at least 0.
 * @param initialBackoff the wait after the first failure, positive.
 * @param maxBackoff     the longest wait, at least {@code initialBackoff}.
 */
public record RetryPolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff)
{
    /** 6 retries, 200 ms doubling up to 5 s: about 12 s of trying on a link that is down. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(6, Duration.ofMillis(200), Duration.ofSeconds(5));

    /**
     * @throws IllegalArgumentException if a value is out of range.
     */
    public RetryPolicy
    {
        if (maxRetries < 0 || initialBackoff == null || maxBackoff == null || initialBackoff.isNegative() ||
            initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0)
        {
            throw new IllegalArgumentException("maxRetries must be >= 0 and 0 < initialBackoff <= maxBackoff: " +
                maxRetries + ", " + initialBackoff + ", " + maxBackoff);
        }
    }

    /**
     * @param failures failures in a row so far, from 1.
     * @return the wait before the next try, in milliseconds: in {@code [d/2, d]} for
     *         {@code d = min(maxBackoff, initialBackoff * 2^(failures - 1))}.
     */
    public long backoffMs(final int failures)
    {
        final long initialMs = Math.max(1, initialBackoff.toMillis());
        final long maxMs = Math.max(initialMs, maxBackoff.toMillis());
        final int shift = Math.max(0, Math.min(failures - 1, 30));
        final long ceilingMs = initialMs > (maxMs >> shift) ? maxMs : Math.min(maxMs, initialMs << shift);
        final long floorMs = ceilingMs / 2;
        return floorMs + ThreadLocalRandom.current().nextLong(ceilingMs - floorMs + 1);
    }

    /**
     * Waits out the backoff after a failure.
     *
     * @param failures failures in a row so far, from 1.
     * @throws InterruptedException if interrupted while waiting.
     */
    void pause(final int failures) throws InterruptedException
    {
        Thread.sleep(backoffMs(failures));
    }
}
