package io.xin.core.discovery;

import io.xin.social.discovery.TokenBucket;
import io.xin.social.discovery.UserBuckets;

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

    private final long deviceCapacity;
    private final long deviceRefillPerHour;
    /** Guarded by {@code this}. */
    private final UserBuckets accounts;
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
        this.accounts = new UserBuckets(accountCapacity, accountRefillPerHour);
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
        if (elements > Math.min(accounts.capacity(), deviceCapacity))
        {
            throw new IllegalArgumentException("more elements than a bucket holds: " + elements);
        }
        if (++takesSinceSweep >= SWEEP_EVERY)
        {
            sweep(nowNs);
        }
        final TokenBucket account = accounts.bucket(userId, nowNs);
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
        final TokenBucket device = devices.get(new Device(userId, deviceId));
        return Math.min(accounts.available(userId, nowNs), device == null ? deviceCapacity : device.available(nowNs));
    }

    /** Forgets every bucket that is full: it is as if it had never been used. */
    public synchronized void sweep(final long nowNs)
    {
        takesSinceSweep = 0;
        accounts.sweep(nowNs);
        devices.values().removeIf(bucket -> bucket.isFull(nowNs));
    }

    /**
     * @return buckets held: accounts and devices.
     */
    public synchronized int buckets()
    {
        return accounts.size() + devices.size();
    }

    private TokenBucket device(final long userId, final String deviceId, final long nowNs)
    {
        return devices.computeIfAbsent(new Device(userId, deviceId),
            key -> new TokenBucket(deviceCapacity, deviceRefillPerHour, nowNs));
    }
}
