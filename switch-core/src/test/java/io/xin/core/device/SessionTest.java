package io.xin.core.device;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A session's own writes on its event loop, on an embedded channel: what a push does for each channel state. */
class SessionTest
{
    @Test
    void shouldPushADuplicateAndLeaveTheCallersReference()
    {
        final EmbeddedChannel channel = new EmbeddedChannel();
        final Session session = new Session(channel, 1, "phone");
        final ByteBuf push = Unpooled.wrappedBuffer(new byte[]{ 1, 2, 3 });

        assertEquals(Session.Push.SENT, session.pushOnLoop(push));

        final ByteBuf written = channel.readOutbound();
        assertEquals(3, written.readableBytes());
        written.release();
        assertEquals(1, push.refCnt(), "the caller's reference is its own");
        push.release();
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldNotPushToAChannelThatTakesNoMore()
    {
        final EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
        channel.write(Unpooled.wrappedBuffer(new byte[8]));
        final Session session = new Session(channel, 1, "phone");
        final ByteBuf push = Unpooled.wrappedBuffer(new byte[]{ 1 });

        assertEquals(Session.Push.NOT_WRITABLE, session.pushOnLoop(push));

        assertEquals(1, push.refCnt());
        push.release();
        channel.flush();
        ((ByteBuf)channel.readOutbound()).release();
        assertNull(channel.readOutbound(), "nothing but the earlier write");
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldNotPushToAClosedChannel()
    {
        final EmbeddedChannel channel = new EmbeddedChannel();
        final Session session = new Session(channel, 1, "phone");
        channel.close();
        final ByteBuf push = Unpooled.wrappedBuffer(new byte[]{ 1 });

        assertEquals(Session.Push.CLOSED, session.pushOnLoop(push));

        assertEquals(1, push.refCnt());
        push.release();
        channel.finishAndReleaseAll();
    }
}
