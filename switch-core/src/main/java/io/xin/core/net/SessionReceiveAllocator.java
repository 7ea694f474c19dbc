package io.xin.core.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Sizes each session's read buffers, as Netty's adaptive allocator does, with a per-channel handle of one
 * object (40 bytes) instead of four (about 160: the adaptive handle, its size calculator and two
 * suppliers). The guess doubles, up to {@link #MAX_GUESS_BYTES}, after each read that filled its buffer, so
 * a large frame is read in a few reads; it halves, down to {@link #MIN_GUESS_BYTES}, after a readiness event
 * whose reads used less than half of it. Buffers live only for the read: an idle session holds none.
 * <p>
 * One instance serves every session channel; each handle is owned by its channel's event loop.
 */
public final class SessionReceiveAllocator implements MaxMessagesRecvByteBufAllocator
{
    static final int MIN_GUESS_BYTES = 64;
    static final int INITIAL_GUESS_BYTES = 2048;
    static final int MAX_GUESS_BYTES = 64 * 1024;
    /** Netty's default for stream channels: reads per readiness event before other channels get a turn. */
    private static final int DEFAULT_MAX_MESSAGES_PER_READ = 16;

    private volatile int maxMessagesPerRead = DEFAULT_MAX_MESSAGES_PER_READ;

    @Override
    public Handle newHandle()
    {
        return new Handle(this);
    }

    @Override
    public int maxMessagesPerRead()
    {
        return maxMessagesPerRead;
    }

    @Override
    public SessionReceiveAllocator maxMessagesPerRead(final int maxMessagesPerRead)
    {
        if (maxMessagesPerRead <= 0)
        {
            throw new IllegalArgumentException("maxMessagesPerRead must be positive: " + maxMessagesPerRead);
        }
        this.maxMessagesPerRead = maxMessagesPerRead;
        return this;
    }

    /**
     * One channel's read accounting. Same continue-reading rule as Netty's {@code MaxMessageHandle}: go on
     * while auto-read is on, the last read filled its buffer, fewer than the maximum reads were made and
     * some bytes came.
     */
    static final class Handle implements RecvByteBufAllocator.ExtendedHandle, UncheckedBooleanSupplier
    {
        private final SessionReceiveAllocator allocator;
        private ChannelConfig config;
        private int guessBytes = INITIAL_GUESS_BYTES;
        private int reads;
        private int totalBytesRead;
        private int attemptedBytesRead;
        private int lastBytesRead;

        Handle(final SessionReceiveAllocator allocator)
        {
            this.allocator = allocator;
        }

        @Override
        public ByteBuf allocate(final ByteBufAllocator alloc)
        {
            return alloc.ioBuffer(guessBytes);
        }

        @Override
        public int guess()
        {
            return guessBytes;
        }

        @Override
        public void reset(final ChannelConfig config)
        {
            this.config = config;
            reads = 0;
            totalBytesRead = 0;
        }

        @Override
        public void incMessagesRead(final int messages)
        {
            reads += messages;
        }

        @Override
        public void lastBytesRead(final int bytes)
        {
            lastBytesRead = bytes;
            if (bytes > 0)
            {
                if (bytes == attemptedBytesRead && guessBytes < MAX_GUESS_BYTES)
                {
                    // It filled the buffer: more is likely waiting, read it in larger buffers.
                    guessBytes <<= 1;
                }
                totalBytesRead += bytes;
                if (totalBytesRead < 0)
                {
                    totalBytesRead = Integer.MAX_VALUE;
                }
            }
        }

        @Override
        public int lastBytesRead()
        {
            return lastBytesRead;
        }

        @Override
        public void attemptedBytesRead(final int bytes)
        {
            attemptedBytesRead = bytes;
        }

        @Override
        public int attemptedBytesRead()
        {
            return attemptedBytesRead;
        }

        @Override
        public boolean continueReading()
        {
            return continueReading(this);
        }

        @Override
        public boolean continueReading(final UncheckedBooleanSupplier maybeMoreData)
        {
            return config.isAutoRead() && maybeMoreData.get() && reads < allocator.maxMessagesPerRead &&
                totalBytesRead > 0;
        }

        /** The default "maybe more data": the last read filled its buffer. */
        @Override
        public boolean get()
        {
            return attemptedBytesRead == lastBytesRead;
        }

        @Override
        public void readComplete()
        {
            if (totalBytesRead < guessBytes >>> 1)
            {
                guessBytes = Math.max(MIN_GUESS_BYTES, guessBytes >>> 1);
            }
        }

        int guessBytes()
        {
            return guessBytes;
        }
    }
}
