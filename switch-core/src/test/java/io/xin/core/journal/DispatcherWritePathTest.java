package io.xin.core.journal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.XinSwitch;
import io.xin.core.device.Session;
import io.xin.core.dispatch.Dispatcher;
import io.xin.core.session.SessionContext;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dispatcher's write path driven synchronously: frames reach a channel only when its event loop runs the
 * batch's task, every channel is flushed once per batch, and pushes queued in a task not yet run count
 * against the channel's high water mark. (In the journal's package: the ring event's fields are package-private.)
 */
class DispatcherWritePathTest
{
    private static final long SENDER = 1;
    private static final long RECIPIENT = 2;
    private static final int HIGH_WATER_MARK_BYTES = 1024;

    private final SwitchCounters counters = new SwitchCounters();
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private Dispatcher dispatcher;
    private long sequence;
    private int writabilityChecks;

    @BeforeEach
    void setUp()
    {
        final XinSwitch.Context settings = new XinSwitch.Context().jwtSecret("dispatcher-write-path-secret-32-bytes!");
        final SessionContext sessions = new SessionContext(settings, null, (com.lmax.disruptor.RingBuffer<SwitchEvent>)null,
            null, new SwitchStatus(), counters);
        dispatcher = new Dispatcher(sessions, counters);
    }

    @AfterEach
    void tearDown()
    {
        for (final EmbeddedChannel channel : channels)
        {
            channel.finishAndReleaseAll();
        }
    }

    private Session login(final long userId)
    {
        final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter()
        {
            @Override
            public void channelWritabilityChanged(final ChannelHandlerContext ctx)
            {
                writabilityChecks++;
                ctx.fireChannelWritabilityChanged();
            }
        });
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(HIGH_WATER_MARK_BYTES / 2, HIGH_WATER_MARK_BYTES));
        channels.add(channel);
        final Session session = new Session(channel, userId, "phone");
        final SwitchEvent event = new SwitchEvent();
        event.type = SwitchEvent.LOGIN;
        event.session = session;
        dispatcher.onEvent(event, ++sequence, true);
        channel.runPendingTasks();
        drain(channel);
        return session;
    }

    private SwitchEvent send(final Session sender, final int bodyBytes, final long seq)
    {
        final byte[] stored = Message.newBuilder()
            .setMsgId(seq)
            .setFromUserId(SENDER)
            .setToUserId(RECIPIENT)
            .setClientMsgId("c-" + seq)
            .setContent(Content.newBuilder().setTypeValue(1).setBody(ByteString.copyFrom(new byte[bodyBytes])))
            .build()
            .toByteArray();
        final SwitchEvent event = new SwitchEvent();
        event.type = SwitchEvent.SEND;
        event.session = sender;
        event.requestId = seq;
        event.toUserId = RECIPIENT;
        event.clientMsgId = "c-" + seq;
        RingSlots.clientMsgId(event, "c-" + seq);
        event.result = SwitchEvent.RESULT_OK;
        event.msgId = seq;
        event.senderSeq = seq;
        event.recipientSeq = seq;
        event.stored = stored;
        event.storedLength = stored.length;
        sender.incrementInFlightSends();
        return event;
    }

    private static List<Frame> drain(final EmbeddedChannel channel)
    {
        final List<Frame> frames = new ArrayList<>();
        Object out;
        while ((out = channel.readOutbound()) != null)
        {
            if (out instanceof Frame frame)
            {
                // LoginOk and Kicked are written as protobuf objects.
                frames.add(frame);
                continue;
            }
            final ByteBuf buf = (ByteBuf)out;
            try
            {
                final CodedInputStream input = CodedInputStream.newInstance(ByteBufUtil.getBytes(buf));
                final int length = input.readUInt32();
                frames.add(Frame.parseFrom(input.readRawBytes(length)));
            }
            catch (final java.io.IOException ex)
            {
                throw new AssertionError(ex);
            }
            finally
            {
                buf.release();
            }
        }
        return frames;
    }

    @Test
    void shouldWriteABatchsFramesOnlyWhenTheEventLoopRunsItsOneTask()
    {
        final Session sender = login(SENDER);
        login(RECIPIENT);
        final EmbeddedChannel senderChannel = (EmbeddedChannel)sender.channel();
        final EmbeddedChannel recipientChannel = channels.get(1);

        dispatcher.onEvent(send(sender, 10, 1), ++sequence, false);
        dispatcher.onEvent(send(sender, 10, 2), ++sequence, true);

        assertTrue(drain(senderChannel).isEmpty(), "nothing written before the loop runs the batch's task");
        assertTrue(drain(recipientChannel).isEmpty());
        senderChannel.runPendingTasks();
        recipientChannel.runPendingTasks();
        final List<Frame> acks = drain(senderChannel);
        final List<Frame> delivers = drain(recipientChannel);
        assertEquals(2, acks.size());
        assertEquals(1, acks.get(0).getSendAck().getSeq());
        assertEquals("c-2", acks.get(1).getSendAck().getClientMsgId());
        assertEquals(2, delivers.size());
        assertEquals(1, delivers.get(0).getDeliver().getMessage().getSeq());
        assertEquals(2, delivers.get(1).getDeliver().getMessage().getSeq());
        assertEquals(0, sender.queuedBytes());
        assertEquals(2, counters.pushesSent.sum());
    }

    @Test
    void shouldDropPushesPastTheHighWaterMarkCountingBytesQueuedInTasksNotYetRun()
    {
        final Session sender = login(SENDER);
        final Session recipient = login(RECIPIENT);
        final EmbeddedChannel recipientChannel = (EmbeddedChannel)recipient.channel();
        assertTrue(recipientChannel.isWritable());

        // Each Deliver is about 300 bytes: four fit under 1 KiB, the rest of the batch must be dropped although
        // Netty's own count is still zero.
        final int sends = 10;
        for (int i = 1; i <= sends; i++)
        {
            dispatcher.onEvent(send(sender, 280, i), ++sequence, i == sends);
        }
        assertTrue(recipientChannel.isWritable(), "nothing reached the channel yet");
        final long sent = counters.pushesSent.sum();
        assertTrue(sent >= 3 && sent <= 4, "pushes sent: " + sent);
        assertEquals(sends - sent, counters.pushesDropped.sum());
        assertTrue(recipient.mustSyncPending());

        recipientChannel.runPendingTasks();
        assertEquals(sent, drain(recipientChannel).size());
        assertEquals(0, recipient.queuedBytes());
        assertTrue(writabilityChecks > 0, "the task lets the session send its sync hint");
        ((EmbeddedChannel)sender.channel()).runPendingTasks();
        assertEquals(sends, drain((EmbeddedChannel)sender.channel()).size(), "every SendAck is written");
        assertFalse(sender.mustSyncPending());
    }
}
