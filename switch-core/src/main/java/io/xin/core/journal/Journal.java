package io.xin.core.journal;

import com.lmax.disruptor.EventHandler;
import io.xin.core.KillPoint;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.storage.DedupeRecord;
import io.xin.storage.JournalBatch;
import io.xin.storage.XinStore;
import io.xin.protocol.pb.Message;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The journal thread: the single writer of sequence numbers, message ids, the dedupe index and
 * device cursors. Each send is deduplicated on (sender, client_msg_id), given the next seq of the
 * recipient's inbox and of the sender's own, and added to one reused write batch; at the end of
 * the Disruptor batch everything is written in one RocksDB write (group commit: batches grow with
 * load, a lone message is written at once). Only after that write returns does the dispatcher
 * see the events, so an acknowledgement always follows a durable write.
 * <p>
 * A failed write is fatal: every send of that batch is marked failed (no ack is ever sent for it),
 * the switch status says storage failed, and no later send is accepted.
 * <p>
 * All fields are owned by the journal thread.
 */
public final class Journal implements EventHandler<SwitchEvent>
{
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final long NO_HEAD = -1;

    private final XinStore store;
    private final JournalWriter writer;
    private final SwitchStatus status;
    private final SwitchCounters counters;
    private final LongSupplier clockMs;
    private final JournalBatch batch;
    /** Head seq of every inbox touched since start; the authority for the next seq. */
    private final Long2LongHashMap heads = new Long2LongHashMap(NO_HEAD);
    /** Users whose head moved in the current batch: their head is written once per batch. */
    private final LongHashSet dirtyHeads = new LongHashSet();
    /** Sends of the current batch that are new, in ring order. */
    private final List<SwitchEvent> batchSends = new ArrayList<>();
    /** Resends answered from a send of the current batch: they share its fate if the write fails. */
    private final List<SwitchEvent> batchDuplicates = new ArrayList<>();
    /** Ring events in the current batch. */
    private int batchEvents;
    /**
     * The latest new send of each sender in the current batch, the sender's earlier ones chained through
     * {@link SwitchEvent#earlierOfSender}, so a resend within one batch is caught without a key object per send.
     */
    private final Long2ObjectHashMap<SwitchEvent> batchDedupe = new Long2ObjectHashMap<>();
    /** Reused for every stored message: build() copies what it holds. */
    private final Message.Builder messageBuilder = Message.newBuilder();
    private long lastMsgId;
    private long lastWrittenMsgId;

    public Journal(
        final XinStore store,
        final JournalWriter writer,
        final SwitchStatus status,
        final SwitchCounters counters,
        final LongSupplier clockMs)
    {
        this.store = store;
        this.writer = writer;
        this.status = status;
        this.counters = counters;
        this.clockMs = clockMs;
        this.batch = store.newBatch();
        this.lastMsgId = store.readLastMsgId();
        this.lastWrittenMsgId = lastMsgId;
    }

    @Override
    public void onEvent(final SwitchEvent event, final long sequence, final boolean endOfBatch)
    {
        batchEvents++;
        try
        {
            switch (event.type)
            {
                case SwitchEvent.SEND -> onSend(event);
                case SwitchEvent.LOGIN -> onLogin(event);
                case SwitchEvent.ACK -> onAck(event);
                default ->
                {
                }
            }
        }
        catch (final RuntimeException ex)
        {
            // A read of a head or dedupe record failed: storage is not trustworthy any more.
            storageFailed("journal " + event, ex);
            event.result = SwitchEvent.RESULT_FAILED;
        }
        if (endOfBatch)
        {
            flush();
        }
    }

    @Override
    public void onShutdown()
    {
        batch.close();
    }

    private void onLogin(final SwitchEvent event)
    {
        try
        {
            final long userId = event.session.userId();
            event.headSeq = head(userId);
            event.cursorSeq = store.readCursor(userId, event.session.deviceIdBytes());
            event.session.storedCursorSeq(event.cursorSeq);
        }
        catch (final RuntimeException ex)
        {
            LOG.error("Reading head and cursor at login failed for {}", event.session, ex);
            event.result = SwitchEvent.RESULT_FAILED;
        }
    }

    private void onAck(final SwitchEvent event)
    {
        if (status.isStorageFailed())
        {
            return;
        }
        final long userId = event.session.userId();
        final long cursor = Math.min(event.upToSeq, head(userId));
        if (cursor > event.session.storedCursorSeq())
        {
            batch.putCursor(userId, event.session.deviceIdBytes(), cursor);
            event.session.storedCursorSeq(cursor);
            counters.cursorsAdvanced.increment();
        }
    }

    private void onSend(final SwitchEvent event)
    {
        if (status.isStorageFailed())
        {
            event.result = SwitchEvent.RESULT_FAILED;
            return;
        }
        final long senderId = event.session.userId();
        final SwitchEvent latestOfSender = batchDedupe.get(senderId);
        final SwitchEvent earlier = sameClientMsgId(latestOfSender, event.clientMsgId);
        if (earlier != null)
        {
            duplicateOf(event, earlier.msgId, earlier.senderSeq, earlier.serverTimeMs);
            batchDuplicates.add(event);
            return;
        }
        final DedupeRecord record;
        try
        {
            record = store.readDedupe(senderId, event.clientMsgIdBytes);
        }
        catch (final RuntimeException ex)
        {
            storageFailed("dedupe lookup", ex);
            event.result = SwitchEvent.RESULT_FAILED;
            return;
        }
        if (record != null)
        {
            duplicateOf(event, record.msgId(), record.senderSeq(), record.serverTimeMs());
            return;
        }

        final long recipientId = event.toUserId;
        final long nowMs = clockMs.getAsLong();
        final long msgId = ++lastMsgId;
        final long senderSeq = nextSeq(senderId);
        final long recipientSeq = recipientId == senderId ? senderSeq : nextSeq(recipientId);
        final Message message = messageBuilder.clear()
            .setMsgId(msgId)
            .setFromUserId(senderId)
            .setToUserId(recipientId)
            .setFromDeviceId(event.session.deviceId())
            .setClientMsgId(event.clientMsgId)
            .setServerTimeMs(nowMs)
            .setContent(event.content)
            .build();
        final byte[] stored = message.toByteArray();
        batch.putInbox(senderId, senderSeq, stored);
        if (recipientId != senderId)
        {
            batch.putInbox(recipientId, recipientSeq, stored);
        }
        batch.putDedupe(senderId, event.clientMsgIdBytes, msgId, senderSeq, nowMs);

        event.result = SwitchEvent.RESULT_OK;
        event.msgId = msgId;
        event.senderSeq = senderSeq;
        event.recipientSeq = recipientSeq;
        event.serverTimeMs = nowMs;
        event.message = message;
        batchSends.add(event);
        event.earlierOfSender = latestOfSender;
        batchDedupe.put(senderId, event);
    }

    private void duplicateOf(final SwitchEvent event, final long msgId, final long senderSeq, final long timeMs)
    {
        counters.duplicateSends.increment();
        event.result = SwitchEvent.RESULT_DUPLICATE;
        event.msgId = msgId;
        event.senderSeq = senderSeq;
        event.serverTimeMs = timeMs;
    }

    private long head(final long userId)
    {
        long head = heads.get(userId);
        if (head == NO_HEAD)
        {
            head = store.readHeadSeq(userId);
            heads.put(userId, head);
        }
        return head;
    }

    private long nextSeq(final long userId)
    {
        final long seq = head(userId) + 1;
        heads.put(userId, seq);
        dirtyHeads.add(userId);
        return seq;
    }

    private void flush()
    {
        try
        {
            if (!dirtyHeads.isEmpty())
            {
                final LongHashSet.LongIterator users = dirtyHeads.iterator();
                while (users.hasNext())
                {
                    final long userId = users.nextValue();
                    batch.putHead(userId, heads.get(userId));
                }
            }
            if (lastMsgId != lastWrittenMsgId)
            {
                batch.putLastMsgId(lastMsgId);
            }
            if (batch.count() == 0)
            {
                return;
            }
            final int events = batchEvents;
            final long startNs = System.nanoTime();
            writer.write(batch);
            KillPoint.reach(KillPoint.AFTER_WRITE_BEFORE_ACK);
            final long writeNanos = System.nanoTime() - startNs;
            counters.journalWriteNanos.add(writeNanos);
            counters.onJournalBatchWritten(events, writeNanos);
            counters.journalBatches.increment();
            counters.journalBatchEvents.add(events);
            counters.journalMaxBatchEvents.accumulateAndGet(events, Math::max);
            counters.messagesStored.add(batchSends.size());
            lastWrittenMsgId = lastMsgId;
        }
        catch (final RuntimeException ex)
        {
            storageFailed("journal write of " + batchSends.size() + " messages", ex);
            for (int i = 0, size = batchSends.size(); i < size; i++)
            {
                batchSends.get(i).result = SwitchEvent.RESULT_FAILED;
            }
            for (int i = 0, size = batchDuplicates.size(); i < size; i++)
            {
                batchDuplicates.get(i).result = SwitchEvent.RESULT_FAILED;
            }
            // What is in memory is now ahead of the disk: forget it rather than reuse it.
            heads.clear();
            lastMsgId = lastWrittenMsgId;
        }
        finally
        {
            batch.clear();
            dirtyHeads.clear();
            batchSends.clear();
            batchDuplicates.clear();
            batchDedupe.clear();
            batchEvents = 0;
        }
    }

    private void storageFailed(final String operation, final RuntimeException ex)
    {
        counters.storageFailures.increment();
        if (!status.isStorageFailed())
        {
            status.storageFailed(ex);
            LOG.error("STORAGE FAILURE in {}: the switch stops acknowledging messages. Nothing of this batch was " +
                "acknowledged; clients will resend. Restart the switch once storage is healthy.", operation, ex);
        }
    }

    private static SwitchEvent sameClientMsgId(final SwitchEvent latestOfSender, final String clientMsgId)
    {
        for (SwitchEvent send = latestOfSender; send != null; send = send.earlierOfSender)
        {
            if (send.clientMsgId.equals(clientMsgId))
            {
                return send;
            }
        }
        return null;
    }
}
