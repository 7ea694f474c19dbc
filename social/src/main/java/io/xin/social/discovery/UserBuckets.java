package io.xin.social.discovery;

import org.agrona.collections.Long2ObjectHashMap;

/**
 * A {@link TokenBucket} per user, all of one capacity and refill, made at a user's first take. Buckets that are full
 * again are forgotten every {@value #SWEEP_EVERY} takes (a full bucket is one never used), so memory follows the users
 * who took within the last refill period.
 * <p>
 * Not thread-safe: its owner's thread calls it, or its owner guards it.
 */
public final class UserBuckets
{
    /** Takes between two sweeps of full buckets. */
    static final int SWEEP_EVERY = 4096;

    private final long capacity;
    private final long refillPerHour;
    private final Long2ObjectHashMap<TokenBucket> buckets = new Long2ObjectHashMap<>();
    private int takesSinceSweep;

    /**
     * @param capacity      tokens of a full bucket, positive.
     * @param refillPerHour tokens added to each bucket an hour, positive.
     */
    public UserBuckets(final long capacity, final long refillPerHour)
    {
        if (capacity <= 0 || refillPerHour <= 0)
        {
            throw new IllegalArgumentException("capacity and refill must be positive");
        }
        this.capacity = capacity;
        this.refillPerHour = refillPerHour;
    }

    /**
     * The user's bucket, made full at its first use. Counts as a take for the sweep.
     */
    public TokenBucket bucket(final long userId, final long nowNs)
    {
        if (++takesSinceSweep >= SWEEP_EVERY)
        {
            sweep(nowNs);
        }
        TokenBucket bucket = buckets.get(userId);
        if (bucket == null)
        {
            bucket = new TokenBucket(capacity, refillPerHour, nowNs);
            buckets.put(userId, bucket);
        }
        return bucket;
    }

    /**
     * Takes {@code tokens} from the user's bucket if it holds them.
     *
     * @param tokens 1..capacity.
     * @return 0 when taken, else the milliseconds until the take would succeed (at least 1).
     */
    public int tryTake(final long userId, final long tokens, final long nowNs)
    {
        final TokenBucket bucket = bucket(userId, nowNs);
        return bucket.tryTake(tokens, nowNs) ? 0 : bucket.retryAfterMs(tokens, nowNs);
    }

    /**
     * @return the tokens the user's bucket holds now, without making one.
     */
    public long available(final long userId, final long nowNs)
    {
        final TokenBucket bucket = buckets.get(userId);
        return bucket == null ? capacity : bucket.available(nowNs);
    }

    public long capacity()
    {
        return capacity;
    }

    /** Forgets every bucket that is full: it is as if it had never been used. */
    public void sweep(final long nowNs)
    {
        takesSinceSweep = 0;
        buckets.values().removeIf(bucket -> bucket.isFull(nowNs));
    }

    /**
     * @return buckets held.
     */
    public int size()
    {
        return buckets.size();
    }
}
