package io.xin.core.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.xin.core.status.SwitchCounters;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

final class ProxyHeaderHandlerTest
{
    private static final byte[] V2_SIGNATURE =
        { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

    private final SwitchCounters counters = new SwitchCounters();

    private EmbeddedChannel channel()
    {
        return new EmbeddedChannel(new HAProxyMessageDecoder(), new ProxyHeaderHandler(counters));
    }

    @Test
    void shouldTakeTheClientAddressFromAV1HeaderAndPassTheRestThrough()
    {
        final EmbeddedChannel channel = channel();
        final SocketAddressBefore before = new SocketAddressBefore(channel);
        channel.writeInbound(ascii("PROXY TCP4 198.51.100.7 192.0.2.1 40000 7700\r\nhello"));

        assertEquals(new InetSocketAddress("198.51.100.7", 40000), ClientAddress.of(channel));
        assertTrue(before.differs(channel));
        final ByteBuf rest = channel.readInbound();
        assertEquals("hello", rest.toString(StandardCharsets.US_ASCII));
        rest.release();
        assertNull(channel.pipeline().get(ProxyHeaderHandler.class), "leaves the pipeline after the header");
        assertEquals(1, counters.proxyHeaders.sum());
        assertFalse(channel.finish());
    }

    @Test
    void shouldTakeTheClientAddressFromAV2HeaderFedOneByteAtATime()
    {
        final EmbeddedChannel channel = channel();
        final ByteBuffer header = ByteBuffer.allocate(16 + 36 + 3);
        header.put(V2_SIGNATURE).put((byte)0x21).put((byte)0x21).putShort((short)36);
        header.put(new byte[]{ 0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07 });
        header.put(new byte[]{ 0x20, 0x01, 0x0d, (byte)0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 });
        header.putShort((short)50000).putShort((short)7700);
        header.put("abc".getBytes(StandardCharsets.US_ASCII));
        for (final byte b : header.array())
        {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{ b }));
        }

        assertEquals(new InetSocketAddress("2001:db8::7", 50000), ClientAddress.of(channel));
        final StringBuilder rest = new StringBuilder();
        for (ByteBuf buf; (buf = channel.readInbound()) != null; )
        {
            rest.append(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }
        assertEquals("abc", rest.toString());
        assertFalse(channel.finish());
    }

    @Test
    void shouldKeepTheSocketAddressForALocalV2Header()
    {
        final EmbeddedChannel channel = channel();
        final ByteBuffer header = ByteBuffer.allocate(16);
        header.put(V2_SIGNATURE).put((byte)0x20).put((byte)0x00).putShort((short)0);
        channel.writeInbound(Unpooled.wrappedBuffer(header.array()));

        assertEquals(channel.remoteAddress(), ClientAddress.of(channel));
        assertEquals(1, counters.proxyHeaders.sum());
        assertFalse(channel.finish());
    }

    @Test
    void shouldCloseQuietlyAndCountAMalformedHeader()
    {
        final EmbeddedChannel channel = channel();
        channel.writeInbound(ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));

        assertFalse(channel.isOpen());
        assertEquals(1, counters.badProxyHeaders.sum());
        assertEquals(0, counters.proxyHeaders.sum());
        channel.finishAndReleaseAll();
    }

    private static ByteBuf ascii(final String text)
    {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /** The embedded channel's own address, to show the header replaced it. */
    private record SocketAddressBefore(Object address)
    {
        SocketAddressBefore(final EmbeddedChannel channel)
        {
            this((Object)ClientAddress.of(channel));
        }

        boolean differs(final EmbeddedChannel channel)
        {
            return !address.equals(ClientAddress.of(channel));
        }
    }
}
