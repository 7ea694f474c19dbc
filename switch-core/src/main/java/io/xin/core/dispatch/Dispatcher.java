package io.xin.core.dispatch;

import com.lmax.disruptor.EventHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.ChannelFutureListener;
import io.xin.core.device.Frames;
import io.xin.core.device.Placement;
import io.xin.core.device.Session;
import io.xin.storage.fault.KillPoint;
import io.xin.core.journal.Handoff;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.official.ChannelPacer;
import io.xin.core.official.OnlineFollowers;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.codec.EncodedFrames;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.core.journal.AudienceWork;
import io.xin.protocol.pb.ChannelHead;
import io.xin.protocol.pb.LoginOk;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;

/**
 * The dispatcher thread: owns the registry of online devices, answers logins, acknowledges
 * senders once the journal has written their messages, and pushes each new message to every
 * online device of the recipient and to the sender's other devices.
 * <p>
 * Frames for the channels of one event loop are collected in that loop's {@link LoopOutbox} during a
 * batch; at the end of the batch each loop gets its outbox as one task, which writes the frames in order
 * and flushes every channel written once. {@code SendAck} and {@code Deliver} frames are encoded here
 * ({@link EncodedFrames}) into pooled buffers, a {@code Deliver} from the stored message's bytes. A device
 * whose channel cannot take more (Netty's pending bytes plus the bytes queued here past the high water
 * mark) gets no push: the push is dropped, counted, and the device is told to sync when it drains (pushes
 * are hints; the inbox is the truth).
 * <p>
 * All fields are owned by the dispatcher thread.
 */
public final class Dispatcher implements EventHandler<SwitchEvent>
{
    private final Sessions sessions;
    private final SwitchCounters counters;
    private final Queue<Session> closedOverflow;
    /** Online devices by user id. */
    private final OnlineDevices online = new OnlineDevices();
    /** The event loops this dispatcher has written to, and for each the outbox of the current batch. */
    private EventLoop[] loops = new EventLoop[0];
    private LoopOutbox[] outboxes = new LoopOutbox[0];
    /** For each loop, every outbox made for it: the one being filled and those handed over, reused once run. */
    private LoopOutbox[][] outboxPools = new LoopOutbox[0][];
    /** Indexes in {@link #outboxes} of the loops written to in the current batch. */
    private int[] loopsWritten = new int[0];
    private int loopsWrittenCount;
    /** Online followers of channels, for the pacer; written here only. */
    private final OnlineFollowers onlineFollowers;
    private final ChannelPacer pacer;
    /** The channels each online session follows (only sessions that follow any). */
    private final Map<Session, LongHashSet> followsBySession = new HashMap<>();

    /** The dispatcher of a single journal. */
    public Dispatcher(final Sessions sessions, final SwitchCounters counters)
    {
        this(sessions, counters, 0, new OnlineFollowers(), null);
    }

    /**
     * The dispatcher of one journal shard: it knows the online devices of that shard's users only.
     *
     * @param onlineFollowers the registry the pacer reads; this dispatcher is its only writer.
     * @param pacer           where new channel posts go to be pushed; null pushes none.
     */
    public Dispatcher(
        final Sessions sessions,
        final SwitchCounters counters,
        final int shard,
        final OnlineFollowers onlineFollowers,
        final ChannelPacer pacer)
    {
        this.sessions = sessions;
        this.counters = counters;
        this.closedOverflow = sessions.closedOverflow(shard);
        this.onlineFollowers = onlineFollowers;
        this.pacer = pacer;
    }

    @Override
    public void onEvent(final SwitchEvent event, final long sequence, final boolean endOfBatch)
    {
        switch (event.type())
        {
            case SwitchEvent.SEND -> onSend(event);
            case SwitchEvent.LOGIN -> onLogin(event);
            case SwitchEvent.CLOSE -> unregister(event.session());
            case SwitchEvent.GROUP_OP, SwitchEvent.CHANNEL_OP, SwitchEvent.FRIEND_OP -> onAudienceOp(event);
            case SwitchEvent.MOVE_OUT -> moveOut(event.placement());
            default ->
            {
            }
        }
        final List<Handoff> handoffs = event.handoffs();
        if (handoffs != null)
        {
            for (int i = 0, size = handoffs.size(); i < size; i++)
            {
                final Handoff handoff = handoffs.get(i);
                final byte[] stored = handoff.stored();
                push(handoff.recipientId(), null, stored, stored.length, handoff.recipientSeq());
            }
        }
        event.release();
        if (endOfBatch)
        {
            endOfBatch();
        }
    }

    private void onLogin(final SwitchEvent event)
    {
        final Session session = event.session();
        if (event.result() == SwitchEvent.RESULT_FAILED)
        {
            session.writeAndFlush(Frames.loginError(
                event.requestId(), ErrorCode.INTERNAL, "could not read the inbox head", 0), true);
            return;
        }
        if (session.isClosed())
        {
            return;
        }
        register(session);
        final Frame loginOk = sessions.loginOk(event.requestId(), session.userId(), event.headSeq(), event.cursorSeq());
        final AudienceWork audience = event.audience();
        // Written and flushed in one task: a flush alone from this thread makes Netty keep a task holder on the
        // channel's head context for good (96 bytes), which an idle session would carry only for its LoginOk.
        session.writeAndFlush(audience == null || audience.channelHeads() == null ? loginOk :
            withChannels(session, loginOk, audience.channelHeads()), false);
        // After the LoginOk's task is queued on the session's loop: what presence writes to it comes after.
        sessions.online(session);
    }

    private void onSend(final SwitchEvent event)
    {
        final Session sender = event.session();
        sender.decrementInFlightSends();
        switch (event.result())
        {
            case SwitchEvent.RESULT_OK ->
            {
                write(sender, sendAck(sender, event, false));
                if (event.groupId() != 0)
                {
                    pushCopies(event.audience(), sender);
                    return;
                }
                final byte[] stored = event.stored();
                final int storedLength = event.storedLength();
                final long senderId = sender.userId();
                final long recipientId = event.toUserId();
                // A recipient of another journal shard has no seq yet: that shard's dispatcher pushes it.
                if (recipientId != senderId && event.recipientSeq() != 0)
                {
                    push(recipientId, null, stored, storedLength, event.recipientSeq());
                }
                KillPoint.reach(KillPoint.MID_DELIVERY);
                push(senderId, sender, stored, storedLength, event.senderSeq());
            }
            case SwitchEvent.RESULT_DUPLICATE -> write(sender, sendAck(sender, event, true));
            case SwitchEvent.RESULT_MOVED ->
            {
                // Not stored; the device was sent away and resends it on the node that serves it now.
            }
            case SwitchEvent.RESULT_REFUSED -> write(sender, Frames.sendFailed(event.requestId(), event.clientMsgId(),
                event.audience().refusal(), event.audience().refusalMessage()));
            default -> write(sender, Frames.sendFailed(event.requestId(), event.clientMsgId(),
                ErrorCode.STORAGE_FAILURE, "storage failed: the message was not stored; retry later"));
        }
    }

    private static ByteBuf sendAck(final Session sender, final SwitchEvent event, final boolean duplicate)
    {
        // The id is copied into the buffer here: the slot's array is reused once the event is released.
        return EncodedFrames.sendAck(sender.alloc(), event.requestId(), event.clientMsgIdBytes(), event.clientMsgIdLength(),
            event.msgId(), event.senderSeq(), event.serverTimeMs(), duplicate);
    }

    /** Pushes a stored message (1:1, group or group event) to the user's online devices, as one encoded {@code Deliver} they share. */
    private void push(
        final long userId, final Session except, final byte[] stored, final int storedLength, final long seq)
    {
        final Object devices = online.of(userId);
        ByteBuf deliver = null;
        for (int i = 0, n = OnlineDevices.count(devices); i < n; i++)
        {
            final Session device = OnlineDevices.device(devices, i);
            if (device == except || device.isClosed() || !mayPush(device, seq))
            {
                continue;
            }
            if (deliver == null)
            {
                deliver = EncodedFrames.deliver(device.alloc(), stored, 0, storedLength, seq);
                write(device, deliver);
            }
            else
            {
                // Every device gets its own indexes over the same bytes.
                write(device, deliver.retainedDuplicate());
            }
            counters.pushesSent.increment();
        }
    }

    /**
     * The slow-consumer rule: a device gets a push only while its channel can take it, counting what this
     * dispatcher has queued for it and not yet handed to Netty. Otherwise the push is dropped and counted,
     * and the device is marked to sync; the outbox's task (or the channel's next writability change) sends
     * the hint once the channel drains.
     */
    private boolean mayPush(final Session device, final long seq)
    {
        if (device.queuedBytes() < device.bytesBeforeUnwritable())
        {
            return true;
        }
        device.pushDropped(seq);
        counters.pushesDropped.increment();
        touch(device);
        return false;
    }

    private void write(final Session session, final Object frame)
    {
        final int bytes = frame instanceof ByteBuf buf ? buf.readableBytes() : FrameEncoder.encodedLength((Frame)frame);
        final LoopOutbox outbox = touch(session);
        outbox.add(session, frame, bytes);
    }

    /** The outbox of the session's event loop, with the session on its list to flush once. */
    private LoopOutbox touch(final Session session)
    {
        final EventLoop loop = session.eventLoop();
        int index = -1;
        for (int i = 0; i < loops.length; i++)
        {
            if (loops[i] == loop)
            {
                index = i;
                break;
            }
        }
        if (index < 0)
        {
            index = addLoop(loop);
        }
        final LoopOutbox outbox = outboxes[index];
        if (outbox.isEmpty())
        {
            loopsWritten[loopsWrittenCount++] = index;
        }
        if (!session.flushPending())
        {
            session.flushPending(true);
            outbox.touch(session);
        }
        return outbox;
    }

    private int addLoop(final EventLoop loop)
    {
        final int index = loops.length;
        loops = Arrays.copyOf(loops, index + 1);
        loops[index] = loop;
        outboxes = Arrays.copyOf(outboxes, index + 1);
        outboxes[index] = new LoopOutbox();
        outboxPools = Arrays.copyOf(outboxPools, index + 1);
        outboxPools[index] = new LoopOutbox[]{ outboxes[index] };
        loopsWritten = Arrays.copyOf(loopsWritten, index + 1);
        return index;
    }

    /**
     * An outbox of the loop that the loop has finished running, or a new one: as many exist as batches the loop
     * has not yet run, a handful unless the loop is far behind.
     */
    private LoopOutbox nextOutbox(final int index)
    {
        final LoopOutbox[] pool = outboxPools[index];
        for (final LoopOutbox outbox : pool)
        {
            if (!outbox.inFlight())
            {
                return outbox;
            }
        }
        final LoopOutbox outbox = new LoopOutbox();
        final LoopOutbox[] grown = Arrays.copyOf(pool, pool.length + 1);
        grown[pool.length] = outbox;
        outboxPools[index] = grown;
        return outbox;
    }

    private void endOfBatch()
    {
        handOverOutboxes();
        KillPoint.reach(KillPoint.AFTER_ACK);

        Session closed;
        while ((closed = closedOverflow.poll()) != null)
        {
            unregister(closed);
        }
    }

    /** Hands each event loop written to in this batch its outbox, as one task, and starts new outboxes. */
    private void handOverOutboxes()
    {
        for (int i = 0; i < loopsWrittenCount; i++)
        {
            final int index = loopsWritten[i];
            final LoopOutbox outbox = outboxes[index];
            for (int j = 0, count = outbox.touchedCount(); j < count; j++)
            {
                outbox.touched(j).flushPending(false);
            }
            outbox.handOver();
            outboxes[index] = nextOutbox(index);
            try
            {
                loops[index].execute(outbox);
            }
            catch (final RejectedExecutionException ex)
            {
                // The loop is shutting down: its sessions are closing anyway.
                outbox.discard();
            }
        }
        loopsWrittenCount = 0;
    }

    private void register(final Session session)
    {
        final Session replaced = online.register(session);
        if (replaced != null)
        {
            kick(replaced);
        }
    }

    private void kick(final Session replaced)
    {
        counters.sessionsKicked.increment();
        replaced.writeAndFlush(Frames.kicked("a newer login of this device replaced this connection"), true);
    }

    /**
     * Cluster mode: this shard's users are served by another node now. What this batch wrote so far goes to the
     * loops first, so that every device gets the acks and pushes of what was published before the move (their
     * loops run tasks in order), then {@code Kicked{reason: "moved"}}, and is closed. The devices leave the
     * registry at once: nothing published after the move is pushed to them.
     *
     * @param placement where each user went; null names no node.
     */
    private void moveOut(final Placement placement)
    {
        handOverOutboxes();
        final List<Session> devices = online.removeAll();
        long userId = 0;
        Frame kicked = null;
        for (int i = 0, size = devices.size(); i < size; i++)
        {
            final Session device = devices.get(i);
            forgetFollows(device);
            sessions.offline(device);
            if (device.isClosed())
            {
                continue;
            }
            // A user's devices are adjacent: one frame (immutable) and one placement question per user.
            if (kicked == null || device.userId() != userId)
            {
                userId = device.userId();
                final String address = placement == null ? null : placement.redirectFor(userId);
                kicked = Frames.movedAway(address == null ? "" : address);
            }
            device.writeAndFlush(kicked, true);
        }
    }

    private void unregister(final Session session)
    {
        forgetFollows(session);
        online.unregister(session);
        sessions.offline(session);
    }

    // ------------------------------------------------------------------------------ groups and channels

    private void onAudienceOp(final SwitchEvent event)
    {
        final Session session = event.session();
        session.decrementInFlightSends();
        final AudienceWork audience = event.audience();
        switch (event.result())
        {
            case SwitchEvent.RESULT_OK ->
            {
                write(session, audience.response());
                // The requester's own device gets its GROUP_EVENT too: nothing else puts it in its inbox.
                pushCopies(audience, null);
                if (audience.followers() != null)
                {
                    followChanged(audience.channelId(), audience.followers(), audience.follow());
                }
                if (audience.post() != null && pacer != null)
                {
                    pacer.offer(audience.post());
                }
            }
            case SwitchEvent.RESULT_MOVED ->
            {
                // Not done; the device was sent away and asks again on the node that serves it now.
            }
            case SwitchEvent.RESULT_REFUSED -> write(session, Frames.error(event.requestId(), audience.refusal(),
                audience.refusalMessage(), false, audience.refusalRetryAfterMs()));
            default -> write(session, Frames.error(event.requestId(), ErrorCode.STORAGE_FAILURE,
                "storage failed: nothing was changed; retry later", false));
        }
    }

    /** Pushes each inbox copy of a group message or GROUP_EVENT to its user's online devices. */
    private void pushCopies(final AudienceWork audience, final Session except)
    {
        final byte[] stored = audience.stored();
        if (stored == null)
        {
            return;
        }
        final long[] userIds = audience.userIds();
        final long[] seqs = audience.seqs();
        for (int i = 0, count = audience.count(); i < count; i++)
        {
            push(userIds[i], except, stored, stored.length, seqs[i]);
        }
    }

    private Frame withChannels(final Session session, final Frame loginOk, final long[] heads)
    {
        final LoginOk.Builder ok = loginOk.getLoginOk().toBuilder();
        final LongHashSet follows = new LongHashSet();
        for (int i = 0; i < heads.length; i += 3)
        {
            ok.addChannels(ChannelHead.newBuilder().setChannelId(heads[i]).setFollowSeq(heads[i + 1])
                .setHeadSeq(heads[i + 2]));
            follows.add(heads[i]);
            onlineFollowers.add(heads[i], session);
        }
        followsBySession.put(session, follows);
        return Frame.newBuilder().setLoginOk(ok).build();
    }

    private void followChanged(final long channelId, final long[] users, final boolean follow)
    {
        for (final long userId : users)
        {
            final Object devices = online.of(userId);
            for (int i = 0, n = OnlineDevices.count(devices); i < n; i++)
            {
                final Session device = OnlineDevices.device(devices, i);
                if (device.isClosed())
                {
                    continue;
                }
                if (follow)
                {
                    followsBySession.computeIfAbsent(device, s -> new LongHashSet()).add(channelId);
                    onlineFollowers.add(channelId, device);
                }
                else
                {
                    final LongHashSet follows = followsBySession.get(device);
                    if (follows != null && follows.remove(channelId) && follows.isEmpty())
                    {
                        followsBySession.remove(device);
                    }
                    onlineFollowers.remove(channelId, device);
                }
            }
        }
    }

    private void forgetFollows(final Session session)
    {
        final LongHashSet follows = followsBySession.remove(session);
        if (follows == null)
        {
            return;
        }
        final LongHashSet.LongIterator channels = follows.iterator();
        while (channels.hasNext())
        {
            onlineFollowers.remove(channels.nextValue(), session);
        }
    }

    /**
     * What the dispatcher needs of the session layer above it, which implements this: the frame that answers a
     * login, and the sessions that closed while their shard's ring was full.
     */
    public interface Sessions
    {
        /**
         * Dispatcher thread: the answer to a login, with the session settings the client follows.
         */
        Frame loginOk(long requestId, long userId, long headSeq, long cursorSeq);

        /**
         * Closed sessions of a shard's users that found its ring full, for that shard's dispatcher to drain.
         */
        Queue<Session> closedOverflow(int shard);

        /**
         * Dispatcher thread: a device logged in (its LoginOk is on its way), for presence. Nothing by default.
         */
        default void online(final Session session)
        {
        }

        /**
         * Dispatcher thread: a device that was online left (closed, or moved away), for presence. Nothing by default.
         */
        default void offline(final Session session)
        {
        }
    }
}
