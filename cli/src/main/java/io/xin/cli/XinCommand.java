package io.xin.cli;

import io.xin.loadgen.DemoCommand;
import io.xin.loadgen.KafkaCommand;
import io.xin.loadgen.LoadgenCommand;
import io.xin.loadgen.RelayCommand;
import io.xin.server.daemon.BackupCommand;
import io.xin.server.daemon.LeakDetection;
import io.xin.server.daemon.RestoreCommand;
import io.xin.server.daemon.ServerCommand;
import io.xin.server.daemon.TokenCommand;
import io.xin.server.daemon.VersionProvider;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./xin} command line: {@code server}, {@code token}, {@code demo}, {@code loadgen}, {@code relay},
 * {@code kafka}, {@code backup} and {@code restore}.
 */
@Command(name = "xin", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = "Xin: a durable message switch for mobile long connections.",
    subcommands = { ServerCommand.class, TokenCommand.class, DemoCommand.class, LoadgenCommand.class,
        RelayCommand.class, KafkaCommand.class, BackupCommand.class, RestoreCommand.class })
public final class XinCommand implements Runnable
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
     * @return the {@code ./xin} command line; errors in {@code server}'s flags and settings are reported in one
     * line as {@code bin/xind} reports them.
     */
    static CommandLine commandLine()
    {
        return ServerCommand.commandLine(new XinCommand());
    }

    @Override
    public void run()
    {
        spec.commandLine().usage(System.out);
    }
}
