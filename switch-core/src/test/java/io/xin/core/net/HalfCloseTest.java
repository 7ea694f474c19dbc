package io.xin.core.net;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DuplexChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A drained session's half-close on an embedded channel that records its shutdowns (no sockets). */
class HalfCloseTest
{
    private final Duplex channel = new Duplex();

    @AfterEach
    void close()
    {
        channel.finishAndReleaseAll();
    }

    @Test
    void shouldCloseOnlyTheOutputOnceTheWritesAreFlushedAndReadOn()
    {
        channel.config().setAutoRead(false);
        final ChannelPromise flushed = channel.newPromise();
        final int[] flushes = { 0 };

        HalfClose.closeOutputAfterWrites(channel, () ->
        {
            flushes[0]++;
            return flushed;
        });

        assertEquals(1, flushes[0]);
        assertTrue(channel.config().isAutoRead(), "the peer's last frames are read");
        assertEquals(0, channel.outputShutdowns, "not before the writes are on the wire");
        flushed.setSuccess();
        assertEquals(1, channel.outputShutdowns);
        assertTrue(channel.isOpen());
    }

    @Test
    void shouldCloseTheChannelWhenTheWritesFailed()
    {
        final ChannelPromise flushed = channel.newPromise();

        HalfClose.closeOutputAfterWrites(channel, () -> flushed);
        flushed.setFailure(new IOException("reset"));

        assertEquals(0, channel.outputShutdowns);
        assertFalse(channel.isOpen());
    }

    @Test
    void shouldLeaveAChannelThatClosedMeanwhile()
    {
        final ChannelPromise flushed = channel.newPromise();

        HalfClose.closeOutputAfterWrites(channel, () -> flushed);
        channel.close();
        flushed.setSuccess();

        assertEquals(0, channel.outputShutdowns);
    }

    @Test
    void shouldHalfCloseOnlyDuplexChannels()
    {
        assertTrue(HalfClose.supported(channel));
        final EmbeddedChannel plain = new EmbeddedChannel();
        assertFalse(HalfClose.supported(plain));
        plain.finishAndReleaseAll();
    }

    /** An embedded channel that is a duplex one: it counts output shutdowns. */
    private static final class Duplex extends EmbeddedChannel implements DuplexChannel
    {
        int outputShutdowns;

        @Override
        public boolean isInputShutdown()
        {
            return false;
        }

        @Override
        public ChannelFuture shutdownInput()
        {
            return newSucceededFuture();
        }

        @Override
        public ChannelFuture shutdownInput(final ChannelPromise promise)
        {
            return promise.setSuccess();
        }

        @Override
        public boolean isOutputShutdown()
        {
            return outputShutdowns > 0;
        }

        @Override
        public ChannelFuture shutdownOutput()
        {
            return shutdownOutput(newPromise());
        }

        @Override
        public ChannelFuture shutdownOutput(final ChannelPromise promise)
        {
            outputShutdowns++;
            return promise.setSuccess();
        }

        @Override
        public boolean isShutdown()
        {
            return false;
        }

        @Override
        public ChannelFuture shutdown()
        {
            return newSucceededFuture();
        }

        @Override
        public ChannelFuture shutdown(final ChannelPromise promise)
        {
            return promise.setSuccess();
        }
    }
}
