package io.xin.client;

import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

@Timeout(10)
class PendingSendsTest
{
    private final PendingSends sends = new PendingSends();

    @Test
    void shouldKeepIssueOrderAcrossRetransmissions()
    {
        final PendingSend a = pending("a");
        final PendingSend b = pending("b");
        final PendingSend c = pending("c");
        sends.add(a);
        sends.add(b);
        sends.add(c);

        sends.transmitted(b, 5, 100);
        sends.transmitted(a, 6, 100);

        assertArrayEquals(new PendingSend[]{ a, b, c }, sends.toArray());
    }

    @Test
    void shouldMatchByLatestRequestIdOrClientMsgId()
    {
        final PendingSend a = pending("a");
        sends.add(a);
        sends.transmitted(a, 1, 100);
        sends.transmitted(a, 2, 200);

        assertSame(a, sends.match(2, ""));
        assertSame(a, sends.match(1, "a"));
        assertNull(sends.match(1, ""));
        assertNull(sends.match(0, "b"));
        assertEquals(2, a.transmissions);
    }

    @Test
    void shouldForgetRequestIdsOnDisconnect()
    {
        final PendingSend a = pending("a");
        sends.add(a);
        sends.transmitted(a, 1, 100);

        sends.onDisconnect();

        assertNull(sends.match(1, ""));
        assertEquals(0, a.requestId);
        assertEquals(PendingSends.NEVER, a.retryAtMs);
        assertSame(a, sends.get("a"));
    }

    @Test
    void shouldRemoveFromBothIndexes()
    {
        final PendingSend a = pending("a");
        sends.add(a);
        sends.transmitted(a, 1, 100);

        sends.remove(a);

        assertEquals(0, sends.size());
        assertNull(sends.match(1, "a"));
    }

    private static PendingSend pending(final String clientMsgId)
    {
        return new PendingSend(clientMsgId, 7, Frames.text(clientMsgId), new CompletableFuture<SendAck>());
    }
}
