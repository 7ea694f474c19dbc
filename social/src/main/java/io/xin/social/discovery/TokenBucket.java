package io.xin.social.discovery;

/**
 * A token bucket of up to {@code capacity} tokens that refills {@code refillPerHour} an hour, kept as one number
 * (the generic cell rate algorithm): {@code fullAtNs}, the time at which the bucket is full again. Taking
 * {@code n} tokens moves it {@code n} intervals later, and is allowed while it stays within {@code capacity}
 * intervals of now.
 * <pre>
 *   interval = 1 h / refillPerHour
 *   take(n, now): base = max(fullAt, now); if base + n * interval - now > capacity * interval: refuse
 *                 else fullAt = base + n * interval
 * </pre>
 * Time is given to every call ({@link System#nanoTime()} in a switch, any clock in a test); nothing allocates.
 * Not thread-safe: its owner guards it.
 */
public final class TokenBucket
{
    public static final long NANOS_PER_HOUR = 3_600_000_000_000L;
    private static final long NANOS_PER_MS = 1_000_000;

    private final long capacity;
    private final long intervalNs;
    private final long spanNs;
    private long fullAtNs;

    /**
     * @param capacity      tokens when full, positive.
     * @param refillPerHour tokens added an hour, positive.
     * @param nowNs         the current time: the bucket starts full.
     */
    public TokenBucket(final long capacity, final long refillPerHour, final long nowNs)
    {
        if (capacity <= 0 || refillPerHour <= 0)
        {
            throw new IllegalArgumentException("capacity and refill must be positive");
        }
        this.capacity = capacity;
        this.intervalNs = Math.max(1, NANOS_PER_HOUR / refillPerHour);
        // Throws for a capacity whose refill time does not fit in a long of nanoseconds (292 years).
        this.spanNs = Math.multiplyExact(capacity, intervalNs);
        this.fullAtNs = nowNs;
    }

    /**
     * Takes {@code tokens} if the bucket holds them, else nothing.
     *
     * @param tokens 1..capacity.
     * @return true when taken.
     */
    public boolean tryTake(final long tokens, final long nowNs)
    {
        checkTokens(tokens);
        final long next = base(nowNs) + tokens * intervalNs;
        if (next - nowNs > spanNs)
        {
            return false;
        }
        fullAtNs = next;
        return true;
    }

    /**
     * @return the tokens the bucket holds now, 0..capacity.
     */
    public long available(final long nowNs)
    {
        final long owedNs = fullAtNs - nowNs;
        if (owedNs <= 0)
        {
            return capacity;
        }
        return capacity - (owedNs + intervalNs - 1) / intervalNs;
    }

    /**
     * @param tokens 1..capacity.
     * @return nanoseconds until {@link #tryTake} of {@code tokens} succeeds; 0 when it would now.
     */
    public long retryAfterNs(final long tokens, final long nowNs)
    {
        checkTokens(tokens);
        return Math.max(0, base(nowNs) + tokens * intervalNs - spanNs - nowNs);
    }

    /**
     * {@link #retryAfterNs} in whole milliseconds, rounded up (a wait rounded down would come back too soon), at
     * least 1 and at most {@link Integer#MAX_VALUE}.
     */
    public int retryAfterMs(final long tokens, final long nowNs)
    {
        final long ms = (retryAfterNs(tokens, nowNs) + NANOS_PER_MS - 1) / NANOS_PER_MS;
        return (int)Math.min(Integer.MAX_VALUE, Math.max(1, ms));
    }

    /**
     * @return true when full: forgetting the bucket then changes nothing.
     */
    public boolean isFull(final long nowNs)
    {
        return fullAtNs - nowNs <= 0;
    }

    public long capacity()
    {
        return capacity;
    }

    private long base(final long nowNs)
    {
        return fullAtNs - nowNs > 0 ? fullAtNs : nowNs;
    }

    private void checkTokens(final long tokens)
    {
        if (tokens <= 0 || tokens > capacity)
        {
            throw new IllegalArgumentException("tokens must be 1.." + capacity + ": " + tokens);
        }
    }
}
