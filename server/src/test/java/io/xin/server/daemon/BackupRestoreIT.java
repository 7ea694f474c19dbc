package io.xin.server.daemon;

import io.xin.core.RawClient;
import io.xin.core.TestDevices;
import io.xin.core.TestSwitch;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SyncResult;
import io.xin.server.admin.AdminServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An online backup through the admin port while a client sends, restored into a fresh data directory with the
 * restore command, and a switch started on it: every message acknowledged before the backup started is there,
 * in an inbox without gaps.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
final class BackupRestoreIT
{
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final long SENDER = 1;
    private static final long RECIPIENT = 2;

    @TempDir
    Path temp;

    @Test
    void shouldRestoreEveryMessageAcknowledgedBeforeAnOnlineBackup() throws Exception
    {
        final Path dataDir = temp.resolve("data");
        final Path backup = temp.resolve("backup");
        final Set<String> ackedBeforeBackup;
        final Set<String> acked = ConcurrentHashMap.newKeySet();
        try (TestSwitch server = new TestSwitch(dataDir);
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0);
            TestDevices devices = new TestDevices(server))
        {
            final TestDevices.Device alice = devices.connect(SENDER, "phone");
            final AtomicBoolean stop = new AtomicBoolean();
            final Thread sender = new Thread(() -> sendUntil(alice, stop, acked), "backup-it-sender");
            sender.start();
            try
            {
                awaitAcked(acked, 2_000);
                ackedBeforeBackup = Set.copyOf(acked);
                final HttpResponse<String> answer = post(admin, "/backup?dir=" + encode(backup));
                assertEquals(200, answer.statusCode(), answer.body());
                assertTrue(answer.body().startsWith("backup " + backup + ": "), answer.body());
                awaitAcked(acked, acked.size() + 500);
            }
            finally
            {
                stop.set(true);
                sender.join(10_000);
            }
            assertTrue(Files.isRegularFile(backup.resolve("CURRENT")));
            assertTrue(acked.size() > ackedBeforeBackup.size(), "the client kept sending through the backup");

            assertEquals(400, post(admin, "/backup?dir=" + encode(backup)).statusCode(), "an existing directory");
            assertEquals(400, post(admin, "/backup?dir=relative/dir").statusCode(), "a relative path");
            assertEquals(400, post(admin, "/backup").statusCode(), "no directory");
            assertEquals(405, get(admin, "/backup").statusCode());
        }

        final Path restored = temp.resolve("restored");
        Files.createDirectories(restored);
        assertEquals(0, restore(backup, restored));
        assertEquals(2, restore(backup, restored), "a non-empty target is refused");

        try (TestSwitch server = new TestSwitch(restored);
            TestDevices devices = new TestDevices(server))
        {
            final TestDevices.Device bob = devices.connect(RECIPIENT, "phone");
            final List<Message> inbox = syncAll(bob);
            final Set<String> restoredIds = new HashSet<>();
            for (int i = 0; i < inbox.size(); i++)
            {
                assertEquals(i + 1, inbox.get(i).getSeq(), "no gap in the restored inbox");
                assertTrue(restoredIds.add(inbox.get(i).getClientMsgId()), "stored once");
            }
            final Set<String> missing = new HashSet<>(ackedBeforeBackup);
            missing.removeAll(restoredIds);
            assertTrue(missing.isEmpty(), missing.size() + " acknowledged messages missing, e.g. " +
                missing.stream().limit(5).toList());
        }
    }

    @Test
    void shouldRefuseToRestoreACorruptBackup() throws Exception
    {
        final Path backup = temp.resolve("backup");
        try (TestSwitch server = new TestSwitch(temp.resolve("data"));
            AdminServer admin = AdminServer.launch(server.xin(), "127.0.0.1", 0);
            RawClient alice = RawClient.loggedIn(server.port(), server.token(SENDER), "phone"))
        {
            for (int i = 1; i <= 200; i++)
            {
                alice.send(RawClient.text(i, RECIPIENT, "m" + i, "a message to back up ".repeat(10)));
                alice.readUntil(io.xin.protocol.pb.Frame.BodyCase.SEND_ACK, 5_000);
            }
            assertEquals(200, post(admin, "/backup?dir=" + encode(backup)).statusCode());
        }
        // The backup's SST files are hard links of the store's: corrupt a copy of it, not it.
        final Path copy = temp.resolve("copy");
        try (Stream<Path> files = Files.list(backup))
        {
            Files.createDirectories(copy);
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                Files.copy(file, copy.resolve(file.getFileName()));
            }
        }
        final Path sst;
        try (Stream<Path> files = Files.list(copy))
        {
            sst = files.filter(f -> f.toString().endsWith(".sst")).max(Comparator.comparingLong(BackupRestoreIT::size))
                .orElseThrow();
        }
        try (RandomAccessFile file = new RandomAccessFile(sst.toFile(), "rw"))
        {
            file.seek(file.length() / 4);
            final int b = file.read();
            file.seek(file.length() / 4);
            file.write(b ^ 0xFF);
        }

        final Path target = temp.resolve("restored");
        assertEquals(1, restore(copy, target));
        assertFalse(Files.exists(target), "nothing put in place");
        assertEquals(0, restore(backup, temp.resolve("restored-intact")), "the intact backup restores");
    }

    private static void sendUntil(final TestDevices.Device device, final AtomicBoolean stop, final Set<String> acked)
    {
        final Semaphore inFlight = new Semaphore(64);
        long n = 0;
        while (!stop.get())
        {
            try
            {
                if (!inFlight.tryAcquire(10, TimeUnit.MILLISECONDS))
                {
                    continue;
                }
                final String clientMsgId = "m" + n++;
                device.client.send(RECIPIENT, clientMsgId, TestDevices.text("backed up?")).whenComplete((ack, error) ->
                {
                    inFlight.release();
                    if (error == null)
                    {
                        acked.add(clientMsgId);
                    }
                });
            }
            catch (final InterruptedException ex)
            {
                return;
            }
        }
    }

    private static void awaitAcked(final Set<String> acked, final int count) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (acked.size() < count)
        {
            assertTrue(System.nanoTime() < deadlineNs, "acked " + acked.size() + " of " + count);
            Thread.sleep(5);
        }
    }

    private static List<Message> syncAll(final TestDevices.Device device) throws Exception
    {
        final List<Message> messages = new java.util.ArrayList<>();
        long afterSeq = 0;
        while (true)
        {
            final SyncResult page = TestDevices.await(device.client.sync(afterSeq, 0));
            messages.addAll(page.getMessagesList());
            afterSeq = page.getLastSeq();
            if (!page.getHasMore())
            {
                return messages;
            }
        }
    }

    private static int restore(final Path from, final Path dataDir)
    {
        return new CommandLine(new RestoreCommand()).execute("--from", from.toString(), "--data-dir", dataDir.toString());
    }

    private static long size(final Path file)
    {
        try
        {
            return Files.size(file);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private static String encode(final Path dir)
    {
        return URLEncoder.encode(dir.toString(), StandardCharsets.UTF_8);
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
}
