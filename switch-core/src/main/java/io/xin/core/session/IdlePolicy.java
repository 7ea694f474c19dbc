package io.xin.core.session;

import java.util.concurrent.TimeUnit;

/**
 * When a session is looked at again, and what its timer finds: the login timeout, the idle close and the
 * moment an idle session may park. Pure functions of a session's timestamps and a {@code now} read once by
 * the caller from the switch's clock; no state of its own, so one instance serves every session of a switch
 * and any thread. All times are {@link org.agrona.concurrent.NanoClock} nanoseconds.
 * <pre>
 *   accepted ──login timeout──▶ LOGIN_TIMEOUT (no Login yet)
 *   last read ──park idle──▶ may park (if parking is on) ──idle timeout──▶ IDLE_TIMEOUT (woken first if parked)
 * </pre>
 */
final class IdlePolicy
{
    /** What a logged-in session's timer finds. */
    enum Check
    {
        /** Nothing received for the idle timeout: tell it and close it. */
        CLOSE_IDLE,
        /** Silent for the park delay and not parked: park it if it may, else look again. */
        TRY_PARK,
        /** Neither: look again at {@link #nextCheckNs}. */
        WAIT
    }

    private final long loginTimeoutNs;
    private final long idleTimeoutNs;
    /** 0 when sessions never park. */
    private final long parkIdleNs;

    /**
     * @param loginTimeoutMs time from accept to Login.
     * @param idleTimeoutMs  time without a frame received before a logged-in session is closed.
     * @param parkIdleMs     time without a frame received before a session may park; 0 = never.
     */
    IdlePolicy(final long loginTimeoutMs, final long idleTimeoutMs, final long parkIdleMs)
    {
        this.loginTimeoutNs = TimeUnit.MILLISECONDS.toNanos(loginTimeoutMs);
        this.idleTimeoutNs = TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs);
        this.parkIdleNs = TimeUnit.MILLISECONDS.toNanos(parkIdleMs);
    }

    /** The login deadline of a connection accepted at {@code acceptedNs}. */
    long loginDeadlineNs(final long acceptedNs)
    {
        return acceptedNs + loginTimeoutNs;
    }

    /** What the timer of a logged-in session last read at {@code lastReadNs} finds at {@code nowNs}. */
    Check check(final long lastReadNs, final boolean parked, final long nowNs)
    {
        final long silentNs = nowNs - lastReadNs;
        if (silentNs >= idleTimeoutNs)
        {
            return Check.CLOSE_IDLE;
        }
        if (!parked && parkIdleNs > 0 && silentNs >= parkIdleNs)
        {
            return Check.TRY_PARK;
        }
        return Check.WAIT;
    }

    /** The idle close deadline of a session last read at {@code lastReadNs}: where a parked session's timer sits. */
    long idleDeadlineNs(final long lastReadNs)
    {
        return lastReadNs + idleTimeoutNs;
    }

    /**
     * The next look at a logged-in session: its idle deadline, or earlier, the park delay after its last read
     * (or after now, when that has passed), when it may park.
     */
    long nextCheckNs(final long lastReadNs, final boolean parked, final long nowNs)
    {
        final long idleDeadlineNs = lastReadNs + idleTimeoutNs;
        if (parked || parkIdleNs == 0)
        {
            return idleDeadlineNs;
        }
        return Math.min(idleDeadlineNs, Math.max(nowNs, lastReadNs) + parkIdleNs);
    }

    /** After a {@link Check#TRY_PARK} that did not park: the next look, a park delay on, before the idle deadline. */
    long parkRetryNs(final long lastReadNs, final long nowNs)
    {
        return Math.min(lastReadNs + idleTimeoutNs, nowNs + parkIdleNs);
    }
}
