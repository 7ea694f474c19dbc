package io.xin.core;

import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PROXY port over real sockets: the address in the header, not the balancer's, is what the
 * per-address connection guard counts.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class ProxyProtocolIT
{
    @TempDir
    Path dataDir;

    @Test
    void shouldCountConnectionsPerAddressByTheAddressInTheProxyHeader() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.proxyPort(0).maxConnectionsPerAddress(1));
            RawClient first = proxied(server, "198.51.100.1");
            RawClient second = proxied(server, "198.51.100.2");
            RawClient sameAsFirst = proxied(server, "198.51.100.1"))
        {
            // All three come from 127.0.0.1, the "balancer"; only the third shares a client address.
            first.send(RawClient.login(server.token(1), "phone"));
            assertEquals(Frame.BodyCase.LOGIN_OK, first.read().getBodyCase());
            second.send(RawClient.login(server.token(2), "phone"));
            assertEquals(Frame.BodyCase.LOGIN_OK, second.read().getBodyCase());

            sameAsFirst.send(RawClient.login(server.token(3), "phone"));
            final Frame refused = sameAsFirst.read();
            assertEquals(Frame.BodyCase.ERROR, refused.getBodyCase(), refused.toString());
            assertEquals(ErrorCode.BUSY, refused.getError().getCode());
            assertEquals(1, server.xin().counters().connectionsRefused.sum());
            assertEquals(3, server.xin().counters().proxyHeaders.sum());
        }
    }

    @Test
    void shouldCloseAConnectionOnThePortThatSendsNoProxyHeader() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.proxyPort(0));
            RawClient direct = new RawClient(server.xin().proxyPort()))
        {
            direct.send(RawClient.login(server.token(1), "phone"));
            assertTrue(readFails(direct), "closed without an answer");
            // The decoder closes the connection before it reports the header: the count may trail.
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.xin().counters().badProxyHeaders.sum() == 0 && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(10);
            }
            assertEquals(1, server.xin().counters().badProxyHeaders.sum());
            assertEquals(0, server.xin().counters().loginsSucceeded.sum());
        }
    }

    @Test
    void shouldCloseAndCountAConnectionFromOutsideTheAllowedSourcesBeforeReadingItsHeader() throws Exception
    {
        final InetAddress balancer = InetAddress.getByName("127.0.0.2");
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.proxyPort(0).proxyAllowedSources("127.0.0.2/32")))
        {
            // From 127.0.0.1, not allowed: a header naming any client address would otherwise be believed.
            try (RawClient spoofer = new RawClient(null, server.xin().proxyPort(), 0))
            {
                assertTrue(closedWithoutAnswer(spoofer, server, "198.51.100.9"), "closed without an answer");
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (server.xin().counters().proxySourcesRefused.sum() == 0 && System.nanoTime() < deadlineNs)
            {
                Thread.sleep(10);
            }
            assertEquals(1, server.xin().counters().proxySourcesRefused.sum());
            assertEquals(0, server.xin().counters().proxyHeaders.sum(), "its header was never read");
            assertEquals(0, server.xin().counters().connectionsAccepted.sum(), "no session was made for it");

            // From the allowed balancer address the same header is taken.
            try (RawClient viaBalancer = proxied(server, balancer, "198.51.100.9"))
            {
                viaBalancer.send(RawClient.login(server.token(1), "phone"));
                assertEquals(Frame.BodyCase.LOGIN_OK, viaBalancer.read().getBodyCase());
            }
            assertEquals(1, server.xin().counters().proxyHeaders.sum());
            assertEquals(1, server.xin().counters().proxySourcesRefused.sum());
            // The client port is not a PROXY port: the allowed sources do not apply to it.
            try (RawClient direct = RawClient.loggedIn(server.port(), server.token(2), "phone"))
            {
                assertEquals(2, server.xin().counters().loginsSucceeded.sum());
            }
        }
    }

    @Test
    void shouldRefuseToLaunchWithAnAllowedSourceThatIsNotARange()
    {
        final IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> new TestSwitch(dataDir, ctx -> ctx.proxyPort(0).proxyAllowedSources("198.51.100.1/8")));
        assertTrue(refused.getMessage().startsWith("proxyAllowedSources must be"), refused.getMessage());
    }

    private static RawClient proxied(final TestSwitch server, final String clientAddress) throws Exception
    {
        return proxied(server, null, clientAddress);
    }

    private static RawClient proxied(final TestSwitch server, final InetAddress from, final String clientAddress)
        throws Exception
    {
        final RawClient client = new RawClient(from, server.xin().proxyPort(), 0);
        client.sendRaw(("PROXY TCP4 " + clientAddress + " 127.0.0.1 40000 7700\r\n").getBytes(StandardCharsets.US_ASCII));
        return client;
    }

    /** Sends a header and a login; true when the switch closed the connection instead of answering. */
    private static boolean closedWithoutAnswer(final RawClient client, final TestSwitch server, final String clientAddress)
    {
        try
        {
            client.sendRaw(("PROXY TCP4 " + clientAddress + " 127.0.0.1 40000 7700\r\n").getBytes(StandardCharsets.US_ASCII));
            client.send(RawClient.login(server.token(1), "phone"));
        }
        catch (final java.io.IOException closed)
        {
            return true;
        }
        return readFails(client);
    }

    private static boolean readFails(final RawClient client)
    {
        try
        {
            client.read();
            return false;
        }
        catch (final java.io.IOException closed)
        {
            return true;
        }
    }
}
