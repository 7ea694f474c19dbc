package io.xin.core.session;

/**
 * One event loop's timer wheel for login timeouts and idle checks: a hashed wheel whose buckets are
 * intrusive lists threaded through the sessions themselves, so a session costs no timer object and a
 * (re)schedule allocates nothing. The loop calls {@link #expire(long)} every tick; a session whose
 * deadline tick has come is unlinked and told. A bucket holds every session whose deadline falls on
 * that tick modulo the wheel size; sessions due in a later round stay where they are.
 * <pre>
 *   wheel[tick &amp; mask] -&gt; session &lt;-&gt; session &lt;-&gt; ...   (deadlineTick kept on each session)
 * </pre>
 * Owned by one event loop: every method runs on it.
 */
final class SessionTimers
{
    static final long NOT_SCHEDULED = -1;

    /** What the wheel links: a session handler, or a test's stand-in. */
    interface Timed
    {
        /** Called on the owning loop once the deadline tick has passed; the timer is already unlinked. */
        void onTimerExpired();

        Timed timerNext();

        void timerNext(Timed next);

        Timed timerPrev();

        void timerPrev(Timed prev);

        /** {@link #NOT_SCHEDULED} when not on the wheel. */
        long timerDeadlineTick();

        void timerDeadlineTick(long tick);
    }

    private final long tickNs;
    private final Timed[] wheel;
    private final int mask;
    private long currentTick;
    private int scheduled;

    /**
     * @param tickNs    resolution: a timer fires up to one tick late, never early.
     * @param wheelSize buckets, a power of two.
     * @param nowNs     the loop's clock ({@link System#nanoTime()}) now.
     */
    SessionTimers(final long tickNs, final int wheelSize, final long nowNs)
    {
        if (tickNs <= 0 || wheelSize < 2 || Integer.bitCount(wheelSize) != 1)
        {
            throw new IllegalArgumentException("tickNs must be positive and wheelSize a power of two");
        }
        this.tickNs = tickNs;
        this.wheel = new Timed[wheelSize];
        this.mask = wheelSize - 1;
        this.currentTick = Math.floorDiv(nowNs, tickNs);
    }

    /**
     * (Re)schedules {@code timed} to expire at {@code deadlineNs} (at the earliest on the next tick).
     */
    void schedule(final Timed timed, final long deadlineNs)
    {
        cancel(timed);
        final long tick = Math.max(currentTick + 1, Math.floorDiv(deadlineNs, tickNs) + 1);
        final int slot = (int)(tick & mask);
        final Timed head = wheel[slot];
        timed.timerDeadlineTick(tick);
        timed.timerPrev(null);
        timed.timerNext(head);
        if (head != null)
        {
            head.timerPrev(timed);
        }
        wheel[slot] = timed;
        scheduled++;
    }

    /** Takes {@code timed} off the wheel; nothing when it is not on it. */
    void cancel(final Timed timed)
    {
        final long tick = timed.timerDeadlineTick();
        if (tick == NOT_SCHEDULED)
        {
            return;
        }
        final Timed prev = timed.timerPrev();
        final Timed next = timed.timerNext();
        if (prev == null)
        {
            wheel[(int)(tick & mask)] = next;
        }
        else
        {
            prev.timerNext(next);
        }
        if (next != null)
        {
            next.timerPrev(prev);
        }
        timed.timerNext(null);
        timed.timerPrev(null);
        timed.timerDeadlineTick(NOT_SCHEDULED);
        scheduled--;
    }

    /**
     * Fires every timer whose deadline tick is at or before {@code nowNs}'s tick.
     *
     * @return timers fired.
     */
    int expire(final long nowNs)
    {
        final long targetTick = Math.floorDiv(nowNs, tickNs);
        final long steps = Math.min(targetTick - currentTick, wheel.length);
        int fired = 0;
        for (long step = 1; step <= steps; step++)
        {
            Timed timed = wheel[(int)((currentTick + step) & mask)];
            while (timed != null)
            {
                final Timed next = timed.timerNext();
                if (timed.timerDeadlineTick() <= targetTick)
                {
                    cancel(timed);
                    timed.onTimerExpired();
                    fired++;
                }
                timed = next;
            }
        }
        currentTick = Math.max(currentTick, targetTick);
        return fired;
    }

    /**
     * Every timer on the wheel, in no order: each open session is on its loop's wheel (login timeout, then
     * idle check), so this lists the loop's sessions without a registry of their own.
     *
     * @return a snapshot, safe to act on while timers are cancelled.
     */
    Timed[] snapshot()
    {
        final Timed[] all = new Timed[scheduled];
        int n = 0;
        for (final Timed head : wheel)
        {
            for (Timed timed = head; timed != null && n < all.length; timed = timed.timerNext())
            {
                all[n++] = timed;
            }
        }
        return n == all.length ? all : java.util.Arrays.copyOf(all, n);
    }

    /** Timers on the wheel. */
    int scheduled()
    {
        return scheduled;
    }

    long tickNs()
    {
        return tickNs;
    }
}
