package io.xin.core.official;

import io.xin.core.device.Session;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The online sessions following each channel: written by the dispatcher thread only (at login, close,
 * follow and unfollow), read by the {@link ChannelPacer} thread, which takes a snapshot per post.
 * Only channels with an online follower have an entry: a channel's offline followers cost nothing
 * here, an online one a set entry per session.
 */
public final class OnlineFollowers
{
    private final ConcurrentHashMap<Long, Set<Session>> byChannel = new ConcurrentHashMap<>();

    /**
     * @param channelId the channel followed.
     * @param session   an online session of a follower. Dispatcher thread.
     */
    public void add(final long channelId, final Session session)
    {
        byChannel.computeIfAbsent(channelId, id -> ConcurrentHashMap.newKeySet()).add(session);
    }

    /**
     * Dispatcher thread.
     */
    public void remove(final long channelId, final Session session)
    {
        final Set<Session> sessions = byChannel.get(channelId);
        if (sessions != null && sessions.remove(session) && sessions.isEmpty())
        {
            // Only the dispatcher adds, and it is here: the set cannot refill between the check and the removal.
            byChannel.remove(channelId, sessions);
        }
    }

    /**
     * @return the online follower sessions of the channel now, or an empty array. Any thread.
     */
    public Session[] snapshot(final long channelId)
    {
        final Set<Session> sessions = byChannel.get(channelId);
        return sessions == null ? NO_SESSIONS : sessions.toArray(NO_SESSIONS);
    }

    /**
     * @return the number of online follower sessions of the channel. Any thread.
     */
    public int count(final long channelId)
    {
        final Set<Session> sessions = byChannel.get(channelId);
        return sessions == null ? 0 : sessions.size();
    }

    private static final Session[] NO_SESSIONS = new Session[0];
}
