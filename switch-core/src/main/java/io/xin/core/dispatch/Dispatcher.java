package io.xin.core.dispatch;

import com.lmax.disruptor.EventHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.xin.core.KillPoint;
import io.xin.core.journal.Handoff;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.session.Frames;
import io.xin.core.session.Session;
import io.xin.core.session.SessionContext;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.pb.Deliver;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * The dispatcher thread: owns the registry of online devices, answers logins, acknowledges
 * senders once the journal has written their messages, and pushes each new message to every
 * online device of the recipient and to the sender's other devices.
 * <p>
 * Writes go to the channels without a flush; every channel written in a batch is flushed once at
 * the end of the batch. A device whose channel is not writable gets no push: the push is dropped,
 * counted, and the device is told to sync when it drains (pushes are hints; the inbox is the truth).
 * <p>
 * All fields are owned by the dispatcher thread.
 */
public final class Dispatcher implements EventHandler<SwitchEvent>
{
    private final SessionContext sessions;
    private final SwitchCounters counters;
    private final Queue<Session> closedOverflow;
    /** Online devices by user id. */
    private final Long2ObjectHashMap<Session[]> online = new Long2ObjectHashMap<>();
    private final List<Session> toFlush = new ArrayList<>();

    /** The dispatcher of a single journal. */
    public Dispatcher(final SessionContext sessions, final SwitchCounters counters)
    {
        this(sessions, counters, 0);
    }

    /** The dispatcher of one journal shard: it knows the online devices of that shard's users only. */
    public Dispatcher(final SessionContext sessions, final SwitchCounters counters, final int shard)
    {
        this.sessions = sessions;
        this.counters = counters;
        this.closedOverflow = sessions.closedOverflow(shard);
    }

    @Override
    public void onEvent(final SwitchEvent event, final long sequence, final boolean endOfBatch)
    {
        switch (event.type())
        {
            case SwitchEvent.SEND -> onSend(event);
            case SwitchEvent.LOGIN -> onLogin(event);
            case SwitchEvent.CLOSE -> unregister(event.session());
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
                push(handoff.recipientId(), null, handoff.message(), handoff.recipientSeq());
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
            session.channel().writeAndFlush(Frames.loginError(
                event.requestId(), ErrorCode.INTERNAL, "could not read the inbox head", 0))
                .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (session.isClosed())
        {
            return;
        }
        register(session);
        write(session, sessions.loginOk(event.requestId(), session.userId(), event.headSeq(), event.cursorSeq()));
    }

    private void onSend(final SwitchEvent event)
    {
        final Session sender = event.session();
        sender.decrementInFlightSends();
        switch (event.result())
        {
            case SwitchEvent.RESULT_OK ->
            {
                write(sender, Frames.sendAck(event.requestId(), event.clientMsgId(), event.msgId(), event.senderSeq(),
                    event.serverTimeMs(), false));
                final Message message = event.message();
                final long senderId = sender.userId();
                final long recipientId = event.toUserId();
                // A recipient of another journal shard has no seq yet: that shard's dispatcher pushes it.
                if (recipientId != senderId && event.recipientSeq() != 0)
                {
                    push(recipientId, null, message, event.recipientSeq());
                }
                KillPoint.reach(KillPoint.MID_DELIVERY);
                push(senderId, sender, message, event.senderSeq());
            }
            case SwitchEvent.RESULT_DUPLICATE -> write(sender, Frames.sendAck(event.requestId(), event.clientMsgId(),
                event.msgId(), event.senderSeq(), event.serverTimeMs(), true));
            default -> write(sender, Frames.sendFailed(event.requestId(), event.clientMsgId(),
                ErrorCode.STORAGE_FAILURE, "storage failed: the message was not stored; retry later"));
        }
    }

    private void push(final long userId, final Session except, final Message message, final long seq)
    {
        final Session[] devices = online.get(userId);
        if (devices == null)
        {
            return;
        }
        Frame deliver = null;
        for (final Session device : devices)
        {
            if (device == except || device.isClosed())
            {
                continue;
            }
            final Channel channel = device.channel();
            if (!channel.isWritable())
            {
                device.pushDropped(seq);
                counters.pushesDropped.increment();
                if (channel.isWritable())
                {
                    // It drained between the check and the mark: its writability event may have
                    // missed the mark, so let the event loop look again.
                    channel.eventLoop().execute(() -> channel.pipeline().fireChannelWritabilityChanged());
                }
                continue;
            }
            if (deliver == null)
            {
                deliver = Frame.newBuilder()
                    .setDeliver(Deliver.newBuilder().setMessage(message.toBuilder().setSeq(seq)))
                    .build();
            }
            write(device, deliver);
            counters.pushesSent.increment();
        }
    }

    private void write(final Session session, final Frame frame)
    {
        session.channel().write(frame, session.channel().voidPromise());
        if (!session.flushPending())
        {
            session.flushPending(true);
            toFlush.add(session);
        }
    }

    private void endOfBatch()
    {
        for (int i = 0, size = toFlush.size(); i < size; i++)
        {
            final Session session = toFlush.get(i);
            session.flushPending(false);
            session.channel().flush();
        }
        toFlush.clear();
        KillPoint.reach(KillPoint.AFTER_ACK);

        Session closed;
        while ((closed = closedOverflow.poll()) != null)
        {
            unregister(closed);
        }
    }

    private void register(final Session session)
    {
        final long userId = session.userId();
        final Session[] devices = online.get(userId);
        if (devices == null)
        {
            online.put(userId, new Session[]{ session });
            return;
        }
        for (int i = 0; i < devices.length; i++)
        {
            final Session existing = devices[i];
            if (existing.deviceId().equals(session.deviceId()))
            {
                devices[i] = session;
                kick(existing);
                return;
            }
        }
        final Session[] grown = new Session[devices.length + 1];
        System.arraycopy(devices, 0, grown, 0, devices.length);
        grown[devices.length] = session;
        online.put(userId, grown);
    }

    private void kick(final Session replaced)
    {
        counters.sessionsKicked.increment();
        replaced.channel().writeAndFlush(Frames.kicked("a newer login of this device replaced this connection"))
            .addListener(ChannelFutureListener.CLOSE);
    }

    private void unregister(final Session session)
    {
        final long userId = session.userId();
        final Session[] devices = online.get(userId);
        if (devices == null)
        {
            return;
        }
        int index = -1;
        for (int i = 0; i < devices.length; i++)
        {
            if (devices[i] == session)
            {
                index = i;
                break;
            }
        }
        if (index < 0)
        {
            return;
        }
        if (devices.length == 1)
        {
            online.remove(userId);
            return;
        }
        final Session[] shrunk = new Session[devices.length - 1];
        System.arraycopy(devices, 0, shrunk, 0, index);
        System.arraycopy(devices, index + 1, shrunk, index, devices.length - index - 1);
        online.put(userId, shrunk);
    }
}
