package io.xin.core.sync;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.channel.Channel;
import io.xin.core.concurrent.WorkerPools;
import io.xin.core.device.Frames;
import io.xin.core.device.Session;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SyncResult;
import io.xin.storage.InboxEntry;
import io.xin.storage.InboxPage;
import io.xin.storage.XinStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves Sync requests from a small pool of reader threads, off the event loops and off the
 * journal thread, each page read from one RocksDB snapshot. The queue is bounded: when it is
 * full the request is refused (the session answers BUSY) instead of queueing without bound.
 */
public final class SyncReader implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(SyncReader.class);

    private final XinStore store;
    private final SwitchCounters counters;
    private final int maxResultBytes;
    private final ThreadPoolExecutor executor;
    private final int queueCapacity;
    /** Pages queued and not yet started: bounds the queue, which itself is unbounded and lock-free. */
    private final AtomicInteger queued = new AtomicInteger();

    /**
     * @param maxResultBytes a page stops before its message bytes would pass this.
     */
    public SyncReader(
        final XinStore store,
        final SwitchCounters counters,
        final int threads,
        final int queueCapacity,
        final int maxResultBytes)
    {
        this.store = store;
        this.counters = counters;
        this.maxResultBytes = maxResultBytes;
        final AtomicInteger count = new AtomicInteger();
        this.queueCapacity = queueCapacity;
        // Event loops submit: an ArrayBlockingQueue would make them wait on its lock while a reader
        // holds it (found by the non-blocking check in the tests). LinkedTransferQueue offers without
        // a lock, and with every thread started up front the executor never takes its own lock.
        this.executor = new ThreadPoolExecutor(
            threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedTransferQueue<>(),
            runnable -> new Thread(runnable, "xin-sync-" + count.incrementAndGet()),
            new ThreadPoolExecutor.AbortPolicy());
        this.executor.prestartAllCoreThreads();
    }

    /**
     * Queues a page read; the result is written to the session's channel.
     *
     * @return false when the queue is full.
     */
    public boolean submit(final Session session, final long requestId, final long afterSeq, final int limit)
    {
        return enqueue(session, requestId, "Sync",
            () -> Frame.newBuilder().setSyncResult(page(session.userId(), requestId, afterSeq, limit)).build());
    }

    /**
     * Queues a page read of a channel's timeline for a follower; the result (or NOT_FOLLOWING) is
     * written to the session's channel.
     *
     * @return false when the queue is full.
     */
    public boolean submitChannelSync(
        final Session session,
        final long requestId,
        final long channelId,
        final long afterSeq,
        final int limit,
        final boolean includeHistory)
    {
        return enqueue(session, requestId, "Channel sync", () -> ChannelPages.answer(
            store, session.userId(), requestId, channelId, afterSeq, limit, includeHistory, maxResultBytes));
    }

    /**
     * Queues a read of a page of the session's friend list (FRIEND_LIST); the FriendResult is written to the
     * session's channel. A page holds at most {@code limit} entries and about the largest sync result's bytes.
     *
     * @param afterUserId               the page starts after this peer (0: from the first).
     * @param limit                     at most this many entries, positive.
     * @param strangersAllowedByDefault the switch's default privacy, for a user who never set its own.
     * @return false when the queue is full.
     */
    public boolean submitFriendList(
        final Session session, final long requestId, final long afterUserId, final int limit,
        final boolean strangersAllowedByDefault)
    {
        return enqueue(session, requestId, "Friend list", () -> FriendLists.answer(
            store, session.userId(), requestId, afterUserId, limit, maxResultBytes, strangersAllowedByDefault));
    }

    /** A page read on a sync thread: the answer frame to write. */
    @FunctionalInterface
    private interface PageRead
    {
        Frame answer() throws InvalidProtocolBufferException;
    }

    private boolean enqueue(final Session session, final long requestId, final String what, final PageRead read)
    {
        if (queued.incrementAndGet() > queueCapacity)
        {
            queued.decrementAndGet();
            return false;
        }
        try
        {
            executor.execute(() ->
            {
                queued.decrementAndGet();
                serve(session, requestId, what, read);
            });
            return true;
        }
        catch (final RejectedExecutionException ex)
        {
            queued.decrementAndGet();
            return false;
        }
    }

    private void serve(final Session session, final long requestId, final String what, final PageRead read)
    {
        // Never null here: a session with a sync in flight does not park.
        final Channel channel = session.channel();
        Frame answer;
        try
        {
            answer = channel != null && channel.isActive() ? read.answer() : null;
        }
        catch (final RuntimeException | InvalidProtocolBufferException ex)
        {
            LOG.error("{} failed for {}", what, session, ex);
            answer = Frames.error(requestId, ErrorCode.INTERNAL, "sync failed; retry later", false);
        }
        if (answer == null)
        {
            session.syncDone();
            return;
        }
        // Done once the page is on the wire (the listener runs on the event loop as the last byte is
        // written, before the device can have it and ask again): a device that asks and never reads
        // holds one page in this process, not one per request. A failed write closes the channel.
        // The listener goes on the promise before the write: added after, it could find the write done and
        // run here, late, after the device already had the page and asked again (refused as BUSY).
        channel.writeAndFlush(answer, channel.newPromise().addListener(written -> session.syncDone()));
        counters.syncsServed.increment();
    }

    /**
     * @param afterSeq as on the wire, a uint64: a value past Java's signed range (negative here) is past every seq.
     */
    SyncResult page(final long userId, final long requestId, final long afterSeq, final int limit)
        throws InvalidProtocolBufferException
    {
        final InboxPage page = store.readInbox(userId, afterSeq < 0 ? Long.MAX_VALUE : afterSeq, limit, maxResultBytes);
        final SyncResult.Builder result = SyncResult.newBuilder()
            .setRequestId(requestId)
            .setHeadSeq(page.headSeq())
            .setHasMore(page.hasMore());
        final List<InboxEntry> entries = page.entries();
        for (int i = 0, size = entries.size(); i < size; i++)
        {
            final InboxEntry entry = entries.get(i);
            result.addMessages(Message.newBuilder().mergeFrom(entry.message()).setSeq(entry.seq()));
        }
        // Without more entries, the page covers everything up to the head: seqs missing below it
        // were removed by retention and the client must not ask for them again.
        // Compared as uint64, so that last_seq is never below after_seq, also past 2^63.
        final long lastSeq = page.hasMore() ? entries.get(entries.size() - 1).seq() : unsignedMax(afterSeq, page.headSeq());
        return result.setLastSeq(lastSeq).build();
    }

    /** The larger of two uint64 values held in longs. */
    static long unsignedMax(final long a, final long b)
    {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    @Override
    public void close()
    {
        WorkerPools.stop(executor);
    }
}
