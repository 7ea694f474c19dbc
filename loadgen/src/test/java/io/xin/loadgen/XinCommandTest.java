package io.xin.loadgen;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code ./xin} command line: {@code xin server} reports a bad flag as {@code bin/xind} does.
 */
final class XinCommandTest
{
    @Test
    void shouldReportAnUnknownServerFlagInOneLine()
    {
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = XinCommand.commandLine();
        commandLine.setErr(new PrintWriter(err, true));

        assertEquals(2, commandLine.execute("server", "--ring-sise", "1024"));

        final String text = err.toString();
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("Invalid command line: Unknown options: '--ring-sise', '1024' " +
            "(did you mean --ring-size?); see xin server --help. Not starting."), text);
    }
}
