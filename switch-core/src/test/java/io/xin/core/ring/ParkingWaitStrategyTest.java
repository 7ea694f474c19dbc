package io.xin.core.ring;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import com.lmax.disruptor.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

@Timeout(10)
class ParkingWaitStrategyTest
{
    /** Long enough that a waiter still blocked after the signal can only have missed it. */
    private static final long MAX_PARK_NS = TimeUnit.SECONDS.toNanos(30);

    private final ParkingWaitStrategy strategy = new ParkingWaitStrategy(1_000, MAX_PARK_NS);
    private final Sequence cursor = new Sequence(-1);
    private final Sequence dependent = new Sequence(-1);
    private final StubBarrier barrier = new StubBarrier();

    @Test
    void shouldReturnAtOnceWhatIsAlreadyAvailable() throws Exception
    {
        dependent.set(7);

        assertEquals(7, strategy.waitFor(3, cursor, dependent, barrier));
    }

    @Test
    void shouldWakeAParkedCursorWaiterWhenTheRingSignals() throws Exception
    {
        final CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> waitFor(0, cursor));
        Thread.sleep(50); // long past spinning: parked for up to MAX_PARK_NS
        assertFalse(waited.isDone());

        cursor.setVolatile(0);
        strategy.signalAllWhenBlocking();

        assertEquals(0L, waited.get(5, TimeUnit.SECONDS));
    }

    @Test
    void shouldWakeAParkedDependentWaiterWhenTheHandlerAheadSignals() throws Exception
    {
        final CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> waitFor(0, dependent));
        Thread.sleep(50);
        strategy.signalAllWhenBlocking(); // a publish does not concern a dependent waiter
        Thread.sleep(20);
        assertFalse(waited.isDone());

        dependent.setVolatile(0);
        strategy.signalDependents();

        assertEquals(0L, waited.get(5, TimeUnit.SECONDS));
    }

    @Test
    void shouldMissNoSignalOverManyHandOffs() throws Exception
    {
        final int handOffs = 20_000;
        final CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() ->
        {
            long seen = -1;
            while (seen < handOffs - 1)
            {
                seen = waitFor(seen + 1, cursor);
            }
            return seen;
        });
        for (int i = 0; i < handOffs; i++)
        {
            cursor.setVolatile(i);
            strategy.signalAllWhenBlocking();
            if ((i & 63) == 0)
            {
                Thread.sleep(0, 50_000); // let the waiter reach its park now and then
            }
        }

        assertEquals(handOffs - 1L, waited.get(8, TimeUnit.SECONDS));
    }

    @Test
    void shouldStopWaitingWhenTheBarrierIsAlerted() throws Exception
    {
        final CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> waitFor(0, cursor));
        Thread.sleep(20);

        barrier.alerted = true;
        strategy.signalAllWhenBlocking();

        final Exception ex = assertThrows(Exception.class, () -> waited.get(5, TimeUnit.SECONDS));
        assertInstanceOf(AlertException.class, ex.getCause().getCause());
    }

    @Test
    void shouldReportATimeoutToARingWaiterWhoseParkRanItsFullLength() throws Exception
    {
        final ParkingWaitStrategy shortParks = new ParkingWaitStrategy(0, TimeUnit.MILLISECONDS.toNanos(5));

        assertThrows(TimeoutException.class, () -> shortParks.waitFor(0, cursor, cursor, barrier));
    }

    @Test
    void shouldKeepADependentWaiterWaitingAcrossFullParks() throws Exception
    {
        final ParkingWaitStrategy shortParks = new ParkingWaitStrategy(0, TimeUnit.MILLISECONDS.toNanos(5));
        final CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() ->
        {
            try
            {
                return shortParks.waitFor(0, cursor, dependent, barrier);
            }
            catch (final AlertException | TimeoutException ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        Thread.sleep(50); // ten parks
        assertFalse(waited.isDone());

        dependent.setVolatile(0);
        shortParks.signalDependents();

        assertEquals(0L, waited.get(5, TimeUnit.SECONDS));
    }

    @Test
    void shouldRejectANegativeSpinOrANonPositivePark()
    {
        assertThrows(IllegalArgumentException.class, () -> new ParkingWaitStrategy(-1, 50));
        assertThrows(IllegalArgumentException.class, () -> new ParkingWaitStrategy(0, 0));
    }

    private long waitFor(final long sequence, final Sequence awaited)
    {
        try
        {
            return strategy.waitFor(sequence, cursor, awaited, barrier);
        }
        catch (final AlertException | TimeoutException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static final class StubBarrier implements SequenceBarrier
    {
        volatile boolean alerted;

        @Override
        public long waitFor(final long sequence)
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public long getCursor()
        {
            return -1;
        }

        @Override
        public boolean isAlerted()
        {
            return alerted;
        }

        @Override
        public void alert()
        {
            alerted = true;
        }

        @Override
        public void clearAlert()
        {
            alerted = false;
        }

        @Override
        public void checkAlert() throws AlertException
        {
            if (alerted)
            {
                throw AlertException.INSTANCE;
            }
        }
    }
}
