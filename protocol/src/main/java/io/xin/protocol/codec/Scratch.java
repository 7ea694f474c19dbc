package io.xin.protocol.codec;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * One reused byte array per thread for the codec, so a frame in a direct buffer is parsed and written
 * without a new array per frame. protobuf-java's {@code CodedInputStream} copies a direct
 * {@code ByteBuffer} into a new array of the whole frame before parsing, and its direct-buffer
 * {@code CodedOutputStream} costs 160 bytes a frame; an array of our own costs neither.
 * <p>
 * Per thread, not per channel: a million idle sessions share the event loops' few arrays. Frames
 * longer than {@link #MAX_BYTES} are not worth keeping an array that large for; they get one of their own.
 */
final class Scratch
{
    /** The largest array kept per thread: the switch's default frame cap. */
    static final int MAX_BYTES = 64 * 1024;
    private static final int INITIAL_BYTES = 4 * 1024;

    private static final FastThreadLocal<Scratch> DECODE = new FastThreadLocal<>()
    {
        @Override
        protected Scratch initialValue()
        {
            return new Scratch();
        }
    };
    private static final FastThreadLocal<Scratch> ENCODE = new FastThreadLocal<>()
    {
        @Override
        protected Scratch initialValue()
        {
            return new Scratch();
        }
    };

    private byte[] bytes = new byte[INITIAL_BYTES];

    private Scratch()
    {
    }

    /**
     * This thread's array for parsing, at least {@code length} long; valid until the next call on this thread.
     */
    static byte[] forDecode(final int length)
    {
        return DECODE.get().atLeast(length);
    }

    /**
     * This thread's array for writing, at least {@code length} long; valid until the next call on this thread.
     */
    static byte[] forEncode(final int length)
    {
        return ENCODE.get().atLeast(length);
    }

    private byte[] atLeast(final int length)
    {
        if (bytes.length < length)
        {
            bytes = new byte[Math.min(MAX_BYTES, Math.max(length, bytes.length * 2))];
        }
        return bytes;
    }
}
