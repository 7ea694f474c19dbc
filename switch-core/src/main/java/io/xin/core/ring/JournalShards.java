package io.xin.core.ring;

import com.google.protobuf.InvalidProtocolBufferException;
import com.lmax.disruptor.RingBuffer;
import io.xin.core.dispatch.Dispatcher;
import io.xin.core.journal.Handoff;
import io.xin.core.journal.Journal;
import io.xin.core.journal.JournalContext;
import io.xin.core.journal.JournalShard;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.official.ChannelPacer;
import io.xin.core.official.OnlineFollowers;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.Message;
import io.xin.storage.OutboxEntry;
import io.xin.storage.XinStore;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * The journal shards ({@link RingShard}): per shard, a Disruptor ring from the event loops to that shard's journal,
 * then its dispatcher, on one thread or two (the switch's {@code RingThreads}). With one shard (the default) this
 * is the single ring of the design; with more, users are hashed to shards ({@link JournalShard}) and a send between
 * users of two shards is handed from one journal to the other (see {@link Journal}).
 * <p>
 * Built, started, drained and closed by the thread that launches and closes the switch.
 */
public final class JournalShards implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalShards.class);
    private static final long DRAIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final XinStore store;
    private final SwitchCounters counters;
    private final RingShard[] shards;
    private final Journal[] journals;

    /**
     * Builds every shard's ring and journal, and connects the journals for hand-offs.
     *
     * @param journals             what each shard's journal is built from, concluded: the store, the status and
     *                             counters, the number of shards.
     * @param ringSize             slots of each shard's ring, a power of two.
     * @param threadsPerShard      1: the journal and then the dispatcher on one thread; 2: each on a thread of its
     *                             own (the switch's {@code RingThreads}).
     * @param threadFactoryOfShard makes the ring threads of a shard.
     */
    public JournalShards(
        final JournalContext journals,
        final int ringSize,
        final int threadsPerShard,
        final IntFunction<ThreadFactory> threadFactoryOfShard)
    {
        this.store = journals.store();
        this.counters = journals.counters();
        final RingExceptionHandler exceptionHandler = new RingExceptionHandler(journals.status(), counters);
        shards = new RingShard[journals.shardCount()];
        try
        {
            for (int shard = 0; shard < shards.length; shard++)
            {
                shards[shard] = new RingShard(shard, ringSize, threadsPerShard, journals,
                    threadFactoryOfShard.apply(shard), exceptionHandler);
            }
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(shards);
            throw ex;
        }
        final Journal[] journalOfShard = new Journal[shards.length];
        for (int shard = 0; shard < shards.length; shard++)
        {
            journalOfShard[shard] = shards[shard].journal();
        }
        for (final RingShard shard : shards)
        {
            shard.connect(journalOfShard);
        }
        this.journals = journalOfShard;
    }

    /** Every shard's journal, in shard order. */
    public Journal[] journals()
    {
        return journals.clone();
    }

    /** The rings, in shard order, for the sessions to publish to. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public RingBuffer<SwitchEvent>[] rings()
    {
        final RingBuffer<SwitchEvent>[] rings = new RingBuffer[shards.length];
        for (int shard = 0; shard < shards.length; shard++)
        {
            rings[shard] = shards[shard].ring();
        }
        return rings;
    }

    /**
     * Queues what the outbox holds from a run that stopped between two shards' writes, then starts every shard's
     * journal and dispatcher, and nudges the journals to append what was queued.
     */
    public void start(
        final Dispatcher.Sessions sessions, final OnlineFollowers onlineFollowers, final ChannelPacer pacer)
    {
        if (store.logEntriesReplayedAtOpen() > 0)
        {
            LOG.info("Applied {} log entries ({} bytes) that RocksDB did not hold after an unclean stop, in {} ms",
                store.logEntriesReplayedAtOpen(), store.logBytesReplayedAtOpen(), store.logReplayMillisAtOpen());
        }
        if (store.headsRepairedAtOpen() > 0)
        {
            LOG.info("Rewrote {} inbox heads from their entries after an unclean stop", store.headsRepairedAtOpen());
        }
        final List<OutboxEntry> outbox = store.readOutbox();
        for (final OutboxEntry entry : outbox)
        {
            parse(entry);
            shards[JournalShard.of(entry.recipientId(), shards.length)].journal().handOff(
                new Handoff(entry.msgId(), entry.recipientId(), entry.message()));
        }
        for (int shard = 0; shard < shards.length; shard++)
        {
            // Groups and channels are served with a single shard only (SessionHandler refuses them otherwise).
            shards[shard].start(shard == 0 ?
                new Dispatcher(sessions, counters, shard, onlineFollowers, pacer) :
                new Dispatcher(sessions, counters, shard, new OnlineFollowers(), null));
        }
        if (!outbox.isEmpty())
        {
            LOG.info("Handing {} stored messages to the journal shards of their recipients", outbox.size());
            for (final RingShard shard : shards)
            {
                shard.journal().nudge();
            }
        }
    }

    /** Ring slots holding events not yet handled by a dispatcher, over every shard. Any thread. */
    public long occupancy()
    {
        long occupied = 0;
        for (final RingShard shard : shards)
        {
            occupied += shard.occupancy();
        }
        return occupied;
    }

    /**
     * Waits until every ring is empty and no hand-off is waiting, then stops the threads.
     *
     * @return false if that did not happen within the timeout; the threads are halted anyway. What was
     * handed off and not appended is still in the outbox and is appended at the next start.
     */
    public boolean drain(final long timeoutMs)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean drained;
        while (!(drained = isIdle()) && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(DRAIN_POLL_NANOS);
        }
        for (final RingShard shard : shards)
        {
            drained &= shard.drain(drained ? Math.max(1, timeoutMs) : 0);
        }
        return drained;
    }

    /** Stops the threads without waiting. */
    @Override
    public void close()
    {
        CloseHelper.closeAll(shards);
    }

    private boolean isIdle()
    {
        for (final RingShard shard : shards)
        {
            if (!shard.isIdle())
            {
                return false;
            }
        }
        return true;
    }

    /** Checks that an outbox record holds a message, so a malformed one stops the start instead of a push. */
    private static Message parse(final OutboxEntry entry)
    {
        try
        {
            return Message.parseFrom(entry.message());
        }
        catch (final InvalidProtocolBufferException ex)
        {
            throw new IllegalStateException("stored message " + entry.msgId() + " for user " + entry.recipientId() +
                " in the outbox is malformed", ex);
        }
    }
}
