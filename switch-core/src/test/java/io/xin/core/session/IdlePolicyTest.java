package io.xin.core.session;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The login, idle and park deadlines of {@link IdlePolicy}, driven by a fake clock: plain nanosecond values.
 */
class IdlePolicyTest
{
    private static final long MS = 1_000_000;
    /** Any origin: the policy works on differences, also across the sign of {@code System.nanoTime()}. */
    private static final long T0 = -5_000 * MS;

    private final IdlePolicy policy = new IdlePolicy(10_000, 60_000, 2_000);
    private final IdlePolicy neverParks = new IdlePolicy(10_000, 60_000, 0);

    @Test
    void shouldTimeLoginOutAfterTheLoginTimeout()
    {
        assertEquals(T0 + 10_000 * MS, policy.loginDeadlineNs(T0));
    }

    @Test
    void shouldCloseAtExactlyTheIdleTimeoutAndNotBefore()
    {
        assertEquals(IdlePolicy.Check.TRY_PARK, policy.check(T0, false, T0 + 60_000 * MS - 1));
        assertEquals(IdlePolicy.Check.CLOSE_IDLE, policy.check(T0, false, T0 + 60_000 * MS));
        assertEquals(IdlePolicy.Check.WAIT, policy.check(T0, true, T0 + 60_000 * MS - 1));
        assertEquals(IdlePolicy.Check.CLOSE_IDLE, policy.check(T0, true, T0 + 60_000 * MS));
        assertEquals(IdlePolicy.Check.WAIT, neverParks.check(T0, false, T0 + 60_000 * MS - 1));
        assertEquals(IdlePolicy.Check.CLOSE_IDLE, neverParks.check(T0, false, T0 + 60_000 * MS));
    }

    @Test
    void shouldOfferParkingAfterTheParkDelayOnlyWhenParkingIsOnAndNotParked()
    {
        assertEquals(IdlePolicy.Check.WAIT, policy.check(T0, false, T0 + 2_000 * MS - 1));
        assertEquals(IdlePolicy.Check.TRY_PARK, policy.check(T0, false, T0 + 2_000 * MS));
        assertEquals(IdlePolicy.Check.WAIT, policy.check(T0, true, T0 + 2_000 * MS));
        assertEquals(IdlePolicy.Check.WAIT, neverParks.check(T0, false, T0 + 2_000 * MS));
    }

    @Test
    void shouldLookAgainAtTheParkDelayThenAtTheIdleDeadline()
    {
        // Just read: the park delay after the read.
        assertEquals(T0 + 2_000 * MS, policy.nextCheckNs(T0, false, T0));
        // A look after the park delay passed: a park delay from now, never past the idle deadline.
        assertEquals(T0 + 7_000 * MS, policy.nextCheckNs(T0, false, T0 + 5_000 * MS));
        assertEquals(T0 + 60_000 * MS, policy.nextCheckNs(T0, false, T0 + 59_000 * MS));
        // Parked, or parking off: only the idle deadline is left.
        assertEquals(T0 + 60_000 * MS, policy.nextCheckNs(T0, true, T0));
        assertEquals(T0 + 60_000 * MS, neverParks.nextCheckNs(T0, false, T0));
        assertEquals(T0 + 60_000 * MS, policy.idleDeadlineNs(T0));
    }

    @Test
    void shouldRetryParkingAParkDelayLaterButNotPastTheIdleDeadline()
    {
        assertEquals(T0 + 5_000 * MS, policy.parkRetryNs(T0, T0 + 3_000 * MS));
        assertEquals(T0 + 60_000 * MS, policy.parkRetryNs(T0, T0 + 59_000 * MS));
    }
}
