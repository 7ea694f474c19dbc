package io.xin.core.presence;

import io.xin.protocol.pb.Presence;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Coalesces and paces presence per receiving session: of the changes of one friend only the latest waits, and a
 * receiver gets at most one push per interval (its first at once), holding every friend that changed since its last.
 * So a friend whose connection flaps costs each of its friends' devices one frame an interval, not one a flap.
 * Pure logic on a time given by the caller: no thread, clock or socket of its own.
 * <p>
 * Not thread-safe: owned by one thread (the presence thread in a switch).
 *
 * @param <S> the receiver: a session in a switch, anything with identity in a test.
 */
public final class PresencePacer<S>
{
    /** Never pushed: the first push is due at once. */
    private static final long NEVER = Long.MIN_VALUE;

    private final long intervalMs;
    /** Every receiver that was offered something and not removed. */
    private final Map<S, Receiver> receivers = new HashMap<>();
    /** Receivers with entries waiting, oldest first. */
    private final Set<S> waiting = new LinkedHashSet<>();

    /**
     * @param intervalMs at least this long between two pushes to one receiver; 0 pushes at every poll.
     */
    public PresencePacer(final long intervalMs)
    {
        if (intervalMs < 0)
        {
            throw new IllegalArgumentException("intervalMs must not be negative: " + intervalMs);
        }
        this.intervalMs = intervalMs;
    }

    /** Where a receiver's due entries go. */
    @FunctionalInterface
    public interface Sink<S>
    {
        /**
         * @param entries the latest entry of each friend that changed, by user id.
         * @return false when the receiver cannot take them now (they stay, and come again at the next poll).
         */
        boolean push(S receiver, List<Presence> entries);
    }

    /**
     * Queues the latest state of one friend for a receiver, replacing what waited for that friend.
     */
    public void offer(final S receiver, final Presence entry)
    {
        Receiver state = receivers.get(receiver);
        if (state == null)
        {
            state = new Receiver();
            receivers.put(receiver, state);
        }
        state.entries.put(entry.getUserId(), entry);
        waiting.add(receiver);
    }

    /** Forgets a receiver (its session closed) and whatever waited for it. */
    public void remove(final S receiver)
    {
        receivers.remove(receiver);
        waiting.remove(receiver);
    }

    /**
     * Hands each receiver whose turn has come (its last push at least the interval ago, or none yet) what waits for it.
     *
     * @return the receivers pushed to.
     */
    public int poll(final long nowMs, final Sink<S> sink)
    {
        int pushed = 0;
        final Iterator<S> due = waiting.iterator();
        while (due.hasNext())
        {
            final S receiver = due.next();
            final Receiver state = receivers.get(receiver);
            if (state.lastPushMs != NEVER && nowMs - state.lastPushMs < intervalMs)
            {
                continue;
            }
            if (!sink.push(receiver, state.drain()))
            {
                continue;
            }
            state.entries.clear();
            state.lastPushMs = nowMs;
            due.remove();
            pushed++;
        }
        return pushed;
    }

    /**
     * @return how long until the next receiver's turn: 0 when one is due now, {@link Long#MAX_VALUE} when nothing
     * waits.
     */
    public long msUntilDue(final long nowMs)
    {
        long until = Long.MAX_VALUE;
        for (final S receiver : waiting)
        {
            final long lastPushMs = receivers.get(receiver).lastPushMs;
            if (lastPushMs == NEVER)
            {
                return 0;
            }
            until = Math.min(until, Math.max(0, lastPushMs + intervalMs - nowMs));
        }
        return until;
    }

    /** Receivers known (offered something, not removed). */
    public int receivers()
    {
        return receivers.size();
    }

    /** What one receiver has waiting and when it was last pushed to. */
    private static final class Receiver
    {
        final Long2ObjectHashMap<Presence> entries = new Long2ObjectHashMap<>();
        long lastPushMs = NEVER;

        List<Presence> drain()
        {
            final long[] users = new long[entries.size()];
            int n = 0;
            final Long2ObjectHashMap<Presence>.KeyIterator keys = entries.keySet().iterator();
            while (keys.hasNext())
            {
                users[n++] = keys.nextLong();
            }
            Arrays.sort(users);
            final List<Presence> list = new ArrayList<>(users.length);
            for (final long user : users)
            {
                list.add(entries.get(user));
            }
            return list;
        }
    }
}
