package io.xin.core.daemon;

import io.xin.core.Configuration;
import io.xin.core.RingThreads;
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
    void shouldReadTheRingThreadsAsThreadsPerShard()
    {
        assertEquals(RingThreads.ONE_THREAD, parsed("--ring-threads-per-shard", "1").ringThreads);
        assertEquals(RingThreads.TWO_THREADS, parsed("--ring-threads-per-shard", "2").ringThreads);
        assertEquals(Configuration.DEFAULT_RING_THREADS, parsed().ringThreads);
    }

    @Test
    void shouldReportARingThreadsValueOtherThanOneOrTwoWithItsFileAndLine() throws Exception
    {
        final Path config = Files.writeString(dir.resolve("xin.properties"),
            "data-dir = /tmp/x\nring-threads-per-shard = 3\n");

        assertEquals(ServerCommand.EXIT_BAD_CONFIG, execute("--config", config.toString()));

        final String line = onlyLine();
        assertTrue(line.startsWith("Invalid setting ring-threads-per-shard (value from the config file " + config +
            ":2): "), line);
        assertTrue(line.contains("ringThreadsPerShard must be 1 or 2: 3"), line);
    }

    private static ServerCommand parsed(final String... args)
    {
        final CommandLine commandLine = ServerCommand.commandLine();
        commandLine.parseArgs(args);
        return commandLine.getCommand();
    }

    @Test
    void shouldPrintTheVersionAndCommit()
    {
        assertEquals(0, execute("--version"));

        assertEquals("", err.toString());
        assertTrue(out.toString().matches("Xin " + Pattern.quote(System.getProperty("xin.project.version")) +
            " \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)\\R"), out.toString());
    }
}
