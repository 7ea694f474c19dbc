package io.xin.core.ring;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.Sequence;

/**
 * Runs a ring handler and, at the end of each of its batches, publishes its sequence and wakes the
 * handlers parked behind it (the dispatcher behind the journal). The Disruptor would set the same
 * sequence a moment later but signals nobody, so without this a parked dispatcher would only notice
 * the journal's progress when its park timed out.
 *
 * @param <T> the ring's event type.
 */
final class SignallingHandler<T> implements EventHandler<T>
{
    private final EventHandler<T> delegate;
    private final ParkingWaitStrategy waitStrategy;
    /** The processor's sequence; written here by the handler's own thread only. */
    private Sequence sequence;

    SignallingHandler(final EventHandler<T> delegate, final ParkingWaitStrategy waitStrategy)
    {
        this.delegate = delegate;
        this.waitStrategy = waitStrategy;
    }

    @Override
    public void onEvent(final T event, final long sequence, final boolean endOfBatch) throws Exception
    {
        delegate.onEvent(event, sequence, endOfBatch);
        // The journal releases its batch itself, before it applies it to RocksDB: signalled once already, a
        // dependent that has since parked again must not be woken for nothing.
        if (endOfBatch && this.sequence.get() != sequence)
        {
            // Volatile, so that a dependent that raised its parked flag before this is seen below.
            this.sequence.setVolatile(sequence);
            waitStrategy.signalDependents();
        }
    }

    @Override
    public void setSequenceCallback(final Sequence sequenceCallback)
    {
        this.sequence = sequenceCallback;
        delegate.setSequenceCallback(sequenceCallback);
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        delegate.onBatchStart(batchSize, queueDepth);
    }

    @Override
    public void onStart()
    {
        delegate.onStart();
    }

    @Override
    public void onShutdown()
    {
        delegate.onShutdown();
    }

    @Override
    public void onTimeout(final long sequence) throws Exception
    {
        delegate.onTimeout(sequence);
    }
}
