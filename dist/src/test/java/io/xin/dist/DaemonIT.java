package io.xin.dist;

import com.google.protobuf.ByteString;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.xin.client.XinClient;
import io.xin.core.auth.TokenIssuer;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.Message;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged daemon as operators run it: unpacked from the tarball, started through bin/xind as a
 * process of its own, reached through TLS directly and through a PROXY v2 load balancer stand-in,
 * scraped, stopped with SIGTERM in the middle of traffic, and started again on the same data.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@Tag("slow")
final class DaemonIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    /** TEST-NET-2 (RFC 5737): only ever written into a PROXY header, never contacted. */
    private static final byte[] LB_CLIENT_ADDRESS = { (byte)198, 51, 100, 7 };
    private static final long SHUTDOWN_DEADLINE_MS = 20_000;

    @TempDir
    Path dir;

    @TempDir
    static Path installDir;
    static Path home;

    private Path caFile;
    private Path certFile;
    private Path keyFile;
    private int port;
    private int proxyPort;
    private int adminPort;
    private final Map<String, String> env = Map.of("XIN_JWT_SECRET", Daemon.SECRET);
    private SslContext trustTheCertificate;

    @BeforeAll
    static void unpack() throws Exception
    {
        home = Daemon.unpack(installDir);
    }

    @BeforeEach
    void certificateAndPorts() throws Exception
    {
        final X509Bundle authority = new CertificateBuilder()
            .subject("CN=Xin test CA").ecp256().setIsCertificateAuthority(true).buildSelfSigned();
        final X509Bundle certificate = new CertificateBuilder()
            .subject("CN=localhost").addSanIpAddress("127.0.0.1").ecp256().addExtendedKeyUsageServerAuth()
            .buildIssuedBy(authority);
        caFile = Files.writeString(dir.resolve("ca.pem"), authority.getCertificatePEM());
        certFile = Files.writeString(dir.resolve("cert.pem"), certificate.getCertificatePEM());
        keyFile = Files.writeString(dir.resolve("key.pem"), certificate.getPrivateKeyPEM());
        port = Daemon.freePort();
        proxyPort = Daemon.freePort();
        adminPort = Daemon.freePort();
        trustTheCertificate = SslContextBuilder.forClient().trustManager(caFile.toFile()).build();
    }

    private Path config(final long shutdownDeadlineMs) throws Exception
    {
        return config(shutdownDeadlineMs, 0);
    }

    private Path config(final long shutdownDeadlineMs, final long drainNoticeMs) throws Exception
    {
        return Files.writeString(dir.resolve("xin.properties"), String.join("\n",
            "host = 127.0.0.1",
            "port = " + port,
            "proxy-port = " + proxyPort,
            "admin-host = 127.0.0.1",
            "admin-port = " + adminPort,
            "data-dir = " + dir.resolve("data"),
            "tls-cert = " + certFile,
            "tls-key = " + keyFile,
            "fsync = batch",
            "io-threads = 2",
            "ring-size = 4096",
            "block-cache-bytes = 8388608",
            "write-buffer-bytes = 4194304",
            "go-away-max-reconnect-delay-ms = 1000",
            "drain-timeout-ms = 5000",
            "shutdown-deadline-ms = " + shutdownDeadlineMs,
            "drain-notice-ms = " + drainNoticeMs,
            ""));
    }

    @Test
    void shouldServeTlsAndProxyClientsAndDrainOnSigtermWithoutLosingAnAckedMessage() throws Exception
    {
        final Path config = config(SHUTDOWN_DEADLINE_MS);

        final Set<String> ackedToBob = ConcurrentHashMap.newKeySet();
        final Set<String> ackedToAlice = ConcurrentHashMap.newKeySet();
        try (Daemon daemon = Daemon.start(home, dir.resolve("first.log"), env, "--config", config.toString());
            ProxyRelay loadBalancer = new ProxyRelay(proxyPort, LB_CLIENT_ADDRESS, 40_000))
        {
            daemon.awaitReady(adminPort, 60_000);
            assertEquals(200, Daemon.get(adminPort, "/healthz").statusCode());
            assertEquals(200, Daemon.post(adminPort, "/loglevel?logger=io.xin.core.net&level=DEBUG").statusCode());

            final Recorder aliceEvents = new Recorder();
            final Recorder bobEvents = new Recorder();
            try (XinClient alice = client(ALICE, "alice-phone", port, trustTheCertificate, aliceEvents);
                XinClient bob = client(BOB, "bob-phone", loadBalancer.port(), trustTheCertificate, bobEvents))
            {
                alice.connect().get(10, TimeUnit.SECONDS);
                bob.connect().get(10, TimeUnit.SECONDS);

                // The PROXY header's address, not the relay's, is the client's address in the switch.
                awaitLog(daemon, "Connection from /198.51.100.7:40000 via /127.0.0.1:");

                final AtomicBoolean stop = new AtomicBoolean();
                final Thread aliceSends = sender(alice, BOB, ackedToBob, stop);
                final Thread bobSends = sender(bob, ALICE, ackedToAlice, stop);
                awaitAtLeast(() -> Math.min(ackedToBob.size(), ackedToAlice.size()), 200, 30_000);

                final String metrics = Daemon.get(adminPort, "/metrics").body();
                assertTrue(value(metrics, "xin_sessions_open") >= 2, metrics);
                assertTrue(value(metrics, "xin_logins_total") >= 2, metrics);
                assertTrue(value(metrics, "xin_proxy_headers_total") >= 1, metrics);
                assertTrue(value(metrics, "xin_tls_handshakes_total") >= 2, metrics);
                assertTrue(value(metrics, "xin_messages_stored_total") >= 400, metrics);
                assertTrue(value(metrics, "xin_frames_in_total") >= 400, metrics);
                assertTrue(value(metrics, "xin_frames_out_total") >= 400, metrics);
                assertTrue(value(metrics, "xin_journal_batch_events_count") >= 1, metrics);
                assertTrue(value(metrics, "xin_journal_write_seconds_count") >= 1, metrics);
                assertEquals(1, value(metrics, "xin_ready"), metrics);
                for (final String series : new String[]{ "xin_ring_occupancy", "xin_pushes_dropped_total",
                    "xin_login_failures_total", "jvm_gc_collection_seconds_count", "jvm_memory_used_bytes",
                    "process_open_fds" })
                {
                    assertTrue(metrics.contains("\n" + series), series + " missing from\n" + metrics);
                }

                final long termNs = System.nanoTime();
                daemon.terminate();
                awaitAtLeast(() -> aliceEvents.goAways.get() + bobEvents.goAways.get(), 2, 10_000);
                final int exitCode = daemon.awaitExit(SHUTDOWN_DEADLINE_MS + 5_000);
                final long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - termNs);
                stop.set(true);
                aliceSends.join(10_000);
                bobSends.join(10_000);

                assertEquals(0, exitCode, "exit after a clean drain:\n" + daemon.log());
                assertTrue(stopMs < SHUTDOWN_DEADLINE_MS, "stopped in " + stopMs + " ms");
                assertEquals(1, aliceEvents.goAways.get(), "alice's GoAway");
                assertEquals(1, bobEvents.goAways.get(), "bob's GoAway (through the load balancer)");
                final String log = daemon.log();
                assertTrue(log.contains("SIGTERM received: draining"), log);
                assertTrue(log.contains("Xin switch stopped in"), log);
                assertFalse(log.contains("LEAK:"), log);
                assertFalse(log.contains(" ERROR "), log);
            }
        }

        assertEveryAckedMessageStoredAfterRestart(ackedToBob, ackedToAlice);
    }

    @ParameterizedTest
    @ValueSource(strings = { "second SIGTERM", "shutdown deadline" })
    void shouldForceTheExitWithoutLosingAnAckedMessage(final String forcedBy) throws Exception
    {
        final boolean byDeadline = forcedBy.equals("shutdown deadline");
        // A second SIGTERM comes while the drain notice keeps the first drain going.
        final Path config = byDeadline ? config(1) : config(SHUTDOWN_DEADLINE_MS, 5_000);
        final Set<String> ackedToBob = ConcurrentHashMap.newKeySet();
        final Set<String> ackedToAlice = ConcurrentHashMap.newKeySet();
        try (Daemon daemon = Daemon.start(home, dir.resolve("first.log"), env, "--config", config.toString());
            XinClient alice = client(ALICE, "alice-phone", port, trustTheCertificate, new Recorder());
            XinClient bob = client(BOB, "bob-phone", port, trustTheCertificate, new Recorder()))
        {
            daemon.awaitReady(adminPort, 60_000);
            alice.connect().get(10, TimeUnit.SECONDS);
            bob.connect().get(10, TimeUnit.SECONDS);
            final AtomicBoolean stop = new AtomicBoolean();
            final Thread aliceSends = sender(alice, BOB, ackedToBob, stop);
            final Thread bobSends = sender(bob, ALICE, ackedToAlice, stop);
            awaitAtLeast(() -> Math.min(ackedToBob.size(), ackedToAlice.size()), 200, 30_000);

            daemon.terminate();
            if (!byDeadline)
            {
                awaitLog(daemon, "leaving service: not ready any more, still serving");
                assertEquals(503, Daemon.get(adminPort, "/readyz").statusCode(), "not ready during the notice");
                daemon.terminate();
            }
            final int exitCode = daemon.awaitExit(10_000);
            stop.set(true);
            aliceSends.join(10_000);
            bobSends.join(10_000);

            assertEquals(3, exitCode, "forced exit status:\n" + daemon.log());
            assertTrue(daemon.log().contains(byDeadline ? "shutdown deadline of 1 ms" : "SIGTERM received again"),
                daemon.log());
            assertEquals(List.of(), daemon.nativeLibrariesLeftInTmp(),
                "native libraries (RocksDB's, Netty's) left in java.io.tmpdir by a forced exit");
        }
        assertEveryAckedMessageStoredAfterRestart(ackedToBob, ackedToAlice);
    }

    private void assertEveryAckedMessageStoredAfterRestart(
        final Set<String> ackedToBob, final Set<String> ackedToAlice) throws Exception
    {
        // Same data, plain restart: every message that was acknowledged is in its recipient's inbox.
        try (Daemon daemon = Daemon.start(home, dir.resolve("second.log"), env, "--config",
            config(SHUTDOWN_DEADLINE_MS).toString()))
        {
            daemon.awaitReady(adminPort, 60_000);
            final Recorder aliceInbox = new Recorder();
            final Recorder bobInbox = new Recorder();
            try (XinClient alice = client(ALICE, "alice-tablet", port, trustTheCertificate, aliceInbox);
                XinClient bob = client(BOB, "bob-tablet", port, trustTheCertificate, bobInbox))
            {
                // A new device syncs the whole inbox by itself after login and hands over every message.
                final long aliceHead = alice.connect().get(10, TimeUnit.SECONDS).getHeadSeq();
                final long bobHead = bob.connect().get(10, TimeUnit.SECONDS).getHeadSeq();
                awaitAtLeast(() -> alice.lastSeq() >= aliceHead && bob.lastSeq() >= bobHead ? 1 : 0, 1, 30_000);
                final Set<String> inBobsInbox = bobInbox.clientMsgIdsFrom(ALICE);
                final Set<String> inAlicesInbox = aliceInbox.clientMsgIdsFrom(BOB);
                assertTrue(inBobsInbox.containsAll(ackedToBob),
                    "acked to bob but missing: " + missing(ackedToBob, inBobsInbox));
                assertTrue(inAlicesInbox.containsAll(ackedToAlice),
                    "acked to alice but missing: " + missing(ackedToAlice, inAlicesInbox));
            }
            daemon.terminate();
            assertEquals(0, daemon.awaitExit(SHUTDOWN_DEADLINE_MS + 5_000), daemon.log());
        }
    }

    private static XinClient client(
        final long userId, final String deviceId, final int port, final SslContext ssl, final Recorder recorder)
    {
        return XinClient.builder()
            .host("127.0.0.1")
            .port(port)
            .sslContext(ssl)
            .token(new TokenIssuer(Daemon.SECRET).issue(userId, Duration.ofHours(1)))
            .deviceId(deviceId)
            .autoReconnect(false)
            .initialSeq(0)
            .listener(recorder)
            .build();
    }

    /** Sends as fast as acks come back, at most 64 unacknowledged, until told to stop. */
    private static Thread sender(final XinClient from, final long to, final Set<String> acked, final AtomicBoolean stop)
    {
        final Thread thread = new Thread(() ->
        {
            final Semaphore window = new Semaphore(64);
            final AtomicLong count = new AtomicLong();
            try
            {
                while (!stop.get())
                {
                    if (!window.tryAcquire(100, TimeUnit.MILLISECONDS))
                    {
                        continue;
                    }
                    final String clientMsgId = from.userId() + "-" + count.incrementAndGet();
                    from.send(to, clientMsgId, Content.newBuilder().setType(ContentType.TEXT)
                            .setBody(ByteString.copyFrom("message " + clientMsgId, StandardCharsets.UTF_8)).build())
                        .whenComplete((ack, error) ->
                        {
                            if (error == null)
                            {
                                acked.add(clientMsgId);
                            }
                            window.release();
                        });
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "sender-" + from.userId());
        thread.start();
        return thread;
    }

    private static Set<String> missing(final Set<String> acked, final Set<String> stored)
    {
        final Set<String> missing = new HashSet<>(acked);
        missing.removeAll(stored);
        return missing;
    }

    private static double value(final String metrics, final String series)
    {
        final Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        if (!matcher.find())
        {
            throw new AssertionError(series + " missing from\n" + metrics);
        }
        return Double.parseDouble(matcher.group(1));
    }

    private static void awaitLog(final Daemon daemon, final String text) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadlineNs)
        {
            if (daemon.log().contains(text))
            {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no '" + text + "' in the log:\n" + daemon.log());
    }

    private static void awaitAtLeast(final java.util.function.IntSupplier value, final int atLeast, final long timeoutMs)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (value.getAsInt() < atLeast)
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("only " + value.getAsInt() + " of " + atLeast + " within " + timeoutMs + " ms");
            }
            Thread.sleep(20);
        }
    }

    private static final class Recorder implements XinClient.Listener
    {
        final AtomicInteger goAways = new AtomicInteger();
        final Map<Long, Set<String>> clientMsgIdsBySender = new ConcurrentHashMap<>();

        @Override
        public void onMessage(final Message message)
        {
            clientMsgIdsBySender.computeIfAbsent(message.getFromUserId(), sender -> ConcurrentHashMap.newKeySet())
                .add(message.getClientMsgId());
        }

        Set<String> clientMsgIdsFrom(final long sender)
        {
            return clientMsgIdsBySender.getOrDefault(sender, Set.of());
        }

        @Override
        public void onGoAway(final GoAway goAway)
        {
            goAways.incrementAndGet();
        }
    }
}
