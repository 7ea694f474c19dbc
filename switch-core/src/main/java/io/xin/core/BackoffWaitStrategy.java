package io.xin.core;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.WaitStrategy;

import java.util.concurrent.locks.LockSupport;

/**
 * How the journal and the dispatcher wait on the ring: spin, then yield, then park for a time that
 * doubles from {@code minParkNs} to {@code maxParkNs} while nothing arrives. Under load the next event
 * is found while spinning or after a short park; an idle ring thread wakes at most
 * {@code 1 s / maxParkNs} times a second, where a fixed 50 µs park woke it some ten thousand times
 * (about 12% of a core for the two threads of an idle switch, measured from /proc).
 * <p>
 * No lock and no signal: the event loops publish without paying for a wake-up, and the dispatcher,
 * which waits on the journal's sequence through each write and fsync, parks as well instead of
 * spinning as the blocking strategies do on a dependent sequence.
 */
final class BackoffWaitStrategy implements WaitStrategy
{
    private static final int SPIN_TRIES = 100;
    private static final int YIELD_TRIES = 100;

    private final long minParkNs;
    private final long maxParkNs;

    /**
     * @param minParkNs first park, nanoseconds.
     * @param maxParkNs longest park, nanoseconds; at least {@code minParkNs}.
     */
    BackoffWaitStrategy(final long minParkNs, final long maxParkNs)
    {
        if (minParkNs <= 0 || maxParkNs < minParkNs)
        {
            throw new IllegalArgumentException("need 0 < minParkNs <= maxParkNs: " + minParkNs + ", " + maxParkNs);
        }
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
    }

    @Override
    public long waitFor(
        final long sequence, final Sequence cursor, final Sequence dependentSequence, final SequenceBarrier barrier)
        throws AlertException
    {
        long available;
        int tries = 0;
        long parkNs = minParkNs;
        while ((available = dependentSequence.get()) < sequence)
        {
            barrier.checkAlert();
            if (tries < SPIN_TRIES)
            {
                tries++;
                Thread.onSpinWait();
            }
            else if (tries < SPIN_TRIES + YIELD_TRIES)
            {
                tries++;
                Thread.yield();
            }
            else
            {
                LockSupport.parkNanos(parkNs);
                parkNs = Math.min(maxParkNs, parkNs << 1);
            }
        }
        return available;
    }

    @Override
    public void signalAllWhenBlocking()
    {
    }
}
