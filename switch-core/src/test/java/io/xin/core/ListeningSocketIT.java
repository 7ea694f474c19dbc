package io.xin.core;

import io.netty.channel.epoll.Epoll;
import io.xin.core.net.Transport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The epoll listening socket takes the bind address's family: an IPv4 address gets an IPv4 socket (whose
 * connections are the kernel's smaller IPv4 socket objects), an IPv6 one a dual-stack socket. Read from the
 * kernel's own tables, /proc/net/tcp and /proc/net/tcp6.
 */
class ListeningSocketIT
{
    private static final String LISTEN = "0A";
    private static final String ESTABLISHED = "01";

    @TempDir
    Path dataDir;

    @Test
    void shouldListenAndAcceptOnIpv4SocketsWhenBoundToAnIpv4Address() throws IOException
    {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        try (TestSwitch xin = new TestSwitch(dataDir, ctx -> ctx.transport(Transport.EPOLL)))
        {
            final int port = xin.port();
            assertTrue(states("/proc/net/tcp", port).contains(LISTEN), "LISTEN in /proc/net/tcp");
            assertFalse(states("/proc/net/tcp6", port).contains(LISTEN), "LISTEN in /proc/net/tcp6");

            try (Socket client = new Socket(InetAddress.getByName("127.0.0.1"), port))
            {
                // The accepted end is in the IPv4 table; a dual-stack listener would put it in tcp6 as ::ffff:127.0.0.1.
                assertTrue(client.isConnected());
                assertTrue(states("/proc/net/tcp", port).contains(ESTABLISHED), "ESTABLISHED in /proc/net/tcp");
                assertFalse(states("/proc/net/tcp6", port).contains(ESTABLISHED), "ESTABLISHED in /proc/net/tcp6");
            }
        }
    }

    @Test
    void shouldListenOnADualStackSocketWhenBoundToAnIpv6Address() throws IOException
    {
        assumeTrue(Epoll.isAvailable(), "epoll is not available here");
        assumeTrue(Files.exists(Path.of("/proc/net/tcp6")), "no IPv6 here");
        try (TestSwitch xin = new TestSwitch(dataDir, ctx -> ctx.transport(Transport.EPOLL).bindHost("::1")))
        {
            final int port = xin.port();
            assertTrue(states("/proc/net/tcp6", port).contains(LISTEN), "LISTEN in /proc/net/tcp6");
            assertFalse(states("/proc/net/tcp", port).contains(LISTEN), "LISTEN in /proc/net/tcp");
        }
    }

    /** The states of every socket in {@code table} whose local port is {@code port}. */
    private static List<String> states(final String table, final int port) throws IOException
    {
        final String portHex = String.format(Locale.ROOT, ":%04X", port);
        return Files.readAllLines(Path.of(table)).stream()
            .skip(1)
            .map(String::trim)
            .map(line -> line.split("\\s+"))
            .filter(fields -> fields[1].endsWith(portHex))
            .map(fields -> fields[3])
            .toList();
    }
}
