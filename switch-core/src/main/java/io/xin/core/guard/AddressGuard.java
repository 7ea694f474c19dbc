package io.xin.core.guard;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per remote address admission: how many connections it holds, how fast it opens new ones, and
 * how often its logins fail. Checked once per connection and once per failed login, never per
 * message. Shared by every event loop: each address's record is guarded by its own lock, and the
 * map is bounded ({@code maxTrackedAddresses}) by {@link #sweep(long)} dropping records that hold
 * nothing and whose buckets are full again.
 * <p>
 * Behind a load balancer the remote address is the balancer's unless the PROXY protocol gives the
 * client's; size the per-address limits for the addresses the switch actually sees.
 */
public final class AddressGuard
{
    private static final long SECOND_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long MINUTE_NS = TimeUnit.MINUTES.toNanos(1);

    /** Why a connection was refused; null from {@link #onConnect} means admitted. */
    public enum Refusal
    {
        TOO_MANY_CONNECTIONS("too many connections", false),
        CONNECTING_TOO_FAST("too many new connections from this address", true),
        TOO_MANY_FAILED_LOGINS("too many failed logins from this address", true);

        private final String reason;
        private final boolean rateLimited;

        Refusal(final String reason, final boolean rateLimited)
        {
            this.reason = reason;
            this.rateLimited = rateLimited;
        }

        public String reason()
        {
            return reason;
        }

        /** True when waiting helps: the refusal comes with a retry-after. */
        public boolean rateLimited()
        {
            return rateLimited;
        }
    }

    private final int maxConnections;
    private final int maxConnectionsPerAddress;
    private final int maxNewConnectionsPerAddressPerSecond;
    private final int maxLoginFailuresPerAddressPerMinute;
    private final int maxTrackedAddresses;
    private final AtomicInteger connections = new AtomicInteger();
    private final Map<InetAddress, Entry> entries = new ConcurrentHashMap<>();

    /**
     * @param maxConnections                       open connections in the whole switch.
     * @param maxConnectionsPerAddress             open connections from one address.
     * @param maxNewConnectionsPerAddressPerSecond new connections per second from one address (burst: twice
     *                                             that); 0 = no limit.
     * @param maxLoginFailuresPerAddressPerMinute  failed logins per minute from one address before its
     *                                             new connections are refused; 0 = no limit.
     * @param maxTrackedAddresses                  records kept; past it, new addresses are limited only by
     *                                             {@code maxConnections}.
     */
    public AddressGuard(
        final int maxConnections,
        final int maxConnectionsPerAddress,
        final int maxNewConnectionsPerAddressPerSecond,
        final int maxLoginFailuresPerAddressPerMinute,
        final int maxTrackedAddresses)
    {
        this.maxConnections = maxConnections;
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
        this.maxNewConnectionsPerAddressPerSecond = maxNewConnectionsPerAddressPerSecond;
        this.maxLoginFailuresPerAddressPerMinute = maxLoginFailuresPerAddressPerMinute;
        this.maxTrackedAddresses = maxTrackedAddresses;
    }

    /**
     * A connection was accepted from {@code address}. When it returns null the connection counts
     * until {@link #onDisconnect(InetAddress)}; otherwise it does not count and must be closed.
     */
    public Refusal onConnect(final InetAddress address, final long nowNs)
    {
        if (connections.incrementAndGet() > maxConnections)
        {
            connections.decrementAndGet();
            return Refusal.TOO_MANY_CONNECTIONS;
        }
        final Entry entry = entry(address, nowNs);
        if (entry == null)
        {
            return null;
        }
        synchronized (entry)
        {
            final Refusal refusal;
            if (entry.openConnections >= maxConnectionsPerAddress)
            {
                refusal = Refusal.TOO_MANY_CONNECTIONS;
            }
            else if (entry.failedLogins != null && entry.failedLogins.retryAfterNs(nowNs) > 0)
            {
                refusal = Refusal.TOO_MANY_FAILED_LOGINS;
            }
            else if (entry.newConnections != null && !entry.newConnections.tryAcquire(nowNs))
            {
                refusal = Refusal.CONNECTING_TOO_FAST;
            }
            else
            {
                entry.openConnections++;
                return null;
            }
            connections.decrementAndGet();
            return refusal;
        }
    }

    /**
     * A connection admitted by {@link #onConnect} closed.
     */
    public void onDisconnect(final InetAddress address)
    {
        connections.decrementAndGet();
        final Entry entry = entries.get(address);
        if (entry != null)
        {
            synchronized (entry)
            {
                if (entry.openConnections > 0)
                {
                    entry.openConnections--;
                }
            }
        }
    }

    /**
     * A login from {@code address} failed (bad or expired token). Once the address's failures pass
     * the per-minute limit, its new connections are refused until the bucket refills.
     */
    public void onLoginFailed(final InetAddress address, final long nowNs)
    {
        if (maxLoginFailuresPerAddressPerMinute == 0)
        {
            return;
        }
        final Entry entry = entry(address, nowNs);
        if (entry != null)
        {
            synchronized (entry)
            {
                // An empty bucket is what onConnect checks: an extra failure past empty is not counted twice.
                entry.failedLogins.tryAcquire(nowNs);
            }
        }
    }

    /**
     * @return milliseconds until {@code address} may connect again, for the refusal's retry-after.
     */
    public long retryAfterMs(final InetAddress address, final long nowNs)
    {
        final Entry entry = entries.get(address);
        if (entry == null)
        {
            return 0;
        }
        synchronized (entry)
        {
            final long ns = Math.max(
                entry.failedLogins == null ? 0 : entry.failedLogins.retryAfterNs(nowNs),
                entry.newConnections == null ? 0 : entry.newConnections.retryAfterNs(nowNs));
            return TimeUnit.NANOSECONDS.toMillis(ns) + 1;
        }
    }

    /**
     * Drops the records of addresses that hold no connection and whose buckets are full: they
     * would behave the same if created afresh. Called periodically and whenever the map is full.
     */
    public void sweep(final long nowNs)
    {
        final Iterator<Map.Entry<InetAddress, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext())
        {
            final Entry entry = it.next().getValue();
            synchronized (entry)
            {
                if (entry.openConnections == 0 && isFull(entry.newConnections, nowNs) &&
                    isFull(entry.failedLogins, nowNs))
                {
                    entry.removed = true;
                    it.remove();
                }
            }
        }
    }

    private static boolean isFull(final RateLimiter limiter, final long nowNs)
    {
        return limiter == null || limiter.isFull(nowNs);
    }

    /** Connections open and admitted. */
    public int connections()
    {
        return connections.get();
    }

    /** Addresses with a record. */
    public int trackedAddresses()
    {
        return entries.size();
    }

    private Entry entry(final InetAddress address, final long nowNs)
    {
        while (true)
        {
            Entry entry = entries.get(address);
            if (entry == null)
            {
                if (entries.size() >= maxTrackedAddresses)
                {
                    sweep(nowNs);
                    if (entries.size() >= maxTrackedAddresses)
                    {
                        return null;
                    }
                }
                final Entry created = new Entry(nowNs);
                entry = entries.putIfAbsent(address, created);
                if (entry == null)
                {
                    return created;
                }
            }
            synchronized (entry)
            {
                if (!entry.removed)
                {
                    return entry;
                }
            }
            // A sweep removed it between the get and the lock: look again.
        }
    }

    private final class Entry
    {
        /** Guarded by this entry's lock, as are the buckets. */
        int openConnections;
        boolean removed;
        final RateLimiter newConnections;
        final RateLimiter failedLogins;

        Entry(final long nowNs)
        {
            newConnections = maxNewConnectionsPerAddressPerSecond == 0 ? null : new RateLimiter(
                maxNewConnectionsPerAddressPerSecond, SECOND_NS, 2L * maxNewConnectionsPerAddressPerSecond, nowNs);
            failedLogins = maxLoginFailuresPerAddressPerMinute == 0 ? null : new RateLimiter(
                maxLoginFailuresPerAddressPerMinute, MINUTE_NS, maxLoginFailuresPerAddressPerMinute, nowNs);
        }
    }
}
