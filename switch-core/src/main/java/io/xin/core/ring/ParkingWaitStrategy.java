package io.xin.core.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.WaitStrategy;

import java.util.concurrent.locks.LockSupport;

/**
 * How the journal and the dispatcher wait on the ring: spin a few times, then park until woken. A publish wakes a parked journal ({@link #signalAllWhenBlocking()}, called by the ring); the
 * end of a journal batch wakes a parked dispatcher ({@link #signalDependents()}, called by
 * {@link SignallingHandler}). So an idle switch's ring threads cost nothing, a lone message waits for
 * one wake-up per thread instead of the remainder of a timed park, and under load the threads find the
 * next event while spinning and nobody pays for a wake-up.
 * <p>
 * No lock: each waiting thread raises its own flag, then looks at the sequence once more before it
 * parks; a signaller advances the sequence, then unparks every thread whose flag is up. Both sides use
 * volatile accesses (the ring's claim is a CAS, the journal's sequence is set volatile), so one of
 * them always sees the other. The park is also bounded by {@code maxParkNs}, which covers a halt's
 * alert to a dependent waiter and a journal batch that ended in an exception. A waiter on the ring's
 * cursor whose park ran its full length gets a {@link TimeoutException}, so the processor calls its
 * handler's {@code onTimeout} about every {@code maxParkNs} while the ring is idle.
 */
final class ParkingWaitStrategy implements WaitStrategy
{
    private final int spinTries;
    private final long maxParkNs;
    private final ThreadLocal<Waiter> own = ThreadLocal.withInitial(this::register);
    /** Every thread that has waited, replaced whole on registration (copy on write). */
    private volatile Waiter[] waiters = new Waiter[0];

    /**
     * @param spinTries how many times a waiter looks again ({@link Thread#onSpinWait()} between looks) before it
     *                  parks; 0 parks at once. The spin reads no clock: on a virtual machine each clock read is a
     *                  call that costs more than the look itself.
     * @param maxParkNs longest single park, nanoseconds; positive.
     */
    ParkingWaitStrategy(final int spinTries, final long maxParkNs)
    {
        if (spinTries < 0 || maxParkNs <= 0)
        {
            throw new IllegalArgumentException("need spinTries >= 0 and maxParkNs > 0: " + spinTries + ", " + maxParkNs);
        }
        this.spinTries = spinTries;
        this.maxParkNs = maxParkNs;
    }

    @Override
    public long waitFor(
        final long sequence, final Sequence cursor, final Sequence dependentSequence, final SequenceBarrier barrier)
        throws AlertException, TimeoutException
    {
        long available = dependentSequence.get();
        if (available >= sequence)
        {
            return available;
        }
        for (int i = 0; i < spinTries; i++)
        {
            barrier.checkAlert();
            Thread.onSpinWait();
            if ((available = dependentSequence.get()) >= sequence)
            {
                return available;
            }
        }

        final Waiter waiter = own.get();
        waiter.onCursor = dependentSequence == cursor;
        while (true)
        {
            barrier.checkAlert();
            waiter.parked = true;
            if ((available = dependentSequence.get()) >= sequence)
            {
                waiter.parked = false;
                return available;
            }
            final long parkedNs = System.nanoTime();
            LockSupport.parkNanos(this, maxParkNs);
            waiter.parked = false;
            if ((available = dependentSequence.get()) >= sequence)
            {
                return available;
            }
            if (waiter.onCursor && System.nanoTime() - parkedNs >= maxParkNs)
            {
                // An idle ring: the processor tells its handler (onTimeout), which the journal uses for
                // deferred work (heads), then waits again. A dependent waiter has no use for it.
                throw TimeoutException.INSTANCE;
            }
        }
    }

    /** Called by the ring after every publish and on alert: wakes the threads that wait on the ring's cursor. */
    @Override
    public void signalAllWhenBlocking()
    {
        wake(true);
    }

    /** Wakes the threads that wait on another handler's sequence; call after advancing that sequence (volatile). */
    void signalDependents()
    {
        wake(false);
    }

    private void wake(final boolean onCursor)
    {
        for (final Waiter waiter : waiters)
        {
            if (waiter.parked && waiter.onCursor == onCursor)
            {
                waiter.parked = false;
                LockSupport.unpark(waiter.thread);
            }
        }
    }

    private synchronized Waiter register()
    {
        final Waiter waiter = new Waiter(Thread.currentThread());
        final Waiter[] current = waiters;
        final Waiter[] grown = new Waiter[current.length + 1];
        System.arraycopy(current, 0, grown, 0, current.length);
        grown[current.length] = waiter;
        waiters = grown;
        return waiter;
    }

    /** One waiting thread. {@code onCursor} is written only by that thread; {@code parked} by it and by signallers. */
    private static final class Waiter
    {
        final Thread thread;
        volatile boolean parked;
        volatile boolean onCursor;

        Waiter(final Thread thread)
        {
            this.thread = thread;
        }
    }
}
