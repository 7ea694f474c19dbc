package io.xin.core.session;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionTimersTest
{
    private static final long TICK_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private final List<String> fired = new ArrayList<>();

    private final class Timer implements SessionTimers.Timed
    {
        private final String name;
        private SessionTimers.Timed next;
        private SessionTimers.Timed prev;
        private long tick = SessionTimers.NOT_SCHEDULED;
        private Runnable onExpiry = () -> {};

        Timer(final String name)
        {
            this.name = name;
        }

        @Override
        public void onTimerExpired()
        {
            fired.add(name);
            onExpiry.run();
        }

        @Override
        public SessionTimers.Timed timerNext()
        {
            return next;
        }

        @Override
        public void timerNext(final SessionTimers.Timed next)
        {
            this.next = next;
        }

        @Override
        public SessionTimers.Timed timerPrev()
        {
            return prev;
        }

        @Override
        public void timerPrev(final SessionTimers.Timed prev)
        {
            this.prev = prev;
        }

        @Override
        public long timerDeadlineTick()
        {
            return tick;
        }

        @Override
        public void timerDeadlineTick(final long tick)
        {
            this.tick = tick;
        }
    }

    @Test
    void shouldFireNeverEarlyAndAtMostOneTickLate()
    {
        final SessionTimers timers = new SessionTimers(TICK_NS, 8, 0);
        final Timer a = new Timer("a");
        timers.schedule(a, 250_000_000L);
        assertEquals(0, timers.expire(249_999_999L));
        assertEquals(0, timers.expire(299_999_999L));
        assertEquals(1, timers.expire(300_000_000L));
        assertEquals(List.of("a"), fired);
        assertEquals(0, timers.scheduled());
        assertEquals(SessionTimers.NOT_SCHEDULED, a.timerDeadlineTick());
    }

    @Test
    void shouldKeepTimersDueInALaterRoundOfTheWheel()
    {
        final SessionTimers timers = new SessionTimers(TICK_NS, 4, 0);
        final Timer late = new Timer("late");
        final Timer soon = new Timer("soon");
        timers.schedule(late, TICK_NS * 10);
        timers.schedule(soon, TICK_NS * 2);
        for (long tick = 1; tick <= 10; tick++)
        {
            timers.expire(tick * TICK_NS);
        }
        assertEquals(List.of("soon"), fired);
        timers.expire(11 * TICK_NS);
        assertEquals(List.of("soon", "late"), fired);
    }

    @Test
    void shouldFireEverythingDueAfterAJumpLongerThanTheWheel()
    {
        final SessionTimers timers = new SessionTimers(TICK_NS, 4, 0);
        for (int i = 0; i < 10; i++)
        {
            timers.schedule(new Timer("t" + i), TICK_NS * (i + 1));
        }
        timers.schedule(new Timer("later"), TICK_NS * 100);
        assertEquals(10, timers.expire(TICK_NS * 50));
        assertEquals(1, timers.scheduled());
    }

    @Test
    void shouldNotFireACancelledOrRescheduledTimer()
    {
        final SessionTimers timers = new SessionTimers(TICK_NS, 8, 0);
        final Timer cancelled = new Timer("cancelled");
        final Timer moved = new Timer("moved");
        final Timer kept = new Timer("kept");
        timers.schedule(cancelled, TICK_NS);
        timers.schedule(moved, TICK_NS);
        timers.schedule(kept, TICK_NS);
        timers.cancel(cancelled);
        timers.cancel(cancelled);
        timers.schedule(moved, TICK_NS * 5);
        timers.expire(TICK_NS * 3);
        assertEquals(List.of("kept"), fired);
        timers.expire(TICK_NS * 6);
        assertEquals(List.of("kept", "moved"), fired);
    }

    @Test
    void shouldLetAnExpiringTimerRescheduleItself()
    {
        final SessionTimers timers = new SessionTimers(TICK_NS, 8, 0);
        final Timer idle = new Timer("idle");
        idle.onExpiry = () -> timers.schedule(idle, TICK_NS * 20);
        timers.schedule(idle, TICK_NS);
        timers.expire(TICK_NS * 2);
        assertEquals(1, timers.scheduled());
        assertTrue(idle.timerDeadlineTick() > 2);
        timers.expire(TICK_NS * 21);
        assertEquals(List.of("idle", "idle"), fired);
    }

    @Test
    void shouldDeriveTheTickFromTheShorterTimeout()
    {
        assertEquals(500, SessionContext.timerTickMs(10_000, 600_000));
        assertEquals(10, SessionContext.timerTickMs(100, 600_000));
        assertEquals(1_000, SessionContext.timerTickMs(600_000, 600_000));
    }

    @Test
    void shouldRejectAWheelSizeThatIsNotAPowerOfTwo()
    {
        assertThrows(IllegalArgumentException.class, () -> new SessionTimers(TICK_NS, 6, 0));
    }
}
