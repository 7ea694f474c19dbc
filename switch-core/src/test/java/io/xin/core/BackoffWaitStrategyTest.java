package io.xin.core;

import com.lmax.disruptor.AlertException;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

@Timeout(10)
class BackoffWaitStrategyTest
{
    private final BackoffWaitStrategy strategy = new BackoffWaitStrategy(50_000, 500_000);
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
    void shouldWakeFromItsLongestParkWhenTheDependentSequenceAdvances() throws Exception
    {
        final CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> waitFor(0));
        Thread.sleep(50); // long past spinning and yielding: parked at the longest backoff
        assertFalse(waited.isDone());

        dependent.set(0);

        assertEquals(0L, waited.get(5, TimeUnit.SECONDS));
    }

    @Test
    void shouldStopWaitingWhenTheBarrierIsAlerted() throws Exception
    {
        final CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> waitFor(0));
        Thread.sleep(20);

        barrier.alerted = true;

        final Exception ex = assertThrows(Exception.class, () -> waited.get(5, TimeUnit.SECONDS));
        assertInstanceOf(AlertException.class, ex.getCause().getCause());
    }

    @Test
    void shouldRejectAnInvertedBackoffRange()
    {
        assertThrows(IllegalArgumentException.class, () -> new BackoffWaitStrategy(500, 50));
        assertThrows(IllegalArgumentException.class, () -> new BackoffWaitStrategy(0, 50));
    }

    private long waitFor(final long sequence)
    {
        try
        {
            return strategy.waitFor(sequence, cursor, dependent, barrier);
        }
        catch (final AlertException ex)
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
