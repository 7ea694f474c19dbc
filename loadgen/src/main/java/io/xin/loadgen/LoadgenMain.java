package io.xin.loadgen;

import io.xin.server.daemon.LeakDetection;
import io.xin.server.daemon.ServerCommand;
import io.xin.server.daemon.VersionProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The main class of the processes the load generator starts on the classpath it runs with: its child load
 * generators ({@code loadgen}, see {@link Children}), and the switch ({@code server}) or the bare relay
 * ({@code relay}) it measures (see {@link TargetProcess}). Takes the same command lines as {@code ./xin}.
 */
@Command(name = "xin", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = "The processes the Xin load generator starts.",
    subcommands = { ServerCommand.class, LoadgenCommand.class, RelayCommand.class })
public final class LoadgenMain implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(final String[] args)
    {
        // The load generator and the relay are measuring instruments: no sampled stack traces in them either.
        LeakDetection.disableUnlessSet();
        System.exit(commandLine().execute(args));
    }

    /**
     * @return the command line; errors in {@code server}'s flags and settings are reported in one line as
     * {@code bin/xind} reports them.
     */
    static CommandLine commandLine()
    {
        return ServerCommand.commandLine(new LoadgenMain());
    }

    @Override
    public void run()
    {
        spec.commandLine().usage(System.out);
    }
}
