package io.xin.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Pattern;

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

    @Test
    void shouldPrintTheVersionAndCommitForXinAndXinServer()
    {
        final String expected = "Xin " + Pattern.quote(System.getProperty("xin.project.version")) +
            " \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)\\R";
        for (final String[] args : new String[][] { { "--version" }, { "server", "--version" } })
        {
            final StringWriter out = new StringWriter();
            final CommandLine commandLine = XinCommand.commandLine();
            commandLine.setOut(new PrintWriter(out, true));

            assertEquals(0, commandLine.execute(args));

            assertTrue(out.toString().matches(expected), String.join(" ", args) + ": " + out);
        }
    }
}
