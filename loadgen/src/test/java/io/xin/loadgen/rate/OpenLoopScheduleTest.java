package io.xin.loadgen.rate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OpenLoopScheduleTest
{
    @Test
    void shouldSpaceIntendedSendTimesEvenlyFromTheStart()
    {
        final OpenLoopSchedule schedule = new OpenLoopSchedule(1_000, 4, 1_000_000_000L);

        assertEquals(4, schedule.count());
        assertEquals(1_000, schedule.intendedNs(0));
        assertEquals(1_000 + 250_000_000L, schedule.intendedNs(1));
        assertEquals(1_000 + 750_000_000L, schedule.intendedNs(3));
    }

    @Test
    void shouldMakeEveryOverdueMessageDueAtOnceWhenTheSenderFellBehind()
    {
        final OpenLoopSchedule schedule = new OpenLoopSchedule(0, 1_000, 10_000_000_000L);

        assertEquals(0, schedule.dueBy(-1));
        assertEquals(1, schedule.dueBy(0));
        assertEquals(1, schedule.dueBy(999_999));
        assertEquals(2, schedule.dueBy(1_000_000));
        assertEquals(501, schedule.dueBy(500_000_000), "a sender stalled for 0.5 s owes 500 messages, not 1");
        assertEquals(10_000, schedule.dueBy(Long.MAX_VALUE / 2), "never more than the run holds");
    }

    @Test
    void shouldRejectNonPositiveRateOrDuration()
    {
        assertThrows(IllegalArgumentException.class, () -> new OpenLoopSchedule(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new OpenLoopSchedule(0, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new OpenLoopSchedule(0, 1, 0));
    }
}
