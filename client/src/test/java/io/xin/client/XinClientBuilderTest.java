package io.xin.client;

import io.xin.protocol.pb.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(10)
class XinClientBuilderTest
{
    @Test
    void shouldRejectMissingOrOutOfRangeSettings()
    {
        assertThrows(IllegalArgumentException.class, () -> XinClient.builder().port(1).token("t").deviceId("d").build());
        assertThrows(IllegalArgumentException.class, () -> valid().port(0).build());
        assertThrows(IllegalArgumentException.class, () -> valid().tokenSupplier(null).build());
        assertThrows(IllegalArgumentException.class, () -> valid().deviceId("").build());
        assertThrows(IllegalArgumentException.class, () -> valid().deviceId("x".repeat(65)).build());
        assertThrows(IllegalArgumentException.class, () -> valid().reconnectMaxDelayMs(100).build());
        assertThrows(IllegalArgumentException.class, () -> valid().ackTimeoutMs(0).build());
        assertThrows(IllegalArgumentException.class, () -> valid().initialSeq(-2).build());
        assertThrows(IllegalArgumentException.class, () -> valid().syncPageLimit(-1).build());
    }

    @Test
    void shouldTakeAClientTlsContextOrNone() throws Exception
    {
        final io.netty.handler.ssl.SslContext client = io.netty.handler.ssl.SslContextBuilder.forClient().build();
        valid().sslContext(client).sslContext(null).build().close();
        valid().sslContext(client).build().close();
    }

    @Test
    void shouldStartNewWithInitialSeqAndNoUser()
    {
        try (XinClient client = valid().initialSeq(17).build())
        {
            assertEquals(XinClient.State.NEW, client.state());
            assertEquals(17, client.lastSeq());
            assertEquals(0, client.userId());
            assertEquals(0, client.pendingSends());
        }
    }

    @Test
    void shouldRejectClientMsgIdOutsideLimits() throws InterruptedException
    {
        try (XinClient client = valid().build())
        {
            final ExecutionException ex = assertThrows(
                ExecutionException.class, () -> client.send(1, "é".repeat(33), Frames.text("x")).get());
            final XinClientException cause = assertInstanceOf(XinClientException.class, ex.getCause());
            assertEquals(ErrorCode.BAD_REQUEST, cause.code());
            assertThrows(ExecutionException.class, () -> client.send(1, "", Frames.text("x")).get());
        }
    }

    @Test
    void shouldFailEverythingAfterClose()
    {
        final XinClient client = valid().build();
        client.close();
        client.close();

        assertEquals(XinClient.State.CLOSED, client.state());
        final ExecutionException ex = assertThrows(ExecutionException.class, () -> client.connect().get());
        assertInstanceOf(XinClientException.class, ex.getCause());
        assertThrows(ExecutionException.class, () -> client.send(1, Frames.text("x")).get());
    }

    @Test
    void shouldGenerateDistinctUrlSafeClientMsgIds()
    {
        final Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++)
        {
            final String id = XinClient.newClientMsgId();
            assertEquals(22, id.length());
            assertTrue(id.matches("[A-Za-z0-9_-]+"), id);
            ids.add(id);
        }
        assertEquals(10_000, ids.size());
    }

    @Test
    void shouldCountUtf8Bytes()
    {
        assertEquals(3, XinClient.utf8LengthBytes("abc"));
        assertEquals(2, XinClient.utf8LengthBytes("é"));
        assertEquals(3, XinClient.utf8LengthBytes("信"));
        assertEquals(4, XinClient.utf8LengthBytes("😀"));
    }

    private static XinClient.Builder valid()
    {
        return XinClient.builder().host("127.0.0.1").port(1).token("t").deviceId("d");
    }
}
