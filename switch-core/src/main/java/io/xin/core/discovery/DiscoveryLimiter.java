package io.xin.core.discovery;

import io.xin.social.discovery.TokenBucket;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.HashMap;
import java.util.Map;

/**
 * The rate limits of PRF evaluations: a {@link TokenBucket} per account and one per device of the account, each
 * element evaluated taking a token from both. An enumeration of numbers costs an evaluation each, so the account's
 * bucket bounds what one account can learn per day; the device's bucket keeps one device from spending what the
 * account's other devices need. Buckets that are full again are forgotten now and then, so memory follows the
 * accounts that discovered within the last refill period.
 * <p>
 * Thread-safe: the discovery threads call it under its monitor (never an event loop).
 */
public final class DiscoveryLimiter
{
    /** Takes between two sweeps of full buckets. */
    private static final int SWEEP_EVERY = 4096;

    private final long accountCapacity;
    private final long accountRefillPerHour;
    private final long deviceCapacity;
    private final long deviceRefillPerHour;
    /** Guarded by {@code this}. */
    private final Long2ObjectHashMap<TokenBucket> accounts = new Long2ObjectHashMap<>();
    /** Guarded by {@code this}. */
    private final Map<Device, TokenBucket> devices = new HashMap<>();
    /** Guarded by {@code this}. */
    private int takesSinceSweep;

    private record Device(long userId, String deviceId)
    {
    }

    /** A refusal: which bucket, and when the request would pass. */
    public record Refusal(boolean device, int retryAfterMs)
    {
    }

    public DiscoveryLimiter(
        final long accountCapacity,
        final long accountRefillPerHour,
        final long deviceCapacity,
        final long deviceRefillPerHour)
    {
        if (accountCapacity <= 0 || accountRefillPerHour <= 0 || deviceCapacity <= 0 || deviceRefillPerHour <= 0)
        {
            throw new IllegalArgumentException("capacities and refills must be positive");
        }
        this.accountCapacity = accountCapacity;
        this.accountRefillPerHour = accountRefillPerHour;
        this.deviceCapacity = deviceCapacity;
        this.deviceRefillPerHour = deviceRefillPerHour;
    }

    /**
     * Takes {@code elements} tokens from the account's and the device's buckets, or from neither.
     *
     * @param elements 1 up to the smaller capacity.
     * @return null when taken, or the refusal.
     */
    public synchronized Refusal tryTake(final long userId, final String deviceId, final int elements, final long nowNs)
    {
        if (elements > Math.min(accountCapacity, deviceCapacity))
        {
            throw new IllegalArgumentException("more elements than a bucket holds: " + elements);
        }
        if (++takesSinceSweep >= SWEEP_EVERY)
        {
            sweep(nowNs);
        }
        final TokenBucket account = account(userId, nowNs);
        final TokenBucket device = device(userId, deviceId, nowNs);
        final long accountWait = account.retryAfterNs(elements, nowNs);
        final long deviceWait = device.retryAfterNs(elements, nowNs);
        if (accountWait > 0 || deviceWait > 0)
        {
            final boolean byDevice = deviceWait > accountWait;
            return new Refusal(byDevice, (byDevice ? device : account).retryAfterMs(elements, nowNs));
        }
        account.tryTake(elements, nowNs);
        device.tryTake(elements, nowNs);
        return null;
    }

    /**
     * @return the elements the device may have evaluated now: the smaller of its two buckets.
     */
    public synchronized long available(final long userId, final String deviceId, final long nowNs)
    {
        final TokenBucket account = accounts.get(userId);
        final TokenBucket device = devices.get(new Device(userId, deviceId));
        return Math.min(account == null ? accountCapacity : account.available(nowNs),
            device == null ? deviceCapacity : device.available(nowNs));
    }

    /** Forgets every bucket that is full: it is as if it had never been used. */
    public synchronized void sweep(final long nowNs)
    {
        takesSinceSweep = 0;
        accounts.values().removeIf(bucket -> bucket.isFull(nowNs));
        devices.values().removeIf(bucket -> bucket.isFull(nowNs));
    }

    /**
     * @return buckets held: accounts and devices.
     */
    public synchronized int buckets()
    {
        return accounts.size() + devices.size();
    }

    private TokenBucket account(final long userId, final long nowNs)
    {
        TokenBucket bucket = accounts.get(userId);
        if (bucket == null)
        {
            bucket = new TokenBucket(accountCapacity, accountRefillPerHour, nowNs);
            accounts.put(userId, bucket);
        }
        return bucket;
    }

    private TokenBucket device(final long userId, final String deviceId, final long nowNs)
    {
        return devices.computeIfAbsent(new Device(userId, deviceId),
            key -> new TokenBucket(deviceCapacity, deviceRefillPerHour, nowNs));
    }
}
