package io.xin.core.journal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.FriendEvent;
import io.xin.protocol.pb.FriendOp;
import io.xin.protocol.pb.FriendOpType;
import io.xin.protocol.pb.FriendResult;
import io.xin.protocol.pb.FriendState;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.PrivacySettings;
import io.xin.social.discovery.UserBuckets;
import io.xin.storage.FriendBatch;
import io.xin.storage.FriendStore;
import io.xin.storage.JournalBatch;
import io.xin.storage.RelationRecord;
import io.xin.storage.XinStore;
import org.agrona.collections.Long2LongHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The journal's handling of friends, blocks and privacy: the requester's FriendOp, the peer's side of it, and the
 * check of a 1:1 send or a group add against the recipient's rules. It runs on the journal thread, inside the
 * journal's batch, so a change and the messages around it are ordered by the one ring and written by the same
 * atomic write, and the shard's log carries the rows (a replay, and a cluster standby's apply, rebuild them).
 * <p>
 * Each user's own view of each peer is written by the user's own shard only. A change made by the requester is
 * written for the requester here; for a peer of this shard it is applied to the peer's view in the same batch;
 * for a peer of another shard it travels as a hand-off (the same queue, outbox and replicated topic as a 1:1
 * message's recipient copy), whose bytes are the change's FRIEND_EVENT message with its {@code seq} field set: a
 * stored message never carries a seq, so one byte tells a relation hand-off from an inbox copy. The peer's shard
 * applies it to the peer's current view, and appends the FRIEND_EVENT to the peer's inbox only when the peer is
 * told (never of a block, nor of a request from someone the peer blocked).
 * <p>
 * Views written in the current batch are not in RocksDB until it is applied: they are kept here meanwhile and
 * answer this shard's reads first. Other shards read them from RocksDB once applied.
 * <p>
 * All fields are owned by the journal thread.
 */
final class Friends
{
    static final byte NONE = FriendState.FRIEND_STATE_NONE_VALUE;
    static final byte FRIEND = FriendState.FRIEND_STATE_FRIEND_VALUE;
    static final byte REQUEST_SENT = FriendState.FRIEND_STATE_REQUEST_SENT_VALUE;
    static final byte REQUEST_RECEIVED = FriendState.FRIEND_STATE_REQUEST_RECEIVED_VALUE;
    static final byte BLOCKED = FriendState.FRIEND_STATE_BLOCKED_VALUE;
    /** The seq a relation hand-off's message carries (stored messages carry none). */
    static final long RELATION_HANDOFF_SEQ = 1;
    /** The first byte of a message whose field 1 (seq, a varint) is set: protobuf writes fields in number order. */
    private static final byte SEQ_FIELD_TAG = 1 << 3;
    private static final Logger LOG = LoggerFactory.getLogger(Friends.class);
    private static final long NO_FLAGS = Long.MIN_VALUE;

    private final Journal journal;
    private final JournalBatch batch;
    private final FriendBatch puts;
    private final FriendStore.Reader reader;
    private final SwitchCounters counters;
    private final LongSupplier clockMs;
    /** Null: nobody follows the changes. */
    private final FriendChanges listener;
    /** False only to measure the send path without the check: no send or add is refused. */
    private final boolean check;
    /** Whether a user who never set its privacy takes messages and group adds from strangers. */
    private final boolean strangersAllowedByDefault;
    /** New friend requests each of this shard's users may send, by user; null: unlimited. */
    private final UserBuckets requestBudget;
    /** Requests a user of this shard may have waiting for its answer; more are dropped. MAX_VALUE: unbounded. */
    private final int maxPendingRequests;
    /**
     * Requests waiting for each user's answer, by user, counted once read (-1: not yet) and kept up by setView; a
     * user whose last waiting request is answered leaves it, so it holds only users with requests waiting.
     */
    private final Long2LongHashMap pendingRequests = new Long2LongHashMap(-1);
    private final FriendStore friendStore;
    /** Views and privacy of this shard's users as last read or written: the send check's reads, in memory. */
    private final ViewCache cache = new ViewCache();
    /** Views written in the current batch, by (user, peer); RocksDB holds them once the batch is applied. */
    private final Map<Pair, Byte> batchViews = new HashMap<>();
    /** Privacy flags written in the current batch, by user. */
    private final Long2LongHashMap batchPrivacy = new Long2LongHashMap(NO_FLAGS);
    /** Changes of the current batch, for the listener. */
    private final List<Change> pending = new ArrayList<>();
    /** Changes of the batch written and not yet applied. */
    private final List<Change> written = new ArrayList<>();

    Friends(
        final Journal journal,
        final XinStore store,
        final JournalBatch batch,
        final SwitchCounters counters,
        final LongSupplier clockMs,
        final FriendChanges listener,
        final boolean check,
        final boolean strangersAllowedByDefault,
        final UserBuckets requestBudget,
        final int maxPendingRequests)
    {
        this.journal = journal;
        this.batch = batch;
        this.puts = store.friends().newBatch(batch);
        this.reader = store.friends().newReader();
        this.counters = counters;
        this.clockMs = clockMs;
        this.listener = listener;
        this.check = check;
        this.strangersAllowedByDefault = strangersAllowedByDefault;
        this.requestBudget = requestBudget;
        this.maxPendingRequests = maxPendingRequests;
        this.friendStore = store.friends();
    }

    // ------------------------------------------------------------------------------------------- the check

    /**
     * Whether the recipient's rules refuse a 1:1 message (or a group add) from the sender: the recipient's view of
     * the sender decides when it is FRIEND (taken) or BLOCKED (refused); otherwise the recipient's privacy does. For a
     * recipient of this shard both come from memory once read ({@link ViewCache}); for one of another shard, one
     * point read for a friend or a block, a second for anyone else (a bloom filter answers a read of a record that
     * does not exist).
     */
    boolean refuses(final long recipientId, final long senderId)
    {
        if (!check || recipientId == senderId)
        {
            return false;
        }
        final byte view = view(recipientId, senderId);
        if (view == FRIEND)
        {
            return false;
        }
        return view == BLOCKED || !allowsStrangers(recipientId);
    }

    /**
     * Refuses a 1:1 send with NOT_FRIENDS: nothing is stored and no SendAck goes out. The same words whether the
     * recipient blocked the sender or takes no strangers, so the sender cannot tell the two apart.
     */
    void refuseSend(final SwitchEvent event, final long recipientId)
    {
        counters.notFriendsRefusals.increment();
        refuse(event, ErrorCode.NOT_FRIENDS, notFriends(recipientId));
    }

    /**
     * The first of {@code userIds} whose rules refuse {@code adderId}, or 0 when none does: a group add is refused as
     * a whole for one such user (counted here).
     */
    long firstRefusing(final long[] userIds, final int count, final long adderId)
    {
        for (int i = 0; i < count; i++)
        {
            if (refuses(userIds[i], adderId))
            {
                counters.notFriendsRefusals.increment();
                return userIds[i];
            }
        }
        return 0;
    }

    static String notFriends(final long userId)
    {
        return "user " + userId + " takes this only from friends";
    }

    private byte view(final long userId, final long peerId)
    {
        if (!batchViews.isEmpty())
        {
            final Byte inBatch = batchViews.get(new Pair(userId, peerId));
            if (inBatch != null)
            {
                return inBatch;
            }
        }
        if (!journal.owns(userId))
        {
            return reader.readState(userId, peerId);
        }
        final int cached = cache.state(userId, peerId);
        if (cached != ViewCache.MISS)
        {
            return (byte)cached;
        }
        final byte state = reader.readState(userId, peerId);
        cache.putState(userId, peerId, state);
        return state;
    }

    private boolean allowsStrangers(final long userId)
    {
        long flags = batchPrivacy.isEmpty() ? NO_FLAGS : batchPrivacy.get(userId);
        if (flags == NO_FLAGS)
        {
            flags = privacy(userId);
        }
        return flags == FriendStore.NO_SETTINGS ?
            strangersAllowedByDefault : (flags & FriendStore.ALLOWS_STRANGERS) != 0;
    }

    private int privacy(final long userId)
    {
        if (!journal.owns(userId))
        {
            return reader.readPrivacy(userId);
        }
        int flags = cache.privacy(userId);
        if (flags == ViewCache.MISS)
        {
            flags = reader.readPrivacy(userId);
            cache.putPrivacy(userId, flags);
        }
        return flags;
    }

    // --------------------------------------------------------------------------------------- the requester

    /**
     * A FriendOp other than FRIEND_LIST (read by the sync readers). Writes the requester's view, the peer's (here or
     * by hand-off), and the FRIEND_EVENT messages.
     *
     * @return true when answered (changed or not); false when refused.
     */
    boolean onFriendOp(final SwitchEvent event)
    {
        final FriendOp op = (FriendOp)event.request;
        final long actor = event.session.userId();
        if (op.getOp() == FriendOpType.FRIEND_SET_PRIVACY)
        {
            final byte flags = flags(op.getSettings());
            puts.putPrivacy(actor, flags);
            batchPrivacy.put(actor, flags);
            cache.putPrivacy(actor, flags);
            pending.add(new Change(actor, 0, -1, flags));
            counters.friendChanges.increment();
            return answer(event, result(event, op.getOp(), 0, NONE).setSettings(op.getSettings()), new AudienceWork());
        }
        final long peer = op.getUserId();
        final byte before = view(actor, peer);
        byte after = before;
        FriendOpType told = null;
        switch (op.getOp())
        {
            case FRIEND_REQUEST ->
            {
                if (before == BLOCKED)
                {
                    return refuse(event, ErrorCode.NOT_ALLOWED, "user " + peer + " is blocked: unblock first");
                }
                if (before == NONE)
                {
                    // Only a new request costs: what reaches a stranger's inbox is what a spammer sends.
                    final int retryAfterMs = requestBudget == null ? 0 :
                        requestBudget.tryTake(actor, 1, TimeUnit.MILLISECONDS.toNanos(clockMs.getAsLong()));
                    if (retryAfterMs > 0)
                    {
                        counters.friendRequestsLimited.increment();
                        return refuse(event, ErrorCode.RATE_LIMITED, "too many new friend requests: " +
                            requestBudget.capacity() + " at once, then fewer an hour", retryAfterMs);
                    }
                    after = REQUEST_SENT;
                    told = FriendOpType.FRIEND_REQUEST;
                }
                else if (before == REQUEST_RECEIVED)
                {
                    // A request to someone who asked first is an acceptance.
                    after = FRIEND;
                    told = FriendOpType.FRIEND_ACCEPT;
                }
            }
            case FRIEND_ACCEPT ->
            {
                if (before == REQUEST_RECEIVED)
                {
                    after = FRIEND;
                    told = FriendOpType.FRIEND_ACCEPT;
                }
                else if (before != FRIEND)
                {
                    return refuse(event, ErrorCode.NOT_ALLOWED, "no friend request from user " + peer);
                }
            }
            case FRIEND_DECLINE ->
            {
                if (before == REQUEST_RECEIVED)
                {
                    after = NONE;
                    told = FriendOpType.FRIEND_DECLINE;
                }
                else if (before != NONE)
                {
                    return refuse(event, ErrorCode.NOT_ALLOWED, "no friend request from user " + peer);
                }
            }
            case FRIEND_REMOVE ->
            {
                if (before == BLOCKED)
                {
                    return refuse(event, ErrorCode.NOT_ALLOWED, "user " + peer + " is blocked: unblock instead");
                }
                if (before != NONE)
                {
                    after = NONE;
                    told = FriendOpType.FRIEND_REMOVE;
                }
            }
            case FRIEND_BLOCK ->
            {
                if (before != BLOCKED)
                {
                    after = BLOCKED;
                    told = FriendOpType.FRIEND_BLOCK;
                }
            }
            case FRIEND_UNBLOCK ->
            {
                if (before == BLOCKED)
                {
                    after = NONE;
                    told = FriendOpType.FRIEND_UNBLOCK;
                }
            }
            default ->
            {
                return refuse(event, ErrorCode.BAD_REQUEST, "unknown friend op " + op.getOpValue());
            }
        }
        if (told == null)
        {
            // Already so: nothing written, nobody told.
            return answer(event, result(event, op.getOp(), peer, before), new AudienceWork());
        }
        final String greeting = told == FriendOpType.FRIEND_REQUEST ? op.getGreeting() : "";
        setView(actor, peer, before, after, greeting);

        final long msgId = journal.nextMsgId();
        final Message message = Message.newBuilder()
            .setMsgId(msgId)
            .setFromUserId(actor)
            .setToUserId(peer)
            .setFromDeviceId(event.session.deviceId())
            .setServerTimeMs(clockMs.getAsLong())
            .setContent(content(told, actor, peer, greeting))
            .build();
        final byte[] stored = message.toByteArray();
        // The requester's own inbox: its other devices learn of the change, and it is in the history.
        final long actorSeq = journal.nextSeq(actor);
        batch.putInbox(actor, actorSeq, stored);
        if (told != FriendOpType.FRIEND_UNBLOCK)
        {
            // An unblock changes only the requester's view: the block had already cleared the peer's.
            if (journal.owns(peer))
            {
                final FriendOpType peerTold = applyToPeer(peer, actor, told, greeting);
                if (peerTold != null)
                {
                    appendToPeer(msgId, peer, peerTold == told ? stored : peerCopy(message, peerTold));
                }
            }
            else
            {
                journal.handOffAfterWrite(new Handoff(msgId, peer,
                    message.toBuilder().setSeq(RELATION_HANDOFF_SEQ).build().toByteArray()));
            }
        }
        final AudienceWork work = new AudienceWork();
        work.message = message;
        work.stored = stored;
        work.userIds = new long[]{ actor };
        work.seqs = new long[]{ actorSeq };
        work.count = 1;
        return answer(event, result(event, op.getOp(), peer, after), work);
    }

    // -------------------------------------------------------------------------------------------- the peer

    /** Whether a hand-off's bytes are a relation change rather than a message for the recipient's inbox. */
    static boolean isRelationHandoff(final byte[] stored)
    {
        return stored.length > 0 && stored[0] == SEQ_FIELD_TAG;
    }

    /**
     * A relation change from another shard, for a user of this one: applied to the user's view of the requester,
     * and appended to the user's inbox when the user is told. Journal thread, at the end of a batch, in the batch.
     */
    void onHandoff(final Handoff handoff)
    {
        final Message message;
        final FriendEvent change;
        try
        {
            message = Message.parseFrom(handoff.stored);
            change = FriendEvent.parseFrom(message.getContent().getBody());
        }
        catch (final InvalidProtocolBufferException ex)
        {
            // Written by a journal of this build; one that is not is skipped rather than stop every later hand-off.
            LOG.error("Relation hand-off {} for user {} is malformed; skipped", handoff.msgId, handoff.recipientId, ex);
            return;
        }
        final long peer = handoff.recipientId;
        final FriendOpType told = applyToPeer(peer, change.getActorUserId(), change.getOp(), change.getGreeting());
        if (told != null)
        {
            appendToPeer(handoff.msgId, peer, peerCopy(message, told));
        }
    }

    /**
     * Applies a requester's change to the peer's view of the requester, from the peer's current view.
     *
     * @return what the peer is told, or null when it is not told (a block; a request from someone it blocked).
     */
    private FriendOpType applyToPeer(final long peer, final long actor, final FriendOpType op, final String greeting)
    {
        final byte before = view(peer, actor);
        byte after = before;
        FriendOpType told = null;
        final boolean related = before == FRIEND || before == REQUEST_SENT || before == REQUEST_RECEIVED;
        switch (op)
        {
            case FRIEND_REQUEST ->
            {
                if (before == NONE && pendingRequestsFull(peer))
                {
                    // As for a request from someone the peer blocked: nothing kept, nobody told.
                    counters.friendRequestsDropped.increment();
                }
                else if (before == NONE)
                {
                    after = REQUEST_RECEIVED;
                    told = FriendOpType.FRIEND_REQUEST;
                }
                else if (before == REQUEST_SENT)
                {
                    // Two requests crossed: each side takes the other's as the acceptance.
                    after = FRIEND;
                    told = FriendOpType.FRIEND_ACCEPT;
                }
            }
            case FRIEND_ACCEPT ->
            {
                if (before == REQUEST_SENT)
                {
                    after = FRIEND;
                    told = FriendOpType.FRIEND_ACCEPT;
                }
            }
            case FRIEND_DECLINE ->
            {
                if (before == REQUEST_SENT)
                {
                    after = NONE;
                    told = FriendOpType.FRIEND_DECLINE;
                }
            }
            case FRIEND_REMOVE ->
            {
                if (related)
                {
                    after = NONE;
                    told = FriendOpType.FRIEND_REMOVE;
                }
            }
            case FRIEND_BLOCK ->
            {
                if (related)
                {
                    // Never told: the blocked user's view is simply gone.
                    after = NONE;
                }
            }
            default ->
            {
            }
        }
        if (after != before)
        {
            setView(peer, actor, before, after, after == REQUEST_RECEIVED ? greeting : "");
        }
        return told;
    }

    private void appendToPeer(final long msgId, final long peer, final byte[] stored)
    {
        final Handoff copy = new Handoff(msgId, peer, stored);
        copy.recipientSeq = journal.nextSeq(peer);
        batch.putInbox(peer, copy.recipientSeq, stored);
        journal.pushAfterWrite(copy);
    }

    /** The peer's inbox copy: the requester's message without seq, telling {@code told}. */
    private static byte[] peerCopy(final Message message, final FriendOpType told)
    {
        final Message.Builder copy = message.toBuilder().clearSeq();
        try
        {
            final FriendEvent change = FriendEvent.parseFrom(message.getContent().getBody());
            if (change.getOp() != told)
            {
                copy.setContent(content(told, change.getActorUserId(), change.getUserId(),
                    told == FriendOpType.FRIEND_REQUEST ? change.getGreeting() : ""));
            }
        }
        catch (final InvalidProtocolBufferException ex)
        {
            throw new IllegalStateException("a FRIEND_EVENT written here does not parse", ex);
        }
        return copy.build().toByteArray();
    }

    /** Whether the user has as many requests waiting for its answer as it may. */
    private boolean pendingRequestsFull(final long userId)
    {
        if (maxPendingRequests == Integer.MAX_VALUE)
        {
            return false;
        }
        long count = pendingRequests.get(userId);
        if (count < 0)
        {
            count = countPendingRequests(userId);
            pendingRequests.put(userId, count);
        }
        return count >= maxPendingRequests;
    }

    /**
     * The user's views that are REQUEST_RECEIVED: RocksDB's, with the views of batches not yet applied in their place.
     * Read when the count is not held (a user without requests waiting, or after a change of hands): one range read
     * of the user's rows on the journal thread, for a friend request, which is rare beside messages.
     */
    private long countPendingRequests(final long userId)
    {
        long count = 0;
        for (final RelationRecord relation : friendStore.readRelations(userId))
        {
            if (relation.state() == REQUEST_RECEIVED && !batchViews.containsKey(new Pair(userId, relation.peerId())))
            {
                count++;
            }
        }
        for (final Map.Entry<Pair, Byte> view : batchViews.entrySet())
        {
            if (view.getKey().userId() == userId && view.getValue() == REQUEST_RECEIVED)
            {
                count++;
            }
        }
        return count;
    }

    private void setView(
        final long userId, final long peerId, final byte before, final byte after, final String greeting)
    {
        if ((before == REQUEST_RECEIVED) != (after == REQUEST_RECEIVED))
        {
            final long count = pendingRequests.get(userId);
            final long now = count + (after == REQUEST_RECEIVED ? 1 : -1);
            if (now > 0)
            {
                pendingRequests.put(userId, now);
            }
            else if (count >= 0)
            {
                // Read again at its next request: the map holds only users with requests waiting.
                pendingRequests.remove(userId);
            }
        }
        if (after == NONE)
        {
            puts.deleteRelation(userId, peerId);
        }
        else
        {
            puts.putRelation(userId, peerId, after, greeting);
        }
        batchViews.put(new Pair(userId, peerId), after);
        // Only this shard's users have views written here.
        cache.putState(userId, peerId, after);
        pending.add(new Change(userId, peerId, before, after));
        counters.friendChanges.increment();
    }

    // ------------------------------------------------------------------------------------------- the batch

    /** The batch is appended: its changes wait for the apply. */
    void onWritten()
    {
        written.addAll(pending);
        pending.clear();
    }

    /** The batch is applied: RocksDB answers for its views now, and the listener may read them. */
    void afterApply()
    {
        batchViews.clear();
        batchPrivacy.clear();
        if (listener != null)
        {
            for (int i = 0, size = written.size(); i < size; i++)
            {
                final Change change = written.get(i);
                if (change.peerId == 0)
                {
                    listener.privacyChanged(change.userId, change.after);
                }
                else
                {
                    listener.relationChanged(change.userId, change.peerId, change.before, change.after);
                }
            }
        }
        written.clear();
    }

    /** The write failed (or the shard changed hands): nothing of the batch happened, and the cache may be ahead. */
    void onWriteFailed()
    {
        cache.clear();
        pendingRequests.clear();
        batchViews.clear();
        batchPrivacy.clear();
        pending.clear();
        written.clear();
    }

    void close()
    {
        reader.close();
    }

    // ----------------------------------------------------------------------------------------------- frames

    private static byte flags(final PrivacySettings settings)
    {
        return (byte)((settings.getAllowStrangers() ? FriendStore.ALLOWS_STRANGERS : 0) |
            (settings.getHidePresence() ? FriendStore.HIDES_PRESENCE : 0));
    }

    private static Content content(final FriendOpType op, final long actor, final long userId, final String greeting)
    {
        final FriendEvent.Builder change = FriendEvent.newBuilder().setOp(op).setActorUserId(actor).setUserId(userId);
        if (!greeting.isEmpty())
        {
            change.setGreeting(greeting);
        }
        return Content.newBuilder().setType(ContentType.FRIEND_EVENT).setBody(change.build().toByteString()).build();
    }

    private static FriendResult.Builder result(
        final SwitchEvent event, final FriendOpType op, final long peer, final byte state)
    {
        return FriendResult.newBuilder().setRequestId(event.requestId).setOp(op).setUserId(peer).setStateValue(state);
    }

    private static boolean answer(final SwitchEvent event, final FriendResult.Builder result, final AudienceWork work)
    {
        work.response = Frame.newBuilder().setFriendResult(result).build();
        event.audience = work;
        event.result = SwitchEvent.RESULT_OK;
        return true;
    }

    private static boolean refuse(final SwitchEvent event, final ErrorCode code, final String message)
    {
        return refuse(event, code, message, 0);
    }

    private static boolean refuse(
        final SwitchEvent event, final ErrorCode code, final String message, final int retryAfterMs)
    {
        final AudienceWork work = new AudienceWork();
        work.refusal = code;
        work.refusalMessage = message;
        work.refusalRetryAfterMs = retryAfterMs;
        event.audience = work;
        event.result = SwitchEvent.RESULT_REFUSED;
        return false;
    }

    /** A user and a peer: the key of a view. */
    private record Pair(long userId, long peerId)
    {
    }

    /** A view that changed ({@code peerId} 0: privacy flags, in {@code after}). */
    private record Change(long userId, long peerId, int before, int after)
    {
    }
}
