package io.xin.server.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code xin server} with its admin port already taken: the start fails before the store is opened and
 * before the client port listens, so no client ever connects to a switch that then goes away.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class AdminPortTakenIT
{
    @TempDir
    Path dir;

    @Test
    void shouldFailTheStartBeforeTheClientPortListensWhenTheAdminPortIsTaken() throws Exception
    {
        final Path dataDir = Files.createDirectories(dir.resolve("data"));
        final int clientPort = freePort();
        final AtomicBoolean probing = new AtomicBoolean(true);
        final AtomicBoolean connected = new AtomicBoolean();
        final AtomicInteger probes = new AtomicInteger();
        final Thread prober = new Thread(() ->
        {
            while (probing.get())
            {
                try (Socket socket = new Socket())
                {
                    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), clientPort), 100);
                    connected.set(true);
                }
                catch (final IOException refused)
                {
                    // not listening: what is expected throughout
                }
                probes.incrementAndGet();
                try
                {
                    Thread.sleep(1);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
        }, "client-port-prober");

        final StringWriter err = new StringWriter();
        final int exit;
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            prober.start();
            final CommandLine commandLine = ServerCommand.commandLine();
            commandLine.setErr(new PrintWriter(err, true));
            exit = commandLine.execute(
                "--host", "127.0.0.1", "--port", Integer.toString(clientPort),
                "--admin-host", "127.0.0.1", "--admin-port", Integer.toString(taken.getLocalPort()),
                "--data-dir", dataDir.toString(),
                "--jwt-secret", "admin-port-test-secret-of-at-least-32-bytes",
                "--io-threads", "1", "--sync-threads", "1");
        }
        finally
        {
            probing.set(false);
            prober.join(5_000);
        }

        assertEquals(ServerCommand.EXIT_FAILED, exit, "exit status; stderr: " + err);
        assertTrue(probes.get() > 0, "the client port was probed");
        assertFalse(connected.get(), "a client connected to the client port of a switch that did not start");
        try (var entries = Files.list(dataDir))
        {
            assertEquals(0, entries.count(), "the store was opened in " + dataDir);
        }
        assertTrue(err.toString().startsWith("Admin HTTP failed to start: cannot listen on admin 127.0.0.1:"),
            err.toString());
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
