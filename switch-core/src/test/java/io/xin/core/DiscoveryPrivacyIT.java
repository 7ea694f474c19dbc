package io.xin.core;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.xin.client.ContactDiscovery;
import io.xin.client.XinClient;
import io.xin.social.discovery.KeyRing;
import org.agrona.collections.Long2ObjectHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.xin.core.TestDevices.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No phone number, nor a plain hash of one, ever on the wire, on disk or in a log. Every byte the clients send and
 * receive passes through a relay that records it; after users register and a book is discovered, the switch is
 * stopped and every file under its data directory is read, with everything logged meanwhile (Xin's loggers at
 * TRACE). Each is searched for every number as UTF-8 and UTF-16, its digits with and without the country code,
 * and the SHA-1 and SHA-256 of the number and of its digits, raw and in hex. A number sent as a chat message is the
 * control: the same search must find it on the wire and on disk.
 */
@Timeout(180)
class DiscoveryPrivacyIT
{
    private static final String CONTROL = "+8613988776655";

    @TempDir
    Path dataDir;
    @TempDir
    Path keyDir;
    private TestSwitch server;
    private Relay relay;
    private EventLoopGroup clientGroup;
    private final List<XinClient> clients = new ArrayList<>();
    private final LogCapture logs = new LogCapture();

    @AfterEach
    void tearDown() throws Exception
    {
        clients.forEach(XinClient::close);
        if (clientGroup != null)
        {
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (relay != null)
        {
            relay.close();
        }
        if (server != null)
        {
            server.close();
        }
        logs.stop();
    }

    @Test
    void shouldNeverCarryANumberOrItsHashOnTheWireOnDiskOrInALog() throws Exception
    {
        logs.start();
        final Path keyFile = keyDir.resolve("discovery.keys");
        final byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        Files.writeString(keyFile, KeyRing.file(1, seed, 0, null));
        server = new TestSwitch(dataDir, ctx -> ctx.discoveryKeyFile(keyFile).logSegmentBytes(1024 * 1024)
            .logCheckpointBytes(1024 * 1024));
        relay = new Relay(server.port());
        clientGroup = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

        final List<String> numbers = new ArrayList<>();
        final SecureRandom random = new SecureRandom();
        for (long user = 1; user <= 12; user++)
        {
            final String number = "+86139" + String.format("%08d", random.nextInt(100_000_000));
            numbers.add(number);
            final XinClient client = connect(user);
            assertEquals(1, (int)await(new ContactDiscovery(client, "86").register(number)));
        }
        final List<String> book = new ArrayList<>(numbers.subList(0, 8));
        for (int i = 0; i < 8; i++)
        {
            final String miss = "+86137" + String.format("%08d", random.nextInt(100_000_000));
            numbers.add(miss);
            // Stored nationally in the book, as people do.
            book.add(miss.substring(3));
        }
        final XinClient finder = connect(100);
        final Map<String, Long> found = await(new ContactDiscovery(finder, "86").discover(book));
        assertEquals(8, found.size());
        // The control: a number the user chose to send in a message is on the wire and on disk.
        await(finder.send(1, "control-1", TestDevices.text("call me on " + CONTROL)));
        await(new ContactDiscovery(connect(1), "86").unregister());

        clients.forEach(XinClient::close);
        clients.clear();
        server.close();
        server = null;
        relay.close();

        final Needles needles = new Needles(numbers);
        final Needles control = new Needles(List.of(CONTROL));
        final byte[] wire = relay.recorded();
        assertTrue(wire.length > 12 * 100, "the relay saw the traffic: " + wire.length + " bytes");
        assertEquals(List.of(), needles.findIn("the wire", wire));
        assertFalse(control.findIn("the wire", wire).isEmpty(), "the search finds a number that was sent");

        final List<String> onDisk = new ArrayList<>();
        final List<String> controlOnDisk = new ArrayList<>();
        long bytesRead = 0;
        try (Stream<Path> files = Files.walk(dataDir))
        {
            for (final Path file : (Iterable<Path>)files.filter(Files::isRegularFile)::iterator)
            {
                final byte[] bytes = Files.readAllBytes(file);
                bytesRead += bytes.length;
                onDisk.addAll(needles.findIn(dataDir.relativize(file).toString(), bytes));
                controlOnDisk.addAll(control.findIn(file.toString(), bytes));
            }
        }
        assertTrue(bytesRead > 0);
        assertEquals(List.of(), onDisk);
        assertFalse(controlOnDisk.isEmpty(), "the search finds a stored message's number on disk");

        final String logged = logs.text();
        assertTrue(logged.contains("Contact discovery on"), "the capture saw the switch's log");
        assertEquals(List.of(), needles.findIn("the log", logged.getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(), needles.findIn("the log (UTF-16)", logged.getBytes(StandardCharsets.UTF_16BE)));
    }

    private XinClient connect(final long userId) throws Exception
    {
        final XinClient client = XinClient.builder()
            .host("127.0.0.1")
            .port(relay.port())
            .tokenSupplier(() -> server.token(userId))
            .deviceId("phone-" + userId + "-" + clients.size())
            .eventLoopGroup(clientGroup)
            .build();
        clients.add(client);
        await(client.connect());
        return client;
    }

    /** Every form of each number the search looks for, found by its first 8 bytes in one pass over a haystack. */
    private static final class Needles
    {
        private final Long2ObjectHashMap<List<Needle>> byPrefix = new Long2ObjectHashMap<>();

        private record Needle(String what, byte[] bytes)
        {
        }

        Needles(final List<String> numbers) throws Exception
        {
            for (final String number : numbers)
            {
                final String digits = number.substring(1);
                final String national = digits.substring(2);
                for (final String form : List.of(number, digits, national))
                {
                    add(number, form + " as UTF-8", form.getBytes(StandardCharsets.UTF_8));
                    add(number, form + " as UTF-16BE", form.getBytes(StandardCharsets.UTF_16BE));
                    add(number, form + " as UTF-16LE", form.getBytes(StandardCharsets.UTF_16LE));
                }
                for (final String form : List.of(number, digits))
                {
                    for (final String algorithm : List.of("SHA-1", "SHA-256"))
                    {
                        final byte[] hash = MessageDigest.getInstance(algorithm)
                            .digest(form.getBytes(StandardCharsets.UTF_8));
                        final String hex = HexFormat.of().formatHex(hash);
                        add(number, algorithm + "(" + form + ")", hash);
                        add(number, algorithm + "(" + form + ") in hex", hex.getBytes(StandardCharsets.US_ASCII));
                        add(number, algorithm + "(" + form + ") in HEX",
                            hex.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
                    }
                }
            }
        }

        private void add(final String number, final String what, final byte[] bytes)
        {
            byPrefix.computeIfAbsent(prefix(bytes, 0), k -> new ArrayList<>())
                .add(new Needle("number #" + Math.abs(number.hashCode() % 1000) + ": " + what.replace(number, "n")
                    .replaceAll("\\d{6,}", "<digits>"), bytes));
        }

        /** @return what was found where; the numbers themselves are not repeated in a failure message. */
        List<String> findIn(final String where, final byte[] haystack)
        {
            final List<String> found = new ArrayList<>();
            long window = 0;
            for (int i = 0; i < haystack.length; i++)
            {
                window = window << 8 | (haystack[i] & 0xFF);
                if (i < 7)
                {
                    continue;
                }
                final List<Needle> candidates = byPrefix.get(window);
                if (candidates == null)
                {
                    continue;
                }
                final int start = i - 7;
                for (final Needle needle : candidates)
                {
                    if (matchesAt(haystack, start, needle.bytes))
                    {
                        found.add(needle.what + " in " + where + " at " + start);
                    }
                }
            }
            return found;
        }

        private static boolean matchesAt(final byte[] haystack, final int start, final byte[] needle)
        {
            if (start + needle.length > haystack.length)
            {
                return false;
            }
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[start + j] != needle[j])
                {
                    return false;
                }
            }
            return true;
        }

        private static long prefix(final byte[] bytes, final int at)
        {
            long value = 0;
            for (int i = 0; i < 8; i++)
            {
                value = value << 8 | (bytes[at + i] & 0xFF);
            }
            return value;
        }
    }

    /** A TCP relay on loopback that records every byte in both directions. */
    private static final class Relay implements AutoCloseable
    {
        private final ServerSocket listener;
        private final int target;
        private final ByteArrayOutputStream recorded = new ByteArrayOutputStream();
        private final List<Socket> sockets = new ArrayList<>();
        private final Thread acceptor;

        Relay(final int target) throws IOException
        {
            this.target = target;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            this.acceptor = new Thread(this::accept, "relay-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port()
        {
            return listener.getLocalPort();
        }

        byte[] recorded()
        {
            synchronized (recorded)
            {
                return recorded.toByteArray();
            }
        }

        private void accept()
        {
            while (!listener.isClosed())
            {
                try
                {
                    final Socket client = listener.accept();
                    final Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    synchronized (sockets)
                    {
                        sockets.add(client);
                        sockets.add(upstream);
                    }
                    pump(client, upstream, "relay-up");
                    pump(upstream, client, "relay-down");
                }
                catch (final IOException ex)
                {
                    return;
                }
            }
        }

        private void pump(final Socket from, final Socket to, final String name)
        {
            final Thread thread = new Thread(() ->
            {
                final byte[] buffer = new byte[16 * 1024];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
                {
                    int n;
                    while ((n = in.read(buffer)) > 0)
                    {
                        synchronized (recorded)
                        {
                            recorded.write(buffer, 0, n);
                        }
                        out.write(buffer, 0, n);
                    }
                }
                catch (final IOException ex)
                {
                    // The other side closed.
                }
                finally
                {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws IOException
        {
            listener.close();
            synchronized (sockets)
            {
                sockets.forEach(Relay::closeQuietly);
            }
        }

        private static void closeQuietly(final Socket socket)
        {
            try
            {
                socket.close();
            }
            catch (final IOException ex)
            {
                // Closing anyway.
            }
        }
    }

    /** Everything Xin logs while attached, at TRACE, with stack traces. */
    private static final class LogCapture extends AppenderBase<ILoggingEvent>
    {
        private final StringBuilder text = new StringBuilder();
        private ch.qos.logback.classic.Logger xin;
        private Level before;

        @Override
        public void start()
        {
            final LoggerContext context = (LoggerContext)LoggerFactory.getILoggerFactory();
            setContext(context);
            xin = context.getLogger("io.xin");
            before = xin.getLevel();
            xin.setLevel(Level.TRACE);
            context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(this);
            super.start();
        }

        @Override
        public void stop()
        {
            if (xin != null)
            {
                ((LoggerContext)getContext()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(this);
                xin.setLevel(before);
                xin = null;
            }
            super.stop();
        }

        @Override
        protected void append(final ILoggingEvent event)
        {
            synchronized (text)
            {
                text.append(event.getLoggerName()).append(' ').append(event.getFormattedMessage()).append('\n');
                if (event.getThrowableProxy() != null)
                {
                    text.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append('\n');
                }
            }
        }

        String text()
        {
            synchronized (text)
            {
                return text.toString();
            }
        }
    }
}
