package io.xin.server.admin;

import com.google.protobuf.ByteString;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.xin.core.RawClient;
import io.xin.core.TestSwitch;
import io.xin.protocol.pb.DiscoveryOp;
import io.xin.protocol.pb.DiscoveryRequest;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.social.discovery.KeyRing;
import io.xin.social.discovery.OprfClient;
import io.xin.social.discovery.RegistrationProofs;
import io.xin.storage.StorageException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin port over real HTTP: health, readiness through a drain and after a storage failure,
 * metrics read from the switch's counters, and log levels changed at run time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class AdminServerIT
{
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dataDir;

    @Test
    void shouldReportReadyUntilTheDrainStartsAndHealthyThroughout() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir);
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0))
        {
            assertEquals(200, get(admin, "/healthz").statusCode());
            final HttpResponse<String> ready = get(admin, "/readyz");
            assertEquals(200, ready.statusCode());
            assertEquals("ready\n", ready.body());

            server.xin().announceDrain();
            final HttpResponse<String> leaving = get(admin, "/readyz");
            assertEquals(503, leaving.statusCode());
            assertEquals("draining\n", leaving.body());
            assertEquals(0, value(get(admin, "/metrics").body(), "xin_ready"));
            try (RawClient stillServed = RawClient.loggedIn(server.port(), server.token(1), "phone"))
            {
                assertEquals(1, server.xin().counters().loginsSucceeded.sum(), "logins still taken during the notice");
            }

            server.xin().close();
            assertEquals(503, get(admin, "/readyz").statusCode());
            assertEquals(200, get(admin, "/healthz").statusCode());
        }
    }

    @Test
    void shouldReportNotReadyAfterAStorageFailure() throws Exception
    {
        final AtomicBoolean failWrites = new AtomicBoolean();
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.journalWriter(store -> batch ->
        {
            if (failWrites.get())
            {
                batch.clear();
                throw new StorageException("journal write", new IOException("injected: disk gone"));
            }
            store.append(batch);
        }));
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0);
            RawClient alice = RawClient.loggedIn(server.port(), server.token(1), "phone"))
        {
            failWrites.set(true);
            alice.send(RawClient.text(1, 2, "lost", "not stored"));
            assertEquals(Frame.BodyCase.ERROR, alice.read().getBodyCase());

            final HttpResponse<String> readiness = get(admin, "/readyz");
            assertEquals(503, readiness.statusCode());
            assertEquals("storage failed\n", readiness.body());
            final String metrics = get(admin, "/metrics").body();
            assertEquals(1, value(metrics, "xin_storage_failed"));
            assertEquals(1, value(metrics, "xin_storage_failures_total"));
        }
    }

    @Test
    void shouldExposeTheSwitchCountersAndJournalHistogramsInPrometheusFormat() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir);
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0);
            RawClient alice = RawClient.loggedIn(server.port(), server.token(1), "phone");
            RawClient bob = RawClient.loggedIn(server.port(), server.token(2), "phone"))
        {
            for (int i = 1; i <= 3; i++)
            {
                alice.send(RawClient.text(i, 2, "m" + i, "hello"));
                alice.readUntil(Frame.BodyCase.SEND_ACK, 5_000);
            }

            final HttpResponse<String> response = get(admin, "/metrics");
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                response.headers().toString());
            final String metrics = response.body();
            assertEquals(3, value(metrics, "xin_messages_stored_total"));
            assertEquals(2, value(metrics, "xin_logins_total"));
            assertEquals(2, value(metrics, "xin_sessions_open"));
            assertEquals(5, value(metrics, "xin_frames_in_total"), "two logins and three sends");
            assertTrue(value(metrics, "xin_frames_out_total") >= 8, "2 LoginOk, 3 SendAck, 3 Deliver");
            assertEquals(server.xin().counters().journalBatches.sum(), value(metrics, "xin_journal_batches_total"));
            assertTrue(value(metrics, "xin_journal_batch_events_count") >= 3, metrics);
            assertTrue(value(metrics, "xin_journal_write_seconds_count") >= 3, metrics);
            assertEquals(1024, value(metrics, "xin_ring_size"));
            assertEquals(1, value(metrics, "xin_ready"));
            assertTrue(metrics.contains("\njvm_gc_collection_seconds_count{"), "GC metrics");
            assertTrue(metrics.contains("# TYPE xin_journal_write_seconds histogram"), metrics);
            final Matcher buildInfo = Pattern.compile("(?m)^xin_build_info\\{commit=\"([^\"]+)\",version=\"" +
                Pattern.quote(System.getProperty("xin.project.version")) + "\"} 1(\\.0)?$").matcher(metrics);
            assertTrue(buildInfo.find(), "xin_build_info in\n" + metrics);
            assertTrue(buildInfo.group(1).matches("[0-9a-f]{12}(-dirty)?|unknown"), buildInfo.group(1));
        }
    }

    @Test
    void shouldCountConnectionsRefusedByTheAddressGuardAndLoginsRefusedForFlapping() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.maxConnectionsPerAddress(1)
            .maxLoginsPerDevicePerMinute(1).deviceBanMs(60_000));
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0))
        {
            try (RawClient first = RawClient.loggedIn(server.port(), server.token(1), "phone");
                RawClient second = new RawClient(server.port()))
            {
                assertEquals(ErrorCode.BUSY, second.read().getError().getCode(), "past the per-address cap");
                assertTrue(second.closedWithin(5_000));
            }
            awaitConnectionsClosed(server);
            try (RawClient again = new RawClient(server.port()))
            {
                again.send(RawClient.login(server.token(1), "phone"));
                assertEquals(ErrorCode.TOO_MANY_LOGINS, again.read().getLoginError().getCode(), "the device flaps");
            }

            final String metrics = get(admin, "/metrics").body();
            assertEquals(1, value(metrics, "xin_connections_refused_total{reason=\"too_many_connections\"}"));
            assertEquals(1, value(metrics, "xin_connections_refused_total{reason=\"flapping\"}"));
            assertEquals(0, value(metrics, "xin_connections_refused_total{reason=\"connecting_too_fast\"}"));
            assertEquals(0, value(metrics, "xin_connections_refused_total{reason=\"failed_logins\"}"));
        }
    }

    @Test
    void shouldCountContactDiscoveryWhereItIsServed() throws Exception
    {
        final Path keyFile = Files.writeString(dataDir.resolveSibling(
            dataDir.getFileName() + ".discovery.keys"), KeyRing.newFile(1, new SecureRandom()));
        final Path secretFile = Files.writeString(dataDir.resolveSibling(
            dataDir.getFileName() + ".registration.key"), RegistrationProofs.newFile(new SecureRandom()));
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.discoveryKeyFile(keyFile)
                .discoveryRegistrationKeyFile(secretFile));
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0);
            RawClient alice = RawClient.loggedIn(server.port(), server.token(1), "phone"))
        {
            final byte[] blinded = OprfClient.blind("+8613800000001".getBytes(StandardCharsets.UTF_8),
                new SecureRandom()).blindedElement();
            alice.send(Frame.newBuilder().setDiscovery(DiscoveryRequest.newBuilder().setRequestId(1)
                .setOp(DiscoveryOp.DISCOVERY_EVALUATE).addElements(ByteString.copyFrom(blinded))).build());
            alice.readUntil(Frame.BodyCase.DISCOVERY_RESULT, 5_000);
            alice.send(Frame.newBuilder().setDiscovery(DiscoveryRequest.newBuilder().setRequestId(2)
                .setOp(DiscoveryOp.DISCOVERY_REGISTER).setKeyId(1).addElements(ByteString.copyFrom(new byte[16])))
                .build());
            assertEquals(ErrorCode.NOT_ALLOWED, alice.readUntil(Frame.BodyCase.ERROR, 5_000).getError().getCode());

            final String metrics = get(admin, "/metrics").body();
            assertEquals(1, value(metrics, "xin_discovery_elements_evaluated_total"));
            assertEquals(1, value(metrics, "xin_discovery_registrations_refused_total"));
            assertEquals(0, value(metrics, "xin_discovery_rate_limited_total"));
            assertEquals(0, value(metrics, "xin_discovery_tags_matched_total"));
        }
    }

    @Test
    void shouldExportRocksDbFiguresReadWhenScraped() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir);
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0);
            RawClient alice = RawClient.loggedIn(server.port(), server.token(1), "phone"))
        {
            for (int i = 1; i <= 20; i++)
            {
                alice.send(RawClient.text(i, 2, "m" + i, "hello rocksdb ".repeat(20)));
                alice.readUntil(Frame.BodyCase.SEND_ACK, 5_000);
            }
            final String written = get(admin, "/metrics").body();
            assertTrue(value(written, "xin_rocksdb_memtable_bytes") > 20 * 280, "20 messages in the memtables");
            assertEquals(0, value(written, "xin_rocksdb_sst_files_bytes"), "nothing flushed yet");
            assertEquals(0, value(written, "xin_rocksdb_write_stopped"));
            assertEquals(0, value(written, "xin_rocksdb_delayed_write_rate_bytes_per_second"));
            assertEquals(0, value(written, "xin_rocksdb_write_stall_seconds_total"));
            assertEquals(0, value(written, "xin_rocksdb_running_compactions"));
            assertEquals(0, value(written, "xin_rocksdb_background_errors_total"));
            assertEquals(0, value(written, "xin_rocksdb_pending_compaction_bytes"));
            assertEquals(0, value(written, "xin_rocksdb_compaction_read_bytes_total"));
            assertTrue(written.contains("# TYPE xin_rocksdb_compaction_written_bytes_total counter"), written);

            server.xin().store().compact();
            final String compacted = get(admin, "/metrics").body();
            final double sstBytes = value(compacted, "xin_rocksdb_sst_files_bytes");
            assertTrue(sstBytes > 20 * 200 && sstBytes < 1 << 20, "the messages flushed to SST files: " + sstBytes);
            assertTrue(value(compacted, "xin_rocksdb_live_data_bytes") > 0, compacted);
            assertTrue(value(compacted, "xin_rocksdb_compaction_written_bytes_total") >= 20 * 200,
                "flushes and compactions wrote the SST files");
            assertTrue(value(compacted, "xin_rocksdb_compaction_read_bytes_total") > 0, "the compaction read them");
            assertTrue(value(compacted, "xin_rocksdb_memtable_bytes") < value(written, "xin_rocksdb_memtable_bytes"));

            server.xin().close();
            final HttpResponse<String> closed = get(admin, "/metrics");
            assertEquals(200, closed.statusCode(), "a closed store leaves its series empty, the scrape works");
            assertTrue(!closed.body().contains("\nxin_rocksdb_sst_files_bytes "), closed.body());
        }
    }

    private static void awaitConnectionsClosed(final TestSwitch server) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.xin().counters().sessionsOpen.get() > 0 && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(10);
        }
        assertEquals(0, server.xin().counters().sessionsOpen.get());
    }

    @Test
    void shouldChangeALogLevelAtRunTimeAndRefuseAnUnknownLevel() throws Exception
    {
        final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger("io.xin.test.admin");
        try (TestSwitch server = new TestSwitch(dataDir);
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0))
        {
            assertTrue(!logger.isDebugEnabled());
            final HttpResponse<String> changed = post(admin, "/loglevel?logger=io.xin.test&level=DEBUG");
            assertEquals(200, changed.statusCode());
            assertEquals("io.xin.test DEBUG\n", changed.body());
            assertTrue(logger.isDebugEnabled());
            assertEquals("io.xin.test.admin DEBUG (inherited)\n", get(admin, "/loglevel?logger=io.xin.test.admin").body());

            assertEquals(400, post(admin, "/loglevel?logger=io.xin.test&level=LOUD").statusCode());
            assertEquals(400, post(admin, "/loglevel?level=DEBUG").statusCode());
            assertEquals(200, post(admin, "/loglevel?logger=io.xin.test&level=INHERIT").statusCode());
            assertTrue(!logger.isDebugEnabled());
            assertEquals(404, get(admin, "/nothing-here").statusCode());
            assertEquals(405, post(admin, "/metrics").statusCode());
        }
    }

    @Test
    void shouldTakeALogLevelChangeOnlyWithTheAdminToken() throws Exception
    {
        final String token = "c0ffee00c0ffee00c0ffee00c0ffee00";
        final Path tokenFile = java.nio.file.Files.writeString(dataDir.resolveSibling(dataDir.getFileName() + ".token"),
            token + "\n");
        final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger("io.xin.test.token");
        try (TestSwitch server = new TestSwitch(dataDir);
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0,
                AdminServer.readToken(tokenFile), "127.0.0.1", -1))
        {
            final String change = "/loglevel?logger=io.xin.test.token&level=DEBUG";
            final HttpResponse<String> anonymous = post(admin.port(), change, null);
            assertEquals(401, anonymous.statusCode(), anonymous.body());
            assertEquals("Bearer realm=\"xin-admin\"", anonymous.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals(403, post(admin.port(), change, "c0ffee00c0ffee00c0ffee00c0ffee01").statusCode());
            assertTrue(!logger.isDebugEnabled(), "refused changes change nothing");
            assertEquals(2, value(get(admin, "/metrics").body(), "xin_admin_changes_refused_total"));

            final HttpResponse<String> changed = post(admin.port(), change, token);
            assertEquals(200, changed.statusCode(), changed.body());
            assertTrue(logger.isDebugEnabled());
            assertEquals(200, get(admin, "/loglevel?logger=io.xin.test.token").statusCode(), "reading needs no token");
            assertEquals(200, post(admin.port(), "/loglevel?logger=io.xin.test.token&level=INHERIT", token).statusCode());
            assertTrue(!logger.isDebugEnabled());
        }
    }

    @Test
    void shouldTakeABackupCommandOnlyWithTheAdminToken() throws Exception
    {
        final Path tokenFile = java.nio.file.Files.writeString(dataDir.resolveSibling(dataDir.getFileName() + ".btoken"),
            "0123456789abcdef0123456789abcdef\n");
        final Path wrongFile = java.nio.file.Files.writeString(dataDir.resolveSibling(dataDir.getFileName() + ".wtoken"),
            "fedcba9876543210fedcba9876543210\n");
        final Path backup = dataDir.resolveSibling(dataDir.getFileName() + ".backup");
        try (TestSwitch server = new TestSwitch(dataDir);
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0,
                AdminServer.readToken(tokenFile), "127.0.0.1", -1))
        {
            final String target = "127.0.0.1:" + admin.port();
            assertEquals(1, new picocli.CommandLine(new io.xin.server.daemon.BackupCommand())
                .execute("--admin", target, "--to", backup.toString()), "no token: refused");
            assertEquals(1, new picocli.CommandLine(new io.xin.server.daemon.BackupCommand())
                .execute("--admin", target, "--to", backup.toString(), "--admin-token-file", wrongFile.toString()));
            assertTrue(!java.nio.file.Files.exists(backup), "a refused backup writes nothing");
            assertEquals(0, new picocli.CommandLine(new io.xin.server.daemon.BackupCommand())
                .execute("--admin", target, "--to", backup.toString(), "--admin-token-file", tokenFile.toString()));
            assertTrue(java.nio.file.Files.exists(backup.resolve("CURRENT")), "a RocksDB checkpoint");
        }
    }

    @Test
    void shouldServeHealthAndReadinessOnlyOnTheHealthListener() throws Exception
    {
        final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger("io.xin.test.health");
        try (TestSwitch server = new TestSwitch(dataDir);
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", -1, null, "127.0.0.1", 0))
        {
            assertEquals(-1, admin.port(), "the admin port is off: the health listener serves alone");
            final int health = admin.healthPort();
            assertEquals(200, get(health, "/healthz").statusCode());
            final HttpResponse<String> ready = get(health, "/readyz");
            assertEquals(200, ready.statusCode());
            assertEquals("ready\n", ready.body());

            assertEquals(404, post(health, "/loglevel?logger=io.xin.test.health&level=DEBUG", null).statusCode());
            assertTrue(!logger.isDebugEnabled());
            assertEquals(404, get(health, "/loglevel?logger=io.xin.test.health").statusCode());
            assertEquals(404, get(health, "/metrics").statusCode());
            assertEquals(405, post(health, "/readyz", null).statusCode());

            server.xin().announceDrain();
            assertEquals(503, get(health, "/readyz").statusCode());
            assertEquals(200, get(health, "/healthz").statusCode());
        }
    }

    @Test
    void shouldExportTheExpiryOfTheCertificateServedToNewConnections() throws Exception
    {
        final X509Bundle authority = new CertificateBuilder().subject("CN=Xin test CA").ecp256()
            .setIsCertificateAuthority(true).buildSelfSigned();
        final Instant notAfter = Instant.now().plus(90, ChronoUnit.DAYS);
        final X509Bundle leaf = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
            .addExtendedKeyUsageServerAuth().notAfter(notAfter).ecp256().buildIssuedBy(authority);
        final Path certFile = Files.writeString(dataDir.resolve("cert.pem"), leaf.getCertificatePEM());
        final Path keyFile = Files.writeString(dataDir.resolve("key.pem"), leaf.getPrivateKeyPEM());
        try (TestSwitch server = new TestSwitch(dataDir.resolve("data"), ctx -> ctx.tls(certFile, keyFile));
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0))
        {
            final String metrics = get(admin, "/metrics").body();
            assertEquals(leaf.getCertificate().getNotAfter().toInstant().getEpochSecond(),
                (long)value(metrics, "xin_tls_certificate_expiry_seconds"));
            assertEquals(0, value(metrics, "xin_tls_certificate_reload_failures_total"));
        }
    }

    private static HttpResponse<String> get(final int port, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(final int port, final String path, final String token) throws Exception
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null)
        {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(final AdminServer admin, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(final AdminServer admin, final String path) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double value(final String metrics, final String series)
    {
        final Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertTrue(matcher.find(), series + " missing from\n" + metrics);
        return Double.parseDouble(matcher.group(1));
    }
}
