package io.xin.core.journal;

import com.google.protobuf.InvalidProtocolBufferException;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import io.xin.social.discovery.UserBuckets;
import io.xin.storage.fault.KillPoint;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.Message;
import io.xin.storage.DedupeRecord;
import io.xin.storage.InboxPage;
import io.xin.storage.JournalBatch;
import io.xin.storage.JournalReader;
import io.xin.storage.XinStore;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The journal thread: the single writer of sequence numbers, message ids, the dedupe index and
 * device cursors. Each send is deduplicated on (sender, client_msg_id), given the next seq of the
 * recipient's inbox and of the sender's own, and added to one reused batch; at the end of the
 * Disruptor batch everything is appended to the shard's message log as one entry (group commit:
 * batches grow with load, a lone message is written at once), each message's bytes once. Only after
 * that append is durable does the dispatcher see the events, so an acknowledgement always follows a
 * durable write. Then, off the acknowledgement's path, the same thread applies the entry to RocksDB
 * (the inboxes, dedupe records, heads and cursors readers use) and hands messages to other shards.
 * <p>
 * A failed append is fatal: every send of that batch is marked failed (no ack is ever sent for it),
 * the switch status says storage failed, and no later send is accepted.
 * <p>
 * With several journal shards, each owns the users that hash to it ({@link JournalShard}): their
 * heads, cursors and the dedupe records of what they send. A send to a user of another shard is
 * stored here (sender's inbox, dedupe record and an outbox record, one write) and acknowledged from
 * here; after that write it is handed to the recipient's shard, which appends it to the inbox and
 * deletes the outbox record in one write of its own. A crash between the two writes leaves the outbox
 * record, which the switch hands over again at start, so an acknowledged message is never lost and
 * never appended twice.
 * <p>
 * All fields are owned by the journal thread, except the hand-off queue, which other shards fill.
 */
public final class Journal implements EventHandler<SwitchEvent>
{
    private static final Logger LOG = LoggerFactory.getLogger(Journal.class);
    private static final long NO_HEAD = -1;
    /**
     * Message ids reserved per write of the shard's {@code 'm'} record: a restart after a crash skips up to
     * this many ids (gaps are allowed; reuse is not).
     */
    static final long MSG_ID_BLOCK = 1024;
    /** A batch is appended once its entry reaches this, well below the log's largest entry, even mid-batch. */
    static final long MAX_ENTRY_FILL_BYTES = 8L * 1024 * 1024;
    /**
     * In cluster mode a message id is its shard's own counter shifted left by this, or'ed with the shard: unique
     * across nodes without a shared counter. Shards are at most {@code 1 << MSG_ID_SHARD_BITS}.
     */
    public static final int MSG_ID_SHARD_BITS = 10;

    private final JournalWriter writer;
    private final SwitchStatus status;
    private final SwitchCounters counters;
    private final LongSupplier clockMs;
    private final JournalBatch batch;
    private final JournalReader reader;
    private final int shard;
    private final int shardCount;
    /** Message ids are unique across shards: every shard takes the next from this counter. */
    private final AtomicLong msgIds;
    /** The shards' replicated logs and which this node owns (cluster mode); null with the store's own logs. */
    private final ReplicatedShards replicated;
    /**
     * The ownership this journal's caches belong to (cluster mode): 0 while the node does not own the shard. A new
     * epoch means another node may have written the shard meanwhile, so the caches are dropped.
     */
    private long ownerEpoch;
    /** Cluster mode: the position before which this shard's incoming hand-offs are in the batch; -1 for none. */
    private long handoffsTakenBefore = -1;
    /** Messages from other shards for users of this one; any shard adds, this journal drains. */
    private final Queue<Handoff> incoming = new ConcurrentLinkedQueue<>();
    /** The journals of every shard, this one included, in shard order; set once before the start. */
    private Journal[] shards;
    /** This shard's ring, which other shards nudge after handing off; set once before the start. */
    private RingBuffer<SwitchEvent> ring;
    /** Sends of the current batch to users of other shards, handed over once the batch is written. */
    private final List<Handoff> outgoing = new ArrayList<>();
    /** Shards handed a message in the current batch, to be nudged once each. */
    private final boolean[] toNudge;
    /** Hand-offs from other shards appended in the current batch. */
    private List<Handoff> appended;
    /** Head seq of every inbox touched since start; the authority for the next seq. */
    private final Long2LongHashMap heads = new Long2LongHashMap(NO_HEAD);
    /**
     * Users whose head moved since their head was last written. Their inbox entries hold the head meanwhile
     * (a head is read as the larger of its record and the last inbox key), so the heads are written at most
     * once per {@link #headWriteIntervalMs}, and at shutdown; an entry expires only after the retention,
     * which the configuration keeps well above the interval.
     */
    private final LongHashSet dirtyHeads = new LongHashSet();
    /** 0 writes the heads at the end of every batch. */
    private final long headWriteIntervalMs;
    /** When the dirty heads were last written (clock of {@link #clockMs}). */
    private long headsWrittenMs;
    /** The current batch holds every dirty head. */
    private boolean headsInBatch;
    /** The store whose head mark this journal holds while it keeps heads unwritten. */
    private final XinStore store;
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
    private long lastMsgId;
    /**
     * Times this shard moved out (cluster mode). A session keeps the count of its login; after a move, its sends
     * are not stored here ({@link SwitchEvent#RESULT_MOVED}): its device resends them on the node that serves it
     * now, where they would otherwise be stored a second time.
     */
    private int moveOutEpoch;
    private long lastWrittenMsgId;
    /** Highest message id this shard may assign before it must reserve more (in the batch that uses them). */
    private long reservedMsgId;
    /** The reservation on disk. */
    private long writtenReservedMsgId;
    /** Groups and channels: membership, fan-out on write, posts and follows. */
    private final Audiences audiences;
    /** Friends, blocks and privacy: the rows, the peers' sides, the check of a send. */
    private final Friends friends;
    /** The batch is appended and its events released or about to be; it is applied by {@link #applyAppended()}. */
    private boolean appendPending;
    /** True when the dispatcher runs on this thread after each batch and calls {@link #applyAppended()} itself. */
    private boolean applyAfterDispatch;
    /** This handler's sequence on the ring, which gates the dispatcher; set by the ring before the start. */
    private Sequence sequence;
    /** Wakes the dispatcher parked behind this journal; set with a dispatcher on a thread of its own. */
    private Runnable dispatcherSignal;

    /**
     * One of the context's journal shards; call {@link #connect(Journal[], RingBuffer)} before the start.
     *
     * @param context what every shard is built from; concluded here if it is not yet.
     * @param shard   this shard, in {@code [0, context.shardCount())}.
     */
    public Journal(final JournalContext context, final int shard)
    {
        context.conclude();
        if (shard < 0 || shard >= context.shardCount())
        {
            throw new IllegalArgumentException("shard must be within 0.." + (context.shardCount() - 1) + ": " + shard);
        }
        final XinStore store = context.store();
        this.writer = context.journalWriter().apply(store);
        this.status = context.status();
        this.counters = context.counters();
        this.clockMs = context.clock();
        this.shard = shard;
        this.shardCount = context.shardCount();
        this.msgIds = context.msgIds();
        this.replicated = context.replicatedShards();
        if (replicated != null && shardCount > 1 << MSG_ID_SHARD_BITS)
        {
            throw new IllegalArgumentException("cluster mode runs at most " + (1 << MSG_ID_SHARD_BITS) + " shards");
        }
        this.toNudge = new boolean[shardCount];
        this.batch = store.newBatch(shard);
        this.reader = store.newJournalReader();
        this.lastMsgId = replicated == null ? msgIds.get() : 0;
        this.lastWrittenMsgId = lastMsgId;
        this.reservedMsgId = lastMsgId;
        this.writtenReservedMsgId = lastMsgId;
        this.store = store;
        this.headWriteIntervalMs = context.headWriteIntervalMs();
        this.headsWrittenMs = clockMs.getAsLong();
        if (headWriteIntervalMs > 0)
        {
            store.holdHeads();
        }
        this.audiences = new Audiences(
            this, store, batch, counters, clockMs, context.maxGroupMembers(), context.maxChannelPublishers());
        this.friends = new Friends(this, store, batch, counters, clockMs, context.friendChanges(),
            context.friendCheck(), context.strangersAllowedByDefault(),
            context.friendRequestBurst() == Integer.MAX_VALUE ? null :
                new UserBuckets(context.friendRequestBurst(), context.friendRequestsPerHour()),
            context.maxPendingFriendRequests());
    }

    /**
     * Wires the shards together: where to hand off sends to other shards' users, and the ring other
     * shards nudge. Before the rings start.
     */
    public void connect(final Journal[] shards, final RingBuffer<SwitchEvent> ring)
    {
        this.shards = shards;
        this.ring = ring;
    }

    /**
     * Queues a message for a user of this shard, from another shard's journal or from the outbox at
     * start. Any thread; the caller nudges this shard's ring.
     */
    public void handOff(final Handoff handoff)
    {
        incoming.add(handoff);
    }

    /** True while hand-offs wait to be appended. Any thread. */
    public boolean hasPendingHandoffs()
    {
        return !incoming.isEmpty();
    }

    /** Makes this shard's journal run a batch soon, even when its ring is idle. Any thread. */
    public void nudge()
    {
        // A full ring is busy: its journal reaches the end of a batch, and drains the queue, soon anyway.
        ring.tryPublishEvent(SwitchEvent.NUDGE_TRANSLATOR);
    }

    @Override
    public void setSequenceCallback(final Sequence sequenceCallback)
    {
        this.sequence = sequenceCallback;
    }

    /**
     * The dispatcher runs on this thread after each batch and calls {@link #applyAppended()} once it has answered
     * the batch. Before the start.
     */
    public void applyAfterDispatch()
    {
        applyAfterDispatch = true;
    }

    /**
     * The dispatcher runs on a thread of its own, parked behind this journal's sequence: once a batch is appended,
     * the journal moves its sequence past the batch and wakes the dispatcher with this, before it applies the batch.
     * Before the start.
     */
    public void releaseDispatcherWith(final Runnable signal)
    {
        this.dispatcherSignal = signal;
    }

    @Override
    public void onEvent(final SwitchEvent event, final long sequence, final boolean endOfBatch)
    {
        try
        {
            if (++batchEvents == 1 && replicated != null)
            {
                checkOwner();
            }
            if (ownerEpoch == 0 && replicated != null && event.type != SwitchEvent.MOVE_OUT)
            {
                // Not this node's shard (any more): its sessions are being moved, nothing is written for them.
                event.result = SwitchEvent.RESULT_FAILED;
            }
            else switch (event.type)
            {
                case SwitchEvent.SEND -> onSend(event);
                case SwitchEvent.LOGIN -> onLogin(event);
                case SwitchEvent.ACK -> onAck(event);
                case SwitchEvent.GROUP_OP, SwitchEvent.CHANNEL_OP, SwitchEvent.FRIEND_OP -> onAudienceOp(event);
                case SwitchEvent.MOVE_OUT -> moveOutEpoch++;
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
            flush(event);
            if (!applyAfterDispatch)
            {
                release(sequence);
                applyAppended();
            }
        }
        else if (batch.dataSizeBytes() >= MAX_ENTRY_FILL_BYTES)
        {
            // A log entry has a bounded size: a long batch of large messages is appended in several.
            flush(event);
            release(sequence);
            applyAppended();
        }
    }

    /** Lets the dispatcher on its own thread answer the batch up to {@code lastSequence} now, before the apply. */
    private void release(final long lastSequence)
    {
        if (appendPending && sequence != null && dispatcherSignal != null)
        {
            sequence.setVolatile(lastSequence);
            dispatcherSignal.run();
        }
    }

    /**
     * Applies the batch just appended to RocksDB, then hands its messages for other shards' users to those shards:
     * after the apply, so that a crash can never keep the recipient's delete of a hand-off without the sender's put.
     * Journal thread, after the batch's events are dispatched or released.
     */
    public void applyAppended()
    {
        if (!appendPending)
        {
            return;
        }
        appendPending = false;
        try
        {
            KillPoint.reach(KillPoint.AFTER_ACK_BEFORE_INDEX);
            store.apply(batch);
            friends.afterApply();
            if (replicated == null)
            {
                handOver();
            }
        }
        catch (final RuntimeException ex)
        {
            // Acknowledged and in the log: the next open applies it. Nothing more is accepted meanwhile.
            storageFailed("apply of the log to RocksDB", ex);
            friends.onWriteFailed();
        }
        finally
        {
            batch.clear();
            outgoing.clear();
        }
    }

    /** The ring is idle: write the heads if they have waited the interval. */
    @Override
    public void onTimeout(final long sequence)
    {
        if (!dirtyHeads.isEmpty() && !status.isStorageFailed() &&
            clockMs.getAsLong() - headsWrittenMs >= headWriteIntervalMs)
        {
            writeHeads("journal write of heads");
        }
    }

    /**
     * Writes every head still held and the exact last message id, so that a clean restart repairs nothing
     * and skips no id, then releases the store's head mark (kept if the heads could not be written).
     */
    @Override
    public void onShutdown()
    {
        try
        {
            if (!status.isStorageFailed() && (!dirtyHeads.isEmpty() || lastMsgId != writtenReservedMsgId))
            {
                reservedMsgId = lastMsgId;
                writeHeads("journal write of heads at shutdown");
            }
        }
        finally
        {
            if (headWriteIntervalMs > 0)
            {
                store.releaseHeads(dirtyHeads.isEmpty());
            }
            batch.close();
            reader.close();
            friends.close();
        }
    }

    /** Outside a Disruptor batch (its batch is empty): writes the dirty heads and the msg_id reservation alone. */
    private void writeHeads(final String operation)
    {
        try
        {
            final long nowMs = clockMs.getAsLong();
            if (replicated != null)
            {
                // Idle or stopping, outside a batch: the shard may have moved since the last batch looked.
                checkOwner();
                if (ownerEpoch == 0)
                {
                    batch.clear();
                    return;
                }
            }
            putHeads();
            putMsgIdReservation();
            writeBatch();
            store.apply(batch);
            headsWritten(nowMs);
            writtenReservedMsgId = reservedMsgId;
        }
        catch (final RuntimeException ex)
        {
            writeFailed(operation, ex);
            heads.clear();
            reservedMsgId = writtenReservedMsgId;
        }
        finally
        {
            batch.clear();
            headsInBatch = false;
        }
    }

    /** Puts every dirty head, read through the cache (re-read from the store after a failed write). */
    private void putHeads()
    {
        final LongHashSet.LongIterator users = dirtyHeads.iterator();
        while (users.hasNext())
        {
            final long userId = users.nextValue();
            batch.putHead(userId, head(userId));
        }
        headsInBatch = true;
    }

    private void headsWritten(final long nowMs)
    {
        if (headsInBatch)
        {
            dirtyHeads.clear();
            headsWrittenMs = nowMs;
        }
    }

    private void putMsgIdReservation()
    {
        if (reservedMsgId != writtenReservedMsgId)
        {
            batch.putLastMsgId(shard, reservedMsgId);
        }
    }

    private void onLogin(final SwitchEvent event)
    {
        try
        {
            final long userId = event.session.userId();
            event.headSeq = head(userId);
            event.cursorSeq = reader.readCursor(userId, event.session.deviceIdBytes());
            event.session.storedCursorSeq(event.cursorSeq);
            event.session.moveOutEpoch(moveOutEpoch);
            audiences.onLogin(event);
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
        if (event.session.moveOutEpoch() != moveOutEpoch)
        {
            event.result = SwitchEvent.RESULT_MOVED;
            return;
        }
        final long senderId = event.session.userId();
        final SwitchEvent latestOfSender = batchDedupe.get(senderId);
        final SwitchEvent earlier = sameClientMsgId(latestOfSender, event);
        if (earlier != null)
        {
            duplicateOf(event, earlier.msgId, earlier.senderSeq, earlier.serverTimeMs);
            batchDuplicates.add(event);
            return;
        }
        final DedupeRecord record;
        try
        {
            record = reader.readDedupe(senderId, event.clientMsgIdBytes, event.clientMsgIdLength);
        }
        catch (final RuntimeException ex)
        {
            storageFailed("dedupe lookup", ex);
            event.result = SwitchEvent.RESULT_FAILED;
            return;
        }
        if (record != null && isSendRecord(senderId, record))
        {
            duplicateOf(event, record.msgId(), record.senderSeq(), record.serverTimeMs());
            return;
        }
        if (event.groupId != 0)
        {
            if (audiences.onGroupSend(event, senderId))
            {
                batchSends.add(event);
                event.earlierOfSender = latestOfSender;
                batchDedupe.put(senderId, event);
            }
            return;
        }

        final long recipientId = event.toUserId;
        if (friends.refuses(recipientId, senderId))
        {
            friends.refuseSend(event, recipientId);
            return;
        }
        final long nowMs = clockMs.getAsLong();
        final long msgId = nextMsgId();
        final long senderSeq = nextSeq(senderId);
        final boolean recipientHere = JournalShard.of(recipientId, shardCount) == shard;
        // 0 for a user of another shard: that shard numbers its inbox.
        final long recipientSeq = recipientId == senderId ? senderSeq : recipientHere ? nextSeq(recipientId) : 0;
        StoredMessage.writeInto(event, msgId, senderId, recipientId, event.session.deviceIdBytes(), nowMs);
        final ByteBuffer stored = batch.valueBuffer(event.stored, event.storedLength);
        batch.putInbox(senderId, senderSeq, stored);
        if (recipientId != senderId)
        {
            if (recipientHere)
            {
                batch.putInbox(recipientId, recipientSeq, stored);
            }
            else
            {
                final byte[] copy = Arrays.copyOf(event.stored, event.storedLength);
                if (replicated == null)
                {
                    batch.putOutboxPayload(msgId, recipientId);
                }
                // In cluster mode the hand-off is appended with the batch, in the same transaction: no outbox.
                outgoing.add(new Handoff(msgId, recipientId, copy));
            }
        }
        batch.putDedupe(senderId, event.clientMsgIdBytes, event.clientMsgIdLength, msgId, senderSeq, nowMs);

        event.result = SwitchEvent.RESULT_OK;
        event.msgId = msgId;
        event.senderSeq = senderSeq;
        event.recipientSeq = recipientSeq;
        event.serverTimeMs = nowMs;
        batchSends.add(event);
        event.earlierOfSender = latestOfSender;
        batchDedupe.put(senderId, event);
    }

    /**
     * Whether a dedupe record found under a Send's key shows that Send was stored before. A record of another
     * kind never does: a Send and a CHANNEL_POST with the same client_msg_id are two messages. A record written
     * before records carried their kind is a Send's when the sender's inbox holds its msg_id at its seq (a post's
     * seq is in its channel, where the sender's inbox holds another message or none); reading the inbox costs
     * only such an old record's hit, never a new message.
     */
    private boolean isSendRecord(final long senderId, final DedupeRecord record)
    {
        if (record.kind() != DedupeRecord.Kind.UNTAGGED)
        {
            return record.kind() == DedupeRecord.Kind.SEND;
        }
        return senderInboxHolds(senderId, record.senderSeq(), record.msgId());
    }

    private boolean senderInboxHolds(final long senderId, final long seq, final long msgId)
    {
        return seq > 0 && holdsAt(store.readInbox(senderId, seq - 1, 1, Integer.MAX_VALUE), seq, msgId);
    }

    /**
     * @param page a page of one entry read from just before {@code seq}, of an inbox or a channel's timeline.
     * @return whether the page's entry is the message {@code msgId} at {@code seq}.
     */
    static boolean holdsAt(final InboxPage page, final long seq, final long msgId)
    {
        if (page.entries().isEmpty() || page.entries().get(0).seq() != seq)
        {
            return false;
        }
        try
        {
            return Message.parseFrom(page.entries().get(0).message()).getMsgId() == msgId;
        }
        catch (final InvalidProtocolBufferException ex)
        {
            return false;
        }
    }

    private void duplicateOf(final SwitchEvent event, final long msgId, final long senderSeq, final long timeMs)
    {
        counters.duplicateSends.increment();
        event.result = SwitchEvent.RESULT_DUPLICATE;
        event.msgId = msgId;
        event.senderSeq = senderSeq;
        event.serverTimeMs = timeMs;
    }

    private void onAudienceOp(final SwitchEvent event)
    {
        if (status.isStorageFailed())
        {
            event.result = SwitchEvent.RESULT_FAILED;
            return;
        }
        if (event.session.moveOutEpoch() != moveOutEpoch)
        {
            event.result = SwitchEvent.RESULT_MOVED;
            return;
        }
        final boolean inBatch = switch (event.type)
        {
            case SwitchEvent.GROUP_OP -> audiences.onGroupOp(event);
            case SwitchEvent.CHANNEL_OP -> audiences.onChannelOp(event);
            default -> friends.onFriendOp(event);
        };
        if (inBatch)
        {
            batchSends.add(event);
        }
    }

    /**
     * The next server-wide message id, unique across shards. When it passes this shard's reservation, the
     * shard reserves up to {@link #MSG_ID_BLOCK} ids past it, written in the batch that uses the id, so a
     * restart resumes after every id that may have been used.
     */
    long nextMsgId()
    {
        lastMsgId = replicated == null ? msgIds.incrementAndGet() : lastMsgId + 1;
        if (lastMsgId > reservedMsgId)
        {
            reservedMsgId = lastMsgId + MSG_ID_BLOCK - 1;
        }
        return replicated == null ? lastMsgId : lastMsgId << MSG_ID_SHARD_BITS | shard;
    }

    /**
     * Cluster mode, at the start of each batch: adopts a change of ownership. A shard taken (again) may have been
     * written by another node meanwhile: every cached head, group and channel is dropped, and the message id counter
     * resumes after the shard's reservation in the store, which the new owner's restore brought up to date.
     */
    private void checkOwner()
    {
        final long epoch = replicated.ownerEpoch(shard);
        if (epoch == ownerEpoch)
        {
            return;
        }
        heads.clear();
        dirtyHeads.clear();
        audiences.onWriteFailed();
        friends.onWriteFailed();
        handoffsTakenBefore = -1;
        if (epoch != 0)
        {
            lastMsgId = store.readLastMsgId(shard);
            lastWrittenMsgId = lastMsgId;
            reservedMsgId = lastMsgId;
            writtenReservedMsgId = lastMsgId;
            LOG.info("Journal shard {} owned (epoch {}); message ids resume after {}", shard, epoch, lastMsgId);
        }
        ownerEpoch = epoch;
    }

    /** Appends the batch to the shard's log: the store's own, or the replicated one in cluster mode. */
    private void writeBatch()
    {
        if (replicated == null)
        {
            writer.write(batch);
            return;
        }
        try
        {
            final long end = replicated.append(shard, ownerEpoch, batch, outgoing, handoffsTakenBefore);
            handoffsTakenBefore = -1;
            store.appended(batch, end);
        }
        catch (final RuntimeException ex)
        {
            throw new ReplicatedAppendFailed(ex);
        }
    }

    /** A write failed: a refused or failed replicated append gives up the shard, anything else the storage. */
    private void writeFailed(final String operation, final RuntimeException ex)
    {
        if (ex instanceof ReplicatedAppendFailed failed)
        {
            shardLost(failed.getCause());
        }
        else
        {
            storageFailed(operation, ex);
        }
    }

    /** The replicated log refused or failed an append (cluster mode): the shard is lost, not the switch's storage. */
    private static final class ReplicatedAppendFailed extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        ReplicatedAppendFailed(final RuntimeException cause)
        {
            super(cause.getMessage(), cause, false, false);
        }

        @Override
        public synchronized RuntimeException getCause()
        {
            return (RuntimeException)super.getCause();
        }
    }

    private long head(final long userId)
    {
        long head = heads.get(userId);
        if (head == NO_HEAD)
        {
            head = reader.readHeadSeq(userId);
            heads.put(userId, head);
        }
        return head;
    }

    long nextSeq(final long userId)
    {
        final long seq = head(userId) + 1;
        heads.put(userId, seq);
        dirtyHeads.add(userId);
        return seq;
    }

    private void flush(final SwitchEvent lastEvent)
    {
        try
        {
            appendHandoffs();
            final long nowMs = headWriteIntervalMs == 0 ? headsWrittenMs : clockMs.getAsLong();
            if (!dirtyHeads.isEmpty() && !status.isStorageFailed() && nowMs - headsWrittenMs >= headWriteIntervalMs)
            {
                putHeads();
            }
            putMsgIdReservation();
            audiences.beforeWrite();
            if (batch.count() == 0)
            {
                return;
            }
            final int events = batchEvents;
            final long batchBytes = batch.dataSizeBytes();
            final long startNs = System.nanoTime();
            writeBatch();
            KillPoint.reach(KillPoint.AFTER_WRITE_BEFORE_ACK);
            final long writeNanos = System.nanoTime() - startNs;
            counters.journalWriteNanos.add(writeNanos);
            counters.onJournalBatchWritten(events, writeNanos);
            counters.journalBatches.increment();
            counters.journalBytesWritten.add(batchBytes);
            counters.journalBatchEvents.add(events);
            counters.journalMaxBatchEvents.accumulateAndGet(events, Math::max);
            counters.messagesStored.add(batchSends.size());
            lastWrittenMsgId = lastMsgId;
            writtenReservedMsgId = reservedMsgId;
            headsWritten(nowMs);
            if (appended != null)
            {
                lastEvent.handoffs = appended;
            }
            appendPending = true;
            audiences.onWritten();
            friends.onWritten();
        }
        catch (final RuntimeException ex)
        {
            writeFailed("journal write of " + batchSends.size() + " messages", ex);
            for (int i = 0, size = batchSends.size(); i < size; i++)
            {
                batchSends.get(i).result = SwitchEvent.RESULT_FAILED;
            }
            for (int i = 0, size = batchDuplicates.size(); i < size; i++)
            {
                batchDuplicates.get(i).result = SwitchEvent.RESULT_FAILED;
            }
            // What is in memory is now ahead of the disk: forget it rather than reuse it. The dirty users stay:
            // their heads are re-read from the store if they are ever written.
            heads.clear();
            lastMsgId = lastWrittenMsgId;
            reservedMsgId = writtenReservedMsgId;
            audiences.onWriteFailed();
            friends.onWriteFailed();
        }
        finally
        {
            if (!appendPending)
            {
                batch.clear();
                outgoing.clear();
            }
            headsInBatch = false;
            batchSends.clear();
            batchDuplicates.clear();
            batchDedupe.clear();
            batchEvents = 0;
            appended = null;
        }
    }

    /**
     * Appends what other shards handed over to the inboxes of this shard's users, deleting each
     * outbox record in the same write. After a storage failure they stay in the outbox for the next start.
     */
    private void appendHandoffs()
    {
        if (status.isStorageFailed())
        {
            return;
        }
        if (replicated != null && ownerEpoch == 0)
        {
            // Read again from the replicated queue by whichever node owns the shard next.
            incoming.clear();
            return;
        }
        Handoff handoff;
        while ((handoff = incoming.poll()) != null)
        {
            if (replicated != null && handoff.ownerEpoch != ownerEpoch)
            {
                // Read under an earlier ownership: the queue gives it again from its committed position.
                continue;
            }
            if (Friends.isRelationHandoff(handoff.stored))
            {
                // A friend change for a user of this shard: its view, and its FRIEND_EVENT when it is told.
                friends.onHandoff(handoff);
            }
            else
            {
                handoff.recipientSeq = nextSeq(handoff.recipientId);
                batch.putInbox(handoff.recipientId, handoff.recipientSeq, handoff.stored);
                pushAfterWrite(handoff);
            }
            if (replicated == null)
            {
                batch.deleteOutbox(handoff.msgId, handoff.recipientId);
            }
            else
            {
                handoffsTakenBefore = Math.max(handoffsTakenBefore, handoff.sourcePosition + 1);
            }
        }
    }

    /**
     * A message appended to an inbox of this shard in the current batch, outside the events' own answers: the
     * dispatcher pushes it to its recipient's online devices once the batch is written (with its last event).
     */
    void pushAfterWrite(final Handoff appendedHere)
    {
        if (appended == null)
        {
            // A new list per batch: the dispatcher reads it while this thread fills the next batch.
            appended = new ArrayList<>();
        }
        appended.add(appendedHere);
    }

    /**
     * Hands {@code handoff} to its recipient's shard once the current batch is written: in the outbox of this
     * batch (in cluster mode, in the batch's transaction), then queued to that shard after the apply.
     */
    void handOffAfterWrite(final Handoff handoff)
    {
        if (replicated == null)
        {
            batch.putOutbox(handoff.msgId, handoff.recipientId, handoff.stored);
        }
        outgoing.add(handoff);
    }

    /** Whether this shard owns (writes the inbox and the rows of) {@code userId}. */
    boolean owns(final long userId)
    {
        return JournalShard.of(userId, shardCount) == shard;
    }

    /** The send check, for the group adds of {@link Audiences}. */
    Friends friends()
    {
        return friends;
    }

    /** Hands the sends of the batch just written to the shards of their recipients, in send order. */
    private void handOver()
    {
        if (outgoing.isEmpty())
        {
            return;
        }
        for (int i = 0, size = outgoing.size(); i < size; i++)
        {
            final Handoff handoff = outgoing.get(i);
            final int target = JournalShard.of(handoff.recipientId, shardCount);
            shards[target].handOff(handoff);
            toNudge[target] = true;
        }
        for (int target = 0; target < shardCount; target++)
        {
            if (toNudge[target])
            {
                toNudge[target] = false;
                shards[target].nudge();
            }
        }
    }

    /**
     * Cluster mode: an append failed or was fenced. Nothing of the batch is acknowledged; the shard is given up until
     * it is restored from its log and owned again (what this thread remembers of it is dropped then).
     */
    private void shardLost(final RuntimeException ex)
    {
        counters.storageFailures.increment();
        LOG.warn("Journal shard {} gave up its log after a failed append (epoch {}); its sends will be retried " +
            "by their clients once the shard is owned again", shard, ownerEpoch, ex);
        final long epoch = ownerEpoch;
        ownerEpoch = 0;
        heads.clear();
        dirtyHeads.clear();
        incoming.clear();
        handoffsTakenBefore = -1;
        replicated.lost(shard, epoch, ex);
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

    /** The sends of the batch are still in their slots (the ring reuses none before the batch is done). */
    private static SwitchEvent sameClientMsgId(final SwitchEvent latestOfSender, final SwitchEvent event)
    {
        for (SwitchEvent send = latestOfSender; send != null; send = send.earlierOfSender)
        {
            if (Arrays.equals(send.clientMsgIdBytes, 0, send.clientMsgIdLength,
                event.clientMsgIdBytes, 0, event.clientMsgIdLength))
            {
                return send;
            }
        }
        return null;
    }
}
