package io.xin.loadgen;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code xin loadgen SCENARIO}: drive a running switch (or one it starts) and measure it.
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true,
    description = "Drive a switch with a scenario and report latency, throughput, CPU and correctness.",
    subcommands = { ChatCommand.class, RampCommand.class, IdleCommand.class, OfflineCommand.class,
        StormCommand.class, GroupCommand.class, BroadcastCommand.class, ContactsCommand.class,
        NearbyCommand.class, ShakeCommand.class })
public final class LoadgenCommand implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        spec.commandLine().usage(System.out);
    }
}
