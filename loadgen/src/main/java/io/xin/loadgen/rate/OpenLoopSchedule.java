package io.xin.loadgen.rate;

/**
 * The intended send time of every message of a constant-rate run: message {@code i} (from 0) is due
 * at {@code startNs + i * 1e9 / rate}, whatever happened to the messages before it. A sender that falls
 * behind sends the overdue messages at once and their latency counts from when they were due.
 */
public final class OpenLoopSchedule
{
    private final long startNs;
    private final double intervalNs;
    private final long count;

    /**
     * @param startNs       {@link System#nanoTime()} of message 0.
     * @param ratePerSecond messages per second, positive.
     * @param durationNs    length of the run; the schedule holds the messages due before its end.
     */
    public OpenLoopSchedule(final long startNs, final double ratePerSecond, final long durationNs)
    {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond))
        {
            throw new IllegalArgumentException("rate must be a positive number of messages per second: " + ratePerSecond);
        }
        if (durationNs <= 0)
        {
            throw new IllegalArgumentException("duration must be positive: " + durationNs + " ns");
        }
        this.startNs = startNs;
        this.intervalNs = 1e9 / ratePerSecond;
        this.count = (long)Math.ceil(durationNs / intervalNs);
    }

    /**
     * @param index message number, from 0.
     * @return when it is due, in {@link System#nanoTime()} terms.
     */
    public long intendedNs(final long index)
    {
        return startNs + (long)(index * intervalNs);
    }

    /**
     * @param nowNs the current {@link System#nanoTime()}.
     * @return how many messages are due at {@code nowNs} (never more than {@link #count()}).
     */
    public long dueBy(final long nowNs)
    {
        if (nowNs < startNs)
        {
            return 0;
        }
        return Math.min(count, (long)((nowNs - startNs) / intervalNs) + 1);
    }

    /**
     * @return messages in the whole run.
     */
    public long count()
    {
        return count;
    }

    /**
     * @return {@link System#nanoTime()} of message 0.
     */
    public long startNs()
    {
        return startNs;
    }
}
