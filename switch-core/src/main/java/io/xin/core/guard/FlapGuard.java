package io.xin.core.guard;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Bans a device that logs in in a tight loop (flapping): more than
 * {@code maxLoginsPerDevicePerMinute} accepted tokens for one (user, device_id) within the rate,
 * and the device is refused for {@code deviceBanMs}. Each login kicks the previous connection of
 * the same device, so two installs fighting over one device_id, or a client reconnecting on every
 * error, would otherwise load the switch without end.
 * <p>
 * Checked once per login on the event loop, after the token is verified (so nobody can ban
 * another user's device). Shared by every event loop: each record has its own lock; the map is
 * bounded by {@link #sweep(long)}.
 */
public final class FlapGuard
{
    private static final long MINUTE_NS = TimeUnit.MINUTES.toNanos(1);

    private final int maxLoginsPerDevicePerMinute;
    private final long deviceBanNs;
    private final int maxTrackedDevices;
    private final Map<DeviceKey, Entry> entries = new ConcurrentHashMap<>();

    /**
     * @param maxLoginsPerDevicePerMinute logins of one device per minute (and at once) before it is banned;
     *                                    0 = no limit.
     * @param deviceBanMs                 how long a flapping device is refused, in milliseconds.
     * @param maxTrackedDevices           records kept; past it, new devices are not checked.
     */
    public FlapGuard(final int maxLoginsPerDevicePerMinute, final long deviceBanMs, final int maxTrackedDevices)
    {
        this.maxLoginsPerDevicePerMinute = maxLoginsPerDevicePerMinute;
        this.deviceBanNs = TimeUnit.MILLISECONDS.toNanos(deviceBanMs);
        this.maxTrackedDevices = maxTrackedDevices;
    }

    /**
     * A login of this device presented a valid token.
     *
     * @return 0 when the login may proceed, else the milliseconds the device remains banned.
     */
    public long onLogin(final long userId, final String deviceId, final long nowNs)
    {
        if (maxLoginsPerDevicePerMinute == 0)
        {
            return 0;
        }
        final DeviceKey key = new DeviceKey(userId, deviceId);
        Entry entry = entries.get(key);
        if (entry == null)
        {
            if (entries.size() >= maxTrackedDevices)
            {
                sweep(nowNs);
                if (entries.size() >= maxTrackedDevices)
                {
                    return 0;
                }
            }
            final Entry created = new Entry(nowNs);
            entry = entries.putIfAbsent(key, created);
            if (entry == null)
            {
                entry = created;
            }
        }
        synchronized (entry)
        {
            // A record removed by a concurrent sweep is as good as new: this login is allowed either way.
            if (entry.bannedUntilNs - nowNs > 0)
            {
                return TimeUnit.NANOSECONDS.toMillis(entry.bannedUntilNs - nowNs) + 1;
            }
            if (!entry.logins.tryAcquire(nowNs))
            {
                entry.bannedUntilNs = nowNs + deviceBanNs;
                return TimeUnit.NANOSECONDS.toMillis(deviceBanNs) + 1;
            }
            return 0;
        }
    }

    /**
     * Drops records of devices not banned and whose bucket is full again.
     */
    public void sweep(final long nowNs)
    {
        final Iterator<Entry> it = entries.values().iterator();
        while (it.hasNext())
        {
            final Entry entry = it.next();
            synchronized (entry)
            {
                if (entry.bannedUntilNs - nowNs <= 0 && entry.logins.isFull(nowNs))
                {
                    it.remove();
                }
            }
        }
    }

    /** Devices with a record. */
    public int trackedDevices()
    {
        return entries.size();
    }

    private record DeviceKey(long userId, String deviceId)
    {
    }

    private final class Entry
    {
        /** Guarded by this entry's lock. */
        final RateLimiter logins;
        long bannedUntilNs;

        Entry(final long nowNs)
        {
            logins = new RateLimiter(maxLoginsPerDevicePerMinute, MINUTE_NS, maxLoginsPerDevicePerMinute, nowNs);
            bannedUntilNs = nowNs;
        }
    }
}
