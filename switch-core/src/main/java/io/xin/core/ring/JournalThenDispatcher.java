package io.xin.core.ring;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.xin.core.dispatch.Dispatcher;
import io.xin.core.journal.Journal;
import io.xin.core.journal.SwitchEvent;

/**
 * The journal and the dispatcher of one shard on one thread ({@code RingThreads.ONE_THREAD}): the journal
 * handles each event of a batch and writes the batch at its end, then the dispatcher handles the same events,
 * in order, as its own batch. The dispatcher still sees an event only after the write that made it durable,
 * as when it runs behind the journal on a thread of its own, but no thread hand-off and no wake-up sits
 * between the write and the replies.
 * <p>
 * The slots of the batch cannot be reused by a publisher before this returns from the batch's last event:
 * the processor's sequence, which gates the publishers, advances only then.
 * <p>
 * All fields are owned by the shard's ring thread.
 */
final class JournalThenDispatcher implements EventHandler<SwitchEvent>
{
    private final Journal journal;
    private final Dispatcher dispatcher;
    private final RingBuffer<SwitchEvent> ring;
    private final ExceptionHandler<SwitchEvent> exceptionHandler;
    /** Sequence of the current batch's first event, -1 between batches. */
    private long batchStartSequence = -1;

    JournalThenDispatcher(
        final Journal journal,
        final Dispatcher dispatcher,
        final RingBuffer<SwitchEvent> ring,
        final ExceptionHandler<SwitchEvent> exceptionHandler)
    {
        this.journal = journal;
        this.dispatcher = dispatcher;
        this.ring = ring;
        this.exceptionHandler = exceptionHandler;
        journal.applyAfterDispatch();
    }

    @Override
    public void onEvent(final SwitchEvent event, final long sequence, final boolean endOfBatch) throws Exception
    {
        if (batchStartSequence < 0)
        {
            batchStartSequence = sequence;
        }
        try
        {
            journal.onEvent(event, sequence, endOfBatch);
        }
        finally
        {
            // Also after a failed write: its sends carry their FAILED result, and every sender is answered.
            if (endOfBatch)
            {
                dispatch(batchStartSequence, sequence);
                batchStartSequence = -1;
                journal.applyAppended();
            }
        }
    }

    private void dispatch(final long firstSequence, final long lastSequence)
    {
        for (long s = firstSequence; s <= lastSequence; s++)
        {
            final SwitchEvent event = ring.get(s);
            try
            {
                dispatcher.onEvent(event, s, s == lastSequence);
            }
            catch (final Throwable ex)
            {
                // As the Disruptor does for a handler on a thread of its own: the next event is still dispatched.
                exceptionHandler.handleEventException(ex, s, event);
            }
        }
    }

    @Override
    public void setSequenceCallback(final Sequence sequenceCallback)
    {
        journal.setSequenceCallback(sequenceCallback);
    }

    @Override
    public void onBatchStart(final long batchSize, final long queueDepth)
    {
        journal.onBatchStart(batchSize, queueDepth);
        dispatcher.onBatchStart(batchSize, queueDepth);
    }

    @Override
    public void onStart()
    {
        journal.onStart();
        dispatcher.onStart();
    }

    @Override
    public void onShutdown()
    {
        try
        {
            dispatcher.onShutdown();
        }
        finally
        {
            journal.onShutdown();
        }
    }

    @Override
    public void onTimeout(final long sequence) throws Exception
    {
        journal.onTimeout(sequence);
    }
}
