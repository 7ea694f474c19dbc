package io.xin.loadgen;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code xin demo --cluster} runs to the end in this JVM: Kafka and three nodes in child JVMs, a node killed, the
 * user it served logged in on another, nothing acknowledged lost; and it leaves no process or folder behind.
 */
@Timeout(300)
@Tag("cluster")
@Tag("slow")
class ClusterDemoIT
{
    private static final Pattern SUMMARY = Pattern.compile(
        "Cluster demo finished in [0-9.]+ s: 3 nodes on one Kafka, failover of alice from (n\\d) to (n\\d) in " +
        "[0-9.]+ s \\(login\\) and [0-9.]+ s \\(first ack\\), (\\d+) messages acknowledged, 0 lost, 0 duplicated\\.");
    private static final Pattern FOLDER = Pattern.compile("data in (\\S+)/n1\\b");

    @Test
    void shouldFailOverAndLoseNothing() throws Exception
    {
        final Instant started = Instant.now();
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        final PrintStream original = System.out;
        final int exit;
        System.setOut(new PrintStream(new Tee(original, captured), true, StandardCharsets.UTF_8));
        try
        {
            // The command prints to the System.out of its construction.
            exit = new CommandLine(new DemoCommand()).execute("--cluster");
        }
        finally
        {
            System.setOut(original);
        }
        final String output = captured.toString(StandardCharsets.UTF_8);

        assertEquals(0, exit, output);
        final Matcher summary = SUMMARY.matcher(output);
        assertTrue(summary.find(), output);
        assertNotEquals(summary.group(1), summary.group(2), "alice is served by another node after the kill");
        assertTrue(Integer.parseInt(summary.group(3)) >= 9, "every message of the account was acknowledged");
        assertTrue(output.contains("logged in again on " + summary.group(2)), output);

        final Matcher folder = FOLDER.matcher(output);
        assertTrue(folder.find(), output);
        assertFalse(Files.exists(Path.of(folder.group(1))), "the nodes' folder is deleted");
        final List<ProcessHandle> left = ProcessHandle.current().children()
            .filter(child -> child.info().startInstant().map(at -> !at.isBefore(started)).orElse(true))
            .filter(ProcessHandle::isAlive)
            .toList();
        assertEquals(List.of(), left, "no child JVM outlives the demo");
    }

    /** Writes to the console and to the captured output. */
    private static final class Tee extends OutputStream
    {
        private final OutputStream first;
        private final OutputStream second;

        Tee(final OutputStream first, final OutputStream second)
        {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(final int b) throws java.io.IOException
        {
            first.write(b);
            second.write(b);
        }

        @Override
        public void write(final byte[] bytes, final int offset, final int length) throws java.io.IOException
        {
            first.write(bytes, offset, length);
            second.write(bytes, offset, length);
        }

        @Override
        public void flush() throws java.io.IOException
        {
            first.flush();
            second.flush();
        }
    }
}
