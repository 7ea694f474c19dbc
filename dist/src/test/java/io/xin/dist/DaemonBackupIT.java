package io.xin.dist;

import com.google.protobuf.ByteString;
import io.xin.client.XinClient;
import io.xin.core.auth.TokenIssuer;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged backup and restore commands: {@code bin/xind backup} against a running daemon, {@code bin/xind
 * restore} into a new data directory, and a daemon started on it serving what was acknowledged before.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@Tag("slow")
final class DaemonBackupIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final int MESSAGES = 50;
    private static final Map<String, String> ENV = Map.of("XIN_JWT_SECRET", Daemon.SECRET);

    @TempDir
    static Path installDir;
    static Path home;

    @TempDir
    Path dir;

    @BeforeAll
    static void unpack() throws Exception
    {
        home = Daemon.unpack(installDir);
    }

    @Test
    void shouldBackUpARunningDaemonAndRestoreItWithTheShippedCommands() throws Exception
    {
        final Path backup = dir.resolve("backup");
        final Path restored = dir.resolve("restored");
        int port = Daemon.freePort();
        int adminPort = Daemon.freePort();
        try (Daemon daemon = Daemon.start(home, dir.resolve("daemon.log"), ENV,
            "--config", config(port, adminPort, dir.resolve("data")).toString()))
        {
            daemon.awaitReady(adminPort, 60_000);
            try (XinClient alice = client(port, ALICE))
            {
                alice.connect().get(30, TimeUnit.SECONDS);
                for (int i = 0; i < MESSAGES; i++)
                {
                    alice.send(BOB, "m" + i, text("message " + i)).get(30, TimeUnit.SECONDS);
                }
            }
            assertEquals(0, run("backup.log", "backup", "--admin", "127.0.0.1:" + adminPort, "--to", backup.toString()));
            assertEquals(1, run("backup-again.log", "backup", "--admin", "127.0.0.1:" + adminPort,
                "--to", backup.toString()), "an existing directory is refused");
            daemon.terminate();
            assertEquals(0, daemon.awaitExit(30_000), daemon.log());
        }

        assertEquals(0, run("restore.log", "restore", "--from", backup.toString(), "--data-dir", restored.toString()));
        assertEquals(2, run("restore-again.log", "restore", "--from", backup.toString(), "--data-dir",
            restored.toString()), "a non-empty data directory is refused");

        port = Daemon.freePort();
        adminPort = Daemon.freePort();
        try (Daemon daemon = Daemon.start(home, dir.resolve("restored.log"), ENV,
            "--config", config(port, adminPort, restored).toString());
            XinClient bob = client(port, BOB))
        {
            daemon.awaitReady(adminPort, 60_000);
            bob.connect().get(30, TimeUnit.SECONDS);
            final SyncResult page = bob.sync(0, 0).get(30, TimeUnit.SECONDS);
            final List<String> ids = new ArrayList<>();
            for (final Message message : page.getMessagesList())
            {
                ids.add(message.getClientMsgId());
            }
            final List<String> expected = new ArrayList<>();
            for (int i = 0; i < MESSAGES; i++)
            {
                expected.add("m" + i);
            }
            assertEquals(expected, ids);
            assertEquals(MESSAGES, page.getHeadSeq());
            daemon.terminate();
            assertEquals(0, daemon.awaitExit(30_000), daemon.log());
        }
    }

    /** Runs {@code bin/xind} with a command; returns its exit status. */
    private int run(final String logName, final String... args) throws Exception
    {
        try (Daemon command = Daemon.start(home, dir.resolve(logName), ENV, args))
        {
            final int status = command.awaitExit(60_000);
            assertTrue(status >= 0, "still running: " + command.log());
            return status;
        }
    }

    private Path config(final int port, final int adminPort, final Path dataDir) throws Exception
    {
        return Files.writeString(dir.resolve("xin-" + port + ".properties"), String.join("\n",
            "host = 127.0.0.1",
            "port = " + port,
            "admin-host = 127.0.0.1",
            "admin-port = " + adminPort,
            "data-dir = " + dataDir,
            "fsync = batch",
            "write-buffer-bytes = 4194304",
            ""));
    }

    private static XinClient client(final int port, final long userId)
    {
        return XinClient.builder()
            .host("127.0.0.1")
            .port(port)
            .token(new TokenIssuer(Daemon.SECRET).issue(userId, Duration.ofHours(1)))
            .deviceId("phone")
            .autoReconnect(false)
            .initialSeq(0)
            .build();
    }

    private static Content text(final String text)
    {
        return Content.newBuilder().setType(ContentType.TEXT)
            .setBody(ByteString.copyFrom(text, StandardCharsets.UTF_8)).build();
    }
}
