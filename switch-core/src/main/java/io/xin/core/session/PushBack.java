package io.xin.core.session;

import com.lmax.disruptor.RingBuffer;
import io.netty.channel.Channel;
import io.xin.core.device.Session;
import io.xin.core.journal.JournalShard;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.status.SwitchCounters;

import java.util.concurrent.TimeUnit;

/**
 * Push-back: a session that cannot be answered for what it sends (its answers would pile up unread, its sends
 * would only be refused as BUSY) stops being read, from the very next frame, so TCP slows the client down and
 * nothing grows in this process; it is read again once a check finds the cause gone. Stateless, one per switch,
 * in {@link SessionContext}; the handler keeps whether its reading is paused and pauses its decoder. On the
 * event loops.
 */
final class PushBack
{
    /**
     * How often a session that stopped reading looks whether it may read again: short against a client's ack
     * timeout, long enough that paused sessions cost little.
     */
    static final long RESUME_CHECK_MS = 10;

    private final int maxInFlightSendsPerSession;
    /** A quarter of a ring: below this many free slots storage lags and sessions stop being read. */
    private final int minRingCapacity;
    /** One ring per journal shard, in shard order. */
    private final RingBuffer<SwitchEvent>[] rings;
    private final SwitchCounters counters;

    PushBack(
        final int maxInFlightSendsPerSession,
        final int ringSize,
        final RingBuffer<SwitchEvent>[] rings,
        final SwitchCounters counters)
    {
        this.maxInFlightSendsPerSession = maxInFlightSendsPerSession;
        this.minRingCapacity = ringSize / 4;
        this.rings = rings;
        this.counters = counters;
    }

    /**
     * Asked after each request a logged-in session sends: the cheap checks first, the ring last.
     *
     * @return true while the peer does not read what it is sent, while the session has as many sends in flight as
     * it may, or while the ring of its journal shard is three quarters full (storage lags).
     */
    boolean mustPause(final Channel channel, final Session session)
    {
        return !channel.isWritable() ||
            session.inFlightSends() >= maxInFlightSendsPerSession ||
            rings[JournalShard.of(session.userId(), rings.length)].remainingCapacity() < minRingCapacity;
    }

    /**
     * Stops reading {@code channel} (the handler pauses its decoder too) and has {@code resumeCheck} run in
     * {@link #RESUME_CHECK_MS}.
     */
    void pause(final Channel channel, final Runnable resumeCheck)
    {
        channel.config().setAutoRead(false);
        counters.readsPaused.increment();
        checkLater(channel, resumeCheck);
    }

    /** A resume check that found a cause still there looks again later. */
    void checkLater(final Channel channel, final Runnable resumeCheck)
    {
        channel.eventLoop().schedule(resumeCheck, RESUME_CHECK_MS, TimeUnit.MILLISECONDS);
    }

    /** Reads {@code channel} again (the handler resumes its decoder, which hands on what it buffered). */
    void resume(final Channel channel)
    {
        channel.config().setAutoRead(true);
    }
}
