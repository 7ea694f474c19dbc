package io.xin.core.net;

import io.netty.channel.ChannelId;

/**
 * A session channel's id: a process-wide counter, 16 bytes, instead of Netty's {@code DefaultChannelId}
 * (machine id, process id, counter, time and a random number: an object and its array, about 100 bytes).
 * Unique within the process, which is all the switch uses ids for (logs).
 */
public final class SessionChannelId implements ChannelId
{
    private static final long serialVersionUID = 1L;
    private static final java.util.concurrent.atomic.AtomicInteger NEXT = new java.util.concurrent.atomic.AtomicInteger();

    private final int id;

    private SessionChannelId(final int id)
    {
        this.id = id;
    }

    /** The next id of this process (wraps after 2^32 channels: ids are for logs). */
    public static SessionChannelId next()
    {
        return new SessionChannelId(NEXT.incrementAndGet());
    }

    @Override
    public String asShortText()
    {
        return Integer.toHexString(id);
    }

    @Override
    public String asLongText()
    {
        return "xin-" + Integer.toHexString(id);
    }

    @Override
    public int compareTo(final ChannelId other)
    {
        return other instanceof SessionChannelId that ? Integer.compare(id, that.id) :
            asLongText().compareTo(other.asLongText());
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof SessionChannelId that && id == that.id;
    }

    @Override
    public int hashCode()
    {
        return id;
    }

    @Override
    public String toString()
    {
        return asShortText();
    }
}
