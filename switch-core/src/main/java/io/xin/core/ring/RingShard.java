package io.xin.core.ring;

import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.xin.core.dispatch.Dispatcher;
import io.xin.core.journal.Journal;
import io.xin.core.journal.JournalContext;
import io.xin.core.journal.SwitchEvent;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * One journal shard: its Disruptor ring from the event loops, its journal (the single writer of its users' state)
 * and its dispatcher (replies and pushes after each written batch), on one thread or two (the switch's
 * {@code RingThreads}).
 * The ring and the journal exist from construction, so that sessions can be given the ring and the other shards
 * the journal before the start; the dispatcher joins at {@link #start(Dispatcher)}, which starts the threads.
 * <p>
 * The per-event path is the handlers' own: the ring calls the journal (through {@link SignallingHandler}) and the
 * dispatcher, or {@link JournalThenDispatcher}; this class is not on it.
 * <p>
 * Built, started, drained and closed by the thread that launches and closes the switch.
 */
final class RingShard implements AutoCloseable
{
    /** Longest wait in {@link #close()} for the ring's threads to end. */
    static final long THREAD_STOP_WAIT_MS = 5_000;
    /** Times a ring thread looks for the next event before it parks until signalled (a few microseconds). */
    static final int RING_SPIN_TRIES = Integer.getInteger("xin.ringSpinTries", 100);
    /** A parked ring thread also wakes after this long (a halt's alert to the dispatcher). */
    static final long RING_MAX_PARK_NANOS = 10_000_000;

    private final int threadsPerShard;
    /** The ring's threads, as the Disruptor made them; read by the closing thread after start. */
    private final java.util.List<Thread> ringThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ParkingWaitStrategy waitStrategy;
    private final Disruptor<SwitchEvent> disruptor;
    private final RingBuffer<SwitchEvent> ring;
    private final RingExceptionHandler exceptionHandler;
    private final Journal journal;
    private boolean started;

    /**
     * @param shard            this shard, in {@code [0, journals.shardCount())}.
     * @param ringSize         slots of the ring, a power of two.
     * @param threadsPerShard  1 when the journal and the dispatcher share a thread, 2 when they do not.
     * @param journals         what the journal is built from.
     * @param threadFactory    makes the shard's ring threads, named in start order.
     * @param exceptionHandler what an exception escaping a handler does.
     */
    RingShard(
        final int shard,
        final int ringSize,
        final int threadsPerShard,
        final JournalContext journals,
        final ThreadFactory threadFactory,
        final RingExceptionHandler exceptionHandler)
    {
        this.threadsPerShard = threadsPerShard;
        this.exceptionHandler = exceptionHandler;
        // Spins briefly, then parks until a publish (journal) or the end of a journal batch (dispatcher)
        // wakes it: the dispatcher waits through each write and fsync, and an idle ring burns nothing.
        waitStrategy = new ParkingWaitStrategy(RING_SPIN_TRIES, RING_MAX_PARK_NANOS);
        // The threads are kept so that close() can wait for them: Disruptor.halt() only asks them to stop, and the
        // journal's shutdown (its last head write) runs on its thread as it ends, which must come before the store
        // closes.
        final ThreadFactory recording = runnable ->
        {
            final Thread thread = threadFactory.newThread(runnable);
            ringThreads.add(thread);
            return thread;
        };
        disruptor = new Disruptor<>(SwitchEvent::new, ringSize, recording, ProducerType.MULTI, waitStrategy);
        disruptor.setDefaultExceptionHandler(exceptionHandler);
        ring = disruptor.getRingBuffer();
        journal = new Journal(journals, shard);
    }

    /** The ring the event loops publish this shard's users' commands to. */
    RingBuffer<SwitchEvent> ring()
    {
        return ring;
    }

    Journal journal()
    {
        return journal;
    }

    /**
     * Wires the journal to the other shards' journals, for hand-offs, and to this ring, which they nudge.
     *
     * @param journals every shard's journal, this one's included, in shard order.
     */
    void connect(final Journal[] journals)
    {
        journal.connect(journals, ring);
    }

    /**
     * Puts the journal and the dispatcher on the ring, as the threading mode says, and starts the ring's threads.
     */
    void start(final Dispatcher dispatcher)
    {
        if (threadsPerShard == 1)
        {
            disruptor.handleEventsWith(new JournalThenDispatcher(journal, dispatcher, ring, exceptionHandler));
        }
        else
        {
            journal.releaseDispatcherWith(waitStrategy::signalDependents);
            disruptor.handleEventsWith(new SignallingHandler<>(journal, waitStrategy)).then(dispatcher);
        }
        started = true;
        disruptor.start();
    }

    /** Ring slots holding events not yet handled by the dispatcher. Any thread. */
    long occupancy()
    {
        return ring.getBufferSize() - ring.remainingCapacity();
    }

    /** Nothing on the ring and no hand-off from another shard waiting. Any thread. */
    boolean isIdle()
    {
        return occupancy() == 0 && !journal.hasPendingHandoffs();
    }

    /**
     * Waits for the ring to empty and stops its threads, or halts them when it does not within the timeout.
     *
     * @param timeoutMs longest wait; 0 halts at once unless the ring is already empty.
     * @return false if the threads were halted with events left on the ring.
     */
    boolean drain(final long timeoutMs)
    {
        try
        {
            disruptor.shutdown(timeoutMs, TimeUnit.MILLISECONDS);
            return true;
        }
        catch (final TimeoutException ex)
        {
            disruptor.halt();
            return false;
        }
    }

    /**
     * Stops the ring's threads and waits up to {@link #THREAD_STOP_WAIT_MS} for them to end; the journal writes what
     * it holds as its thread ends, so the store may close once this returns. A shard that
     * never started has its journal shut down here instead, which releases the store's head mark and the journal's
     * batch and reader.
     */
    @Override
    public void close()
    {
        if (started)
        {
            disruptor.halt();
            awaitThreads();
        }
        else
        {
            journal.onShutdown();
        }
    }

    private void awaitThreads()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(THREAD_STOP_WAIT_MS);
        boolean interrupted = false;
        for (final Thread thread : ringThreads)
        {
            while (thread.isAlive() && thread != Thread.currentThread())
            {
                final long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
                if (leftMs <= 0)
                {
                    break;
                }
                try
                {
                    thread.join(leftMs);
                }
                catch (final InterruptedException ex)
                {
                    interrupted = true;
                }
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
