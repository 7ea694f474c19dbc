package io.xin.core.guard;

/**
 * A token bucket kept as one number, the generic cell rate algorithm: {@code tatNs} is the
 * theoretical time at which the bucket is full again. A request is allowed while that time is no
 * more than {@code burst - 1} intervals ahead of now, and moves it one interval further.
 * <pre>
 *   interval = period / permitsPerPeriod         tolerance = (burst - 1) * interval
 *   allow(now): tat = max(tat, now); if tat - now > tolerance: refuse; else tat += interval
 * </pre>
 * Not thread-safe: owned by one event loop, or guarded by its owner's lock.
 */
public final class RateLimiter
{
    private static final long NS_PER_MS = 1_000_000;

    private final long intervalNs;
    private final long toleranceNs;
    private long tatNs;

    /**
     * @param permitsPerPeriod sustained requests per period, positive.
     * @param periodNs         the period, in nanoseconds (1 s for a per-second rate).
     * @param burst            requests allowed at once from full, at least 1.
     * @param nowNs            the current {@link System#nanoTime()}: the bucket starts full.
     */
    public RateLimiter(final long permitsPerPeriod, final long periodNs, final long burst, final long nowNs)
    {
        if (permitsPerPeriod <= 0 || burst <= 0 || periodNs <= 0)
        {
            throw new IllegalArgumentException("permits, period and burst must be positive");
        }
        this.intervalNs = Math.max(1, periodNs / permitsPerPeriod);
        this.toleranceNs = (burst - 1) * intervalNs;
        this.tatNs = nowNs;
    }

    /**
     * @return true and one token taken, or false when the bucket is empty.
     */
    public boolean tryAcquire(final long nowNs)
    {
        final long tat = tatNs - nowNs > 0 ? tatNs : nowNs;
        if (tat - nowNs > toleranceNs)
        {
            return false;
        }
        tatNs = tat + intervalNs;
        return true;
    }

    /**
     * @return nanoseconds until {@link #tryAcquire(long)} can succeed again; 0 if it can now.
     */
    public long retryAfterNs(final long nowNs)
    {
        return retryAfterNs(nowNs, 0);
    }

    /**
     * The wait of a request queued behind others: when {@code ahead} requests are admitted first, each as
     * soon as the bucket lets it, this one is admitted after the returned time, and none of them before.
     * <pre>
     *   wait(now, ahead) = max(tat, now) + ahead * interval - tolerance - now, at least 0
     * </pre>
     *
     * @param nowNs the current {@link System#nanoTime()}.
     * @param ahead requests to be admitted before this one, 0 or more.
     * @return nanoseconds until {@link #tryAcquire(long)} admits this request; 0 if it would now.
     */
    public long retryAfterNs(final long nowNs, final long ahead)
    {
        final long tat = tatNs - nowNs > 0 ? tatNs : nowNs;
        return Math.max(0, tat + ahead * intervalNs - toleranceNs - nowNs);
    }

    /**
     * {@link #retryAfterNs(long, long)} as a client is told it: whole milliseconds rounded up (a wait rounded
     * down would bring the request back before the bucket admits it), at least 1, at most
     * {@link Integer#MAX_VALUE}.
     */
    public int retryAfterMs(final long nowNs, final long ahead)
    {
        final long ms = (retryAfterNs(nowNs, ahead) + NS_PER_MS - 1) / NS_PER_MS;
        return (int)Math.min(Integer.MAX_VALUE, Math.max(1, ms));
    }

    /**
     * @return true when the bucket is full, so forgetting it changes nothing.
     */
    public boolean isFull(final long nowNs)
    {
        return tatNs - nowNs <= 0;
    }
}
