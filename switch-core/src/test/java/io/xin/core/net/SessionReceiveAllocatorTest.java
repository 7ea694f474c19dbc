package io.xin.core.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SessionReceiveAllocatorTest
{
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final SessionReceiveAllocator allocator = new SessionReceiveAllocator();
    private final SessionReceiveAllocator.Handle handle = (SessionReceiveAllocator.Handle)allocator.newHandle();

    /** One read as a channel makes it: allocate the guess, read {@code bytes} into it. */
    private void read(final int bytes)
    {
        final ByteBuf buffer = handle.allocate(UnpooledByteBufAllocator.DEFAULT);
        try
        {
            assertEquals(handle.guess(), buffer.capacity());
            handle.attemptedBytesRead(buffer.writableBytes());
            handle.lastBytesRead(Math.min(bytes, buffer.writableBytes()));
            handle.incMessagesRead(1);
        }
        finally
        {
            buffer.release();
        }
    }

    @Test
    void shouldDoubleTheGuessAfterEachReadThatFilledItsBufferUpToTheMaximum()
    {
        handle.reset(channel.config());
        assertEquals(SessionReceiveAllocator.INITIAL_GUESS_BYTES, handle.guess());
        read(1 << 20);
        assertEquals(2 * SessionReceiveAllocator.INITIAL_GUESS_BYTES, handle.guess());
        assertTrue(handle.continueReading(), "a full buffer means more may be waiting");
        for (int i = 0; i < 10; i++)
        {
            read(1 << 20);
        }
        assertEquals(SessionReceiveAllocator.MAX_GUESS_BYTES, handle.guess());
    }

    @Test
    void shouldHalveTheGuessAfterAReadinessEventThatUsedLessThanHalfDownToTheMinimum()
    {
        for (int i = 0; i < 20; i++)
        {
            handle.reset(channel.config());
            read(10);
            assertFalse(handle.continueReading(), "a buffer not filled means nothing more is waiting");
            handle.readComplete();
        }
        assertEquals(SessionReceiveAllocator.MIN_GUESS_BYTES, handle.guess());
    }

    @Test
    void shouldStopAfterTheMaximumReadsPerEventOrWhenAutoReadIsOff()
    {
        allocator.maxMessagesPerRead(2);
        handle.reset(channel.config());
        read(1 << 20);
        assertTrue(handle.continueReading());
        read(1 << 20);
        assertFalse(handle.continueReading(), "two reads is the maximum");

        handle.reset(channel.config());
        read(1 << 20);
        channel.config().setAutoRead(false);
        assertFalse(handle.continueReading(), "auto-read off");
        assertThrows(IllegalArgumentException.class, () -> allocator.maxMessagesPerRead(0));
    }
}
