package io.xin.social.nearby;

import org.agrona.collections.Long2LongHashMap;

import java.util.function.LongSupplier;

/**
 * Per-user rate limits of people nearby and shake: location reports (a leave counts as one) and queries (a shake
 * counts as one). Each is a token bucket kept as one number per user, the generic cell rate algorithm: the
 * theoretical time at which the user's bucket is full again. A user may do {@code perMinute} at once from a full
 * bucket, then one every {@code 60 s / perMinute}.
 * <pre>
 *   interval = 60 s / perMinute        tolerance = (perMinute - 1) * interval
 *   allow(now): tat = max(tat, now); if tat - now > tolerance: refuse; else tat += interval
 * </pre>
 * The limits slow down a client that maps the cells around a victim by reporting many locations (trilateration
 * from bands needs many vantage points) or that polls for a user's comings and goings.
 * <p>
 * Single-threaded by design: owned by the thread that owns the nearby index. The clock is injected, so tests drive
 * it.
 */
public final class NearbyLimits
{
    /** Returned by the {@code try} methods when the request may go ahead. */
    public static final long ALLOWED = 0;
    private static final long MICROS_PER_MINUTE = 60_000_000L;

    private final LongSupplier clockMs;
    private final Bucket reports;
    private final Bucket queries;

    /**
     * @param clockMs          the time in milliseconds.
     * @param reportsPerMinute location reports (and leaves) per user per minute; 0 = no limit.
     * @param queriesPerMinute queries (and shakes) per user per minute; 0 = no limit.
     */
    public NearbyLimits(final LongSupplier clockMs, final int reportsPerMinute, final int queriesPerMinute)
    {
        if (reportsPerMinute < 0 || queriesPerMinute < 0)
        {
            throw new IllegalArgumentException("limits must not be negative");
        }
        this.clockMs = clockMs;
        this.reports = reportsPerMinute == 0 ? null : new Bucket(reportsPerMinute);
        this.queries = queriesPerMinute == 0 ? null : new Bucket(queriesPerMinute);
    }

    /**
     * Takes a report (or a leave) from the user's bucket.
     *
     * @return {@link #ALLOWED}, or the milliseconds until one is allowed again.
     */
    public long tryReport(final long userId)
    {
        return reports == null ? ALLOWED : reports.tryTake(userId, clockMs.getAsLong() * 1_000);
    }

    /**
     * Takes a query (or a shake) from the user's bucket.
     *
     * @return {@link #ALLOWED}, or the milliseconds until one is allowed again.
     */
    public long tryQuery(final long userId)
    {
        return queries == null ? ALLOWED : queries.tryTake(userId, clockMs.getAsLong() * 1_000);
    }

    /**
     * Forgets the users whose buckets are full again: remembering them changes nothing. Run now and then.
     *
     * @return users forgotten.
     */
    public int sweep()
    {
        final long nowUs = clockMs.getAsLong() * 1_000;
        return (reports == null ? 0 : reports.sweep(nowUs)) + (queries == null ? 0 : queries.sweep(nowUs));
    }

    /**
     * @return users remembered, over both limits.
     */
    public int tracked()
    {
        return (reports == null ? 0 : reports.tats.size()) + (queries == null ? 0 : queries.tats.size());
    }

    /** One limit: each user's theoretical arrival time, in microseconds (intervals of 60 s / n are not whole ms). */
    private static final class Bucket
    {
        private final Long2LongHashMap tats = new Long2LongHashMap(Long.MIN_VALUE);
        private final long intervalUs;
        private final long toleranceUs;

        Bucket(final int perMinute)
        {
            this.intervalUs = MICROS_PER_MINUTE / perMinute;
            this.toleranceUs = (perMinute - 1) * intervalUs;
        }

        long tryTake(final long userId, final long nowUs)
        {
            final long stored = tats.get(userId);
            final long tat = stored == Long.MIN_VALUE || stored < nowUs ? nowUs : stored;
            if (tat - nowUs > toleranceUs)
            {
                // Whole milliseconds, rounded up: a wait rounded down would come back too early.
                return Math.max(1, (tat - toleranceUs - nowUs + 999) / 1_000);
            }
            tats.put(userId, tat + intervalUs);
            return ALLOWED;
        }

        int sweep(final long nowUs)
        {
            final int before = tats.size();
            tats.entrySet().removeIfLong((userId, tat) -> tat <= nowUs);
            return before - tats.size();
        }
    }
}
