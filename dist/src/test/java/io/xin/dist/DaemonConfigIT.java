package io.xin.dist;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator gets wrong, the daemon refuses at start, naming the setting; and what the tarball
 * ships documents every setting.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("slow")
final class DaemonConfigIT
{
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
    void shouldRefuseToStartWithAnInvalidValueInTheConfigFileNamingTheSetting() throws Exception
    {
        final String output = refusedStart(Map.of(), "max-frame-length-bytes = 12");
        assertTrue(output.contains("Invalid setting max-frame-length-bytes"), output);
        assertTrue(output.contains("config file"), output);
        assertTrue(output.contains("Not starting."), output);
    }

    @Test
    void shouldRefuseToStartWithAnInvalidFlagNamingTheSetting() throws Exception
    {
        final String output = refusedStart(Map.of(), "", "--ring-size", "1000");
        assertTrue(output.contains("Invalid setting ring-size"), output);
        assertTrue(output.contains("ringSize must be a power of two: 1000"), output);
    }

    @Test
    void shouldRefuseToStartWithAValueThatIsNotANumberNamingItsEnvironmentVariable() throws Exception
    {
        final String output = refusedStart(Map.of("XIN_PORT", "seventy-seven"), "");
        assertTrue(output.contains("Invalid setting port (value from the environment XIN_PORT)"), output);
        assertTrue(output.contains("'seventy-seven' is not an int"), output);
    }

    @Test
    void shouldRefuseToStartWithAnUnknownSettingInTheConfigFile() throws Exception
    {
        final String output = refusedStart(Map.of(), "max-frame-lenght-bytes = 65536");
        assertTrue(output.contains("Unknown setting 'max-frame-lenght-bytes'"), output);
    }

    @Test
    void shouldRefuseToStartWithATlsCertificateThatCannotBeRead() throws Exception
    {
        final Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate");
        final String output = refusedStart(Map.of(), "tls-cert = " + garbage + "\ntls-key = " + garbage);
        assertTrue(output.contains("Invalid setting tls-cert"), output);
    }

    @Test
    void shouldRefuseToStartWithAProxySourceThatIsNotARangeNamingTheSetting() throws Exception
    {
        final String output = refusedStart(Map.of(), "proxy-port = " + Daemon.freePort() +
            "\nproxy-allowed-sources = 198.51.100.1/8");
        assertTrue(output.contains("Invalid setting proxy-allowed-sources"), output);
        assertTrue(output.contains("address bits set past the prefix length: 198.51.100.1/8"), output);
    }

    @Test
    void shouldRefuseToStartWithAnAdminTokenTooShortWithoutPrintingIt() throws Exception
    {
        final Path token = Files.writeString(dir.resolve("admin.token"), "hunter2\n");
        final String output = refusedStart(Map.of(), "admin-token-file = " + token);
        assertTrue(output.contains("Invalid setting admin-token-file"), output);
        assertFalse(output.contains("hunter2"), output);
    }

    @Test
    void shouldExitWithFailureNotBadConfigWhenThePortIsTaken() throws Exception
    {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            final String output = start(Map.of(), 1, "", "--port", Integer.toString(taken.getLocalPort()));
            assertTrue(output.contains("Xin switch failed to start"), output);
            assertTrue(output.contains("cannot listen on 127.0.0.1 port " + taken.getLocalPort()), output);
        }
    }

    @Test
    void shouldPrintTheVersionAndCommit() throws Exception
    {
        final Path printed = dir.resolve("version.txt");
        final Process process = new ProcessBuilder(home.resolve("bin/xind").toString(), "--version")
            .redirectOutput(printed.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());
        final String version = Files.readString(printed, StandardCharsets.UTF_8);
        assertTrue(version.matches("Xin " + java.util.regex.Pattern.quote(System.getProperty("xin.project.version")) +
            " \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)\n"), version);
    }

    @Test
    void shouldShipAConfigFileThatDocumentsEverySettingWithItsDefault() throws Exception
    {
        final Path printed = dir.resolve("printed.properties");
        final Process process = new ProcessBuilder(home.resolve("bin/xind").toString(), "--print-config-template")
            .redirectOutput(printed.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue());
        final String shipped = Files.readString(home.resolve("conf/xin.properties"), StandardCharsets.UTF_8);
        assertEquals(Files.readString(printed, StandardCharsets.UTF_8), shipped,
            "conf/xin.properties is out of date: regenerate it with bin/xind --print-config-template");
        for (final String setting : new String[]{ "#port = 7700", "#admin-port = 7701", "#proxy-port = -1",
            "#tls-provider = auto", "#shutdown-deadline-ms = 30000", "#max-frame-length-bytes = 65536",
            "#proxy-allowed-sources = 127.0.0.0/8,::1/128", "#health-port = -1", "#admin-token-file =",
            "data-dir = /var/lib/xin", "environment XIN_MAX_FRAME_LENGTH_BYTES" })
        {
            assertTrue(shipped.contains(setting), setting);
        }
    }

    @Test
    void shouldShipAHardenedSystemdUnitThatExecsTheDaemon() throws Exception
    {
        final String unit = Files.readString(home.resolve("systemd/xin.service"), StandardCharsets.UTF_8);
        for (final String directive : new String[]{ "Type=exec", "User=xin", "LimitNOFILE=", "Restart=on-failure",
            "RestartPreventExitStatus=2", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
            "ExecStart=/opt/xin/bin/xind --config /etc/xin/xin.properties", "TimeoutStopSec=" })
        {
            assertTrue(unit.contains("\n" + directive), directive);
        }
        final String script = Files.readString(home.resolve("bin/xind"), StandardCharsets.UTF_8);
        assertTrue(script.startsWith("#!/bin/sh\n"), "POSIX sh");
        assertTrue(script.contains("exec \"$java\""), "exec, so SIGTERM reaches the JVM");
        assertTrue(Files.isExecutable(home.resolve("bin/xind")));
    }

    /**
     * Starts the daemon with an otherwise valid config plus {@code extraConfig}, expects exit status 2
     * (a bad setting) well before it could have served anything, and returns what it printed.
     */
    private String refusedStart(final Map<String, String> env, final String extraConfig, final String... flags)
        throws Exception
    {
        return start(env, 2, extraConfig, flags);
    }

    private String start(final Map<String, String> env, final int expectedExitCode, final String extraConfig,
        final String... flags) throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"), String.join("\n",
            "host = 127.0.0.1",
            "port = " + Daemon.freePort(),
            "admin-host = 127.0.0.1",
            "admin-port = " + Daemon.freePort(),
            "data-dir = " + dir.resolve("data"),
            extraConfig,
            ""));
        final Map<String, String> environment = new HashMap<>(env);
        environment.put("XIN_JWT_SECRET", Daemon.SECRET);
        final String[] args = new String[flags.length + 2];
        args[0] = "--config";
        args[1] = config.toString();
        System.arraycopy(flags, 0, args, 2, flags.length);
        try (Daemon daemon = Daemon.start(home, dir.resolve("daemon.log"), environment, args))
        {
            final int exitCode = daemon.awaitExit(60_000);
            final String output = daemon.log();
            assertEquals(expectedExitCode, exitCode, output);
            assertFalse(output.contains("Xin switch listening"), output);
            return output;
        }
    }
}
