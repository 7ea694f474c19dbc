package io.xin.server.daemon;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the daemon prints for a bad command line or config file: one line naming the setting and where its
 * value came from, and exit status 2, never the usage (which is for {@code --help}). None of these starts
 * the switch: they fail while picocli parses.
 */
final class ServerCommandTest
{
    @TempDir
    Path dir;

    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int execute(final String... args)
    {
        final CommandLine commandLine = ServerCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    private String onlyLine()
    {
        final String text = err.toString();
        assertEquals(1, text.lines().count(), "one line on stderr:\n" + text);
        assertEquals("", out.toString(), "nothing on stdout");
        return text.strip();
    }

    @Test
    void shouldReportAnUnknownFlagInOneLine()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--prot", "7700", "--data-dir", dir.toString()));

        final String line = onlyLine();
        assertTrue(line.startsWith("Invalid command line: Unknown options: '--prot', '7700'"), line);
        assertTrue(line.contains("(did you mean --port?)"), line);
        assertTrue(line.endsWith("see server --help. Not starting."), line);
    }

    @Test
    void shouldReportAnUnknownConfigKeyWithItsFileAndLine() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"),
            "# settings\nport = 7700\n\nring-sise = 1024\n");

        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--config", config.toString()));

        assertEquals("Unknown setting 'ring-sise' in the config file " + config + ":4 (see the shipped " +
            "conf/xin.properties for every setting). Not starting.", onlyLine());
    }

    @Test
    void shouldReportABadValueInTheConfigFileWithItsFileAndLine() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"),
            "data-dir = /tmp/x\nport = \\\n  seventy\n# a comment\nring-size = many\n");

        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--config", config.toString()));

        final String line = onlyLine();
        assertTrue(line.startsWith("Invalid setting "), line);
        assertTrue(line.contains("(value from the config file " + config + ":"), line);
        assertTrue(line.contains(config + ":2)") || line.contains(config + ":5)"), line);
    }

    @Test
    void shouldReportABadValueOnTheCommandLineAsFromTheCommandLine()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--port", "seventy"));

        final String line = onlyLine();
        assertTrue(line.startsWith("Invalid setting port (value from the command line): "), line);
        assertTrue(line.contains("'seventy' is not an int"), line);
    }

    @Test
    void shouldNameTheSettingOfAValueOutOfItsRange()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--max-frame-length-bytes", "12"));

        assertEquals("Invalid setting max-frame-length-bytes (flag --max-frame-length-bytes, environment " +
            "XIN_MAX_FRAME_LENGTH_BYTES): maxFrameLengthBytes must be at least 256: 12. Not starting.", onlyLine());
    }

    @Test
    void shouldNameASettingWhoseKeyIsNotItsContextName()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--max-in-flight-sends", "0"));

        assertEquals("Invalid setting max-in-flight-sends (flag --max-in-flight-sends, environment " +
            "XIN_MAX_IN_FLIGHT_SENDS): maxInFlightSendsPerSession must be at least 1: 0. Not starting.", onlyLine());
    }

    @Test
    void shouldNameADaemonSettingOutOfItsRange()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--admin-port", "70000"));

        assertEquals("Invalid setting admin-port (flag --admin-port, environment XIN_ADMIN_PORT): adminPort must be " +
            "-1..65535: 70000. Not starting.", onlyLine());
    }

    @Test
    void shouldListEverySettingOfTheRegistryInTheHelpWithItsDefault()
    {
        assertEquals(0, execute("--help"));

        final String help = out.toString();
        for (final io.xin.core.Setting setting : io.xin.core.Setting.values())
        {
            assertTrue(help.contains("--" + setting.key() + "="), setting.key());
        }
        assertTrue(help.contains("--max-frame-length-bytes=<maxFrameLengthBytes>"), help);
        assertTrue(help.contains("Largest frame after login. Default: 65536."), help);
    }

    @Test
    void shouldReportARingThreadsValueOtherThanOneOrTwoWithItsFileAndLine() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"),
            "data-dir = /tmp/x\nring-threads-per-shard = 3\n");

        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--config", config.toString()));

        final String line = onlyLine();
        assertTrue(line.startsWith("Invalid setting ring-threads-per-shard ("), line);
        assertTrue(line.contains("value from the config file " + config + ":2): "), line);
        assertTrue(line.contains("ringThreadsPerShard must be 1..2: 3"), line);
    }

    @Test
    void shouldPrintTheVersionAndCommit()
    {
        assertEquals(0, execute("--version"));

        assertEquals("", err.toString());
        assertTrue(out.toString().matches("Xin " + Pattern.quote(System.getProperty("xin.project.version")) +
            " \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)\\R"), out.toString());
    }

    @Test
    void shouldRefuseAClusterNodeWithoutAnAddressClientsCanReach()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--host", "0.0.0.0", "--cluster-kafka", "127.0.0.1:9092"));

        assertEquals("Invalid setting cluster-advertised-address (flag --cluster-advertised-address, environment " +
            "XIN_CLUSTER_ADVERTISED_ADDRESS): clusterAdvertisedAddress must be set when host is a wildcard " +
            "address or port is 0. Not starting.", onlyLine());
    }

    @Test
    void shouldRefuseAHeartbeatTooCloseToTheSessionTimeout()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--cluster-kafka", "127.0.0.1:9092", "--cluster-advertised-address",
            "127.0.0.1:7700", "--cluster-session-timeout-ms", "6000", "--cluster-heartbeat-interval-ms", "3000"));

        assertEquals("Invalid setting cluster-kafka (flag --cluster-kafka, environment XIN_CLUSTER_KAFKA): cluster: " +
            "heartbeatIntervalMs must be at least 100 and at most a third of sessionTimeoutMs (6000): 3000. " +
            "Not starting.", onlyLine());
    }

    @Test
    void shouldRefuseTheLocalMediaStoreInACluster()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--cluster-kafka", "127.0.0.1:9092", "--cluster-advertised-address",
            "127.0.0.1:7700", "--media-dir", dir.resolve("media").toString()));

        assertTrue(onlyLine().startsWith("Invalid setting media-dir (flag --media-dir, environment XIN_MEDIA_DIR): " +
            "the local media store is one node's disk"), err::toString);
    }

    @Test
    void shouldRefuseAClusterNodeWhoseMediaKeysAreItsOwn()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--cluster-kafka", "127.0.0.1:9092", "--cluster-advertised-address",
            "127.0.0.1:7700", "--media-store", "s3", "--media-s3-endpoint", "http://127.0.0.1:9000",
            "--media-s3-bucket", "media"));

        assertTrue(onlyLine().startsWith("Invalid setting media-signing-key (flag --media-signing-key, environment " +
            "XIN_MEDIA_SIGNING_KEY): every node of a cluster checks the tokens and URLs the others signed"),
            err::toString);
    }

    @Test
    void shouldRefuseAMissingKafkaPropertiesFile()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--cluster-kafka", "127.0.0.1:9092", "--cluster-advertised-address",
            "127.0.0.1:7700", "--cluster-kafka-properties", dir.resolve("missing.properties").toString()));

        assertTrue(onlyLine().startsWith("Invalid setting cluster-kafka-properties (flag --cluster-kafka-properties, " +
            "environment XIN_CLUSTER_KAFKA_PROPERTIES): clusterKafkaProperties: cannot read "), err::toString);
    }

    @Test
    void shouldRefuseMediaOnAWildcardAddressWithoutAPublicUrl()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--media-dir", dir.resolve("media").toString()));

        assertEquals("Invalid setting media-public-url (flag --media-public-url, environment XIN_MEDIA_PUBLIC_URL): " +
            "mediaPublicUrl must be set when mediaBindHost is a wildcard address (0.0.0.0): the URL clients upload " +
            "to. Not starting.", onlyLine());
    }

    @Test
    void shouldRefuseAnS3StoreWithoutItsEndpoint()
    {
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--media-store", "s3", "--media-public-url", "https://media.example.com"));

        assertEquals("Invalid setting media-s3-endpoint (flag --media-s3-endpoint, environment " +
            "XIN_MEDIA_S3_ENDPOINT): mediaS3Endpoint must be set with media-store s3. Not starting.", onlyLine());
    }

    @Test
    void shouldRefuseASigningKeyFileWithoutAKey() throws Exception
    {
        final Path keys = Files.writeString(dir.resolve("media.key"), "# no key here\n");
        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--data-dir", dir.toString(), "--jwt-secret", SECRET,
            "--admin-port", "-1", "--media-dir", dir.resolve("media").toString(), "--media-bind-host", "127.0.0.1",
            "--media-signing-key", keys.toString()));

        assertTrue(onlyLine().startsWith("Invalid setting media-signing-key (flag --media-signing-key, environment " +
            "XIN_MEDIA_SIGNING_KEY): mediaSigningKey: cannot read keys from " + keys + ": no key in "), err::toString);
    }
}
