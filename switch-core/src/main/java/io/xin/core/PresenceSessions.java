package io.xin.core;

import io.xin.core.device.Session;
import io.xin.core.dispatch.Dispatcher;
import io.xin.core.presence.PresenceHub;
import io.xin.protocol.pb.Frame;

import java.util.Queue;

/**
 * The session layer as the dispatchers see it, with presence told of every device that comes and goes: the session
 * context answers logins and holds the closed sessions, the presence hub follows who is online.
 */
final class PresenceSessions implements Dispatcher.Sessions
{
    private final Dispatcher.Sessions sessions;
    private final PresenceHub presence;

    PresenceSessions(final Dispatcher.Sessions sessions, final PresenceHub presence)
    {
        this.sessions = sessions;
        this.presence = presence;
    }

    @Override
    public Frame loginOk(final long requestId, final long userId, final long headSeq, final long cursorSeq)
    {
        return sessions.loginOk(requestId, userId, headSeq, cursorSeq);
    }

    @Override
    public Queue<Session> closedOverflow(final int shard)
    {
        return sessions.closedOverflow(shard);
    }

    @Override
    public void online(final Session session)
    {
        presence.online(session);
    }

    @Override
    public void offline(final Session session)
    {
        presence.offline(session);
    }
}
