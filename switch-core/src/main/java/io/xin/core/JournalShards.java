package io.xin.core;

import com.google.protobuf.InvalidProtocolBufferException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import io.xin.core.channel.ChannelPacer;
import io.xin.core.channel.OnlineFollowers;
import io.xin.core.dispatch.Dispatcher;
import io.xin.core.journal.Handoff;
import io.xin.core.journal.Journal;
import io.xin.core.journal.JournalShard;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.session.SessionContext;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.Message;
import io.xin.storage.OutboxEntry;
import io.xin.storage.XinStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * The journal shards: per shard, a Disruptor ring from the event loops to that shard's journal
 * thread, then its dispatcher thread (or one thread that runs both, {@link JournalThenDispatcher}). With one shard (the default) this is the single ring of the
 * design; with more, users are hashed to shards ({@link JournalShard}) and a send between users of
 * two shards is handed from one journal to the other (see {@link Journal}).
 */
final class JournalShards
{
    private static final Logger LOG = LoggerFactory.getLogger(JournalShards.class);
    private static final long DRAIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final Disruptor<SwitchEvent>[] disruptors;
    private final ParkingWaitStrategy[] waitStrategies;
    private final RingBuffer<SwitchEvent>[] rings;
    private final RingExceptionHandler exceptionHandler;
    private Journal[] journals;

    @SuppressWarnings("unchecked")
    JournalShards(
        final int shardCount,
        final int ringSize,
        final IntFunction<ThreadFactory> threadFactoryOfShard,
        final SwitchStatus status,
        final SwitchCounters counters)
    {
        disruptors = new Disruptor[shardCount];
        waitStrategies = new ParkingWaitStrategy[shardCount];
        rings = new RingBuffer[shardCount];
        exceptionHandler = new RingExceptionHandler(status, counters);
        for (int shard = 0; shard < shardCount; shard++)
        {
            // Spins briefly, then parks until a publish (journal) or the end of a journal batch (dispatcher)
            // wakes it: the dispatcher waits through each write and fsync, and an idle ring burns nothing.
            waitStrategies[shard] = new ParkingWaitStrategy(XinSwitch.RING_SPIN_TRIES, XinSwitch.RING_MAX_PARK_NANOS);
            final Disruptor<SwitchEvent> disruptor = new Disruptor<>(
                SwitchEvent::new, ringSize, threadFactoryOfShard.apply(shard), ProducerType.MULTI, waitStrategies[shard]);
            disruptor.setDefaultExceptionHandler(exceptionHandler);
            disruptors[shard] = disruptor;
            rings[shard] = disruptor.getRingBuffer();
        }
    }

    /** The rings, in shard order, for the sessions to publish to. */
    RingBuffer<SwitchEvent>[] rings()
    {
        return rings.clone();
    }

    /**
     * Starts every shard's journal and dispatcher, after queueing what the outbox holds from a run that
     * stopped between two shards' writes.
     */
    void start(
        final XinSwitch.Context ctx,
        final XinStore store,
        final SwitchStatus status,
        final SwitchCounters counters,
        final SessionContext sessions,
        final OnlineFollowers onlineFollowers,
        final ChannelPacer pacer)
    {
        final int shardCount = disruptors.length;
        if (store.headsRepairedAtOpen() > 0)
        {
            LOG.info("Rewrote {} inbox heads from their entries after an unclean stop", store.headsRepairedAtOpen());
        }
        final AtomicLong msgIds = new AtomicLong(store.readLastMsgId());
        journals = new Journal[shardCount];
        for (int shard = 0; shard < shardCount; shard++)
        {
            journals[shard] = new Journal(store, ctx.journalWriter().apply(store), status, counters, ctx.clock(),
                ctx.maxGroupMembers(), ctx.maxChannelPublishers(), shard, shardCount, msgIds, ctx.headWriteIntervalMs());
        }
        for (int shard = 0; shard < shardCount; shard++)
        {
            journals[shard].connect(journals, rings[shard]);
            // Groups and channels are served with a single shard only (SessionHandler refuses them otherwise).
            final Dispatcher dispatcher = shard == 0 ?
                new Dispatcher(sessions, counters, shard, onlineFollowers, pacer) :
                new Dispatcher(sessions, counters, shard, new OnlineFollowers(), null);
            if (ctx.ringThreads() == RingThreads.ONE_THREAD)
            {
                disruptors[shard].handleEventsWith(
                    new JournalThenDispatcher(journals[shard], dispatcher, rings[shard], exceptionHandler));
            }
            else
            {
                disruptors[shard].handleEventsWith(new SignallingHandler<>(journals[shard], waitStrategies[shard]))
                    .then(dispatcher);
            }
        }

        final List<OutboxEntry> outbox = store.readOutbox();
        for (final OutboxEntry entry : outbox)
        {
            parse(entry);
            journals[JournalShard.of(entry.recipientId(), shardCount)].handOff(
                new Handoff(entry.msgId(), entry.recipientId(), entry.message()));
        }
        for (final Disruptor<SwitchEvent> disruptor : disruptors)
        {
            disruptor.start();
        }
        if (!outbox.isEmpty())
        {
            LOG.info("Handing {} stored messages to the journal shards of their recipients", outbox.size());
            for (final Journal journal : journals)
            {
                journal.nudge();
            }
        }
    }

    /** Ring slots holding events not yet handled by a dispatcher, over every shard. Any thread. */
    long occupancy()
    {
        long occupied = 0;
        for (final RingBuffer<SwitchEvent> ring : rings)
        {
            occupied += ring.getBufferSize() - ring.remainingCapacity();
        }
        return occupied;
    }

    /**
     * Waits until every ring is empty and no hand-off is waiting, then stops the threads.
     *
     * @return false if that did not happen within the timeout; the threads are halted anyway. What was
     * handed off and not appended is still in the outbox and is appended at the next start.
     */
    boolean drain(final long timeoutMs)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean drained;
        while (!(drained = isIdle()) && System.nanoTime() - deadlineNs < 0)
        {
            LockSupport.parkNanos(DRAIN_POLL_NANOS);
        }
        for (final Disruptor<SwitchEvent> disruptor : disruptors)
        {
            try
            {
                disruptor.shutdown(drained ? Math.max(1, timeoutMs) : 0, TimeUnit.MILLISECONDS);
            }
            catch (final TimeoutException ex)
            {
                drained = false;
                disruptor.halt();
            }
        }
        return drained;
    }

    /** Stops the threads without waiting. */
    void halt()
    {
        for (final Disruptor<SwitchEvent> disruptor : disruptors)
        {
            disruptor.halt();
        }
    }

    private boolean isIdle()
    {
        if (occupancy() != 0)
        {
            return false;
        }
        if (journals != null)
        {
            for (final Journal journal : journals)
            {
                if (journal.hasPendingHandoffs())
                {
                    return false;
                }
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
