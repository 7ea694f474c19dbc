package io.xin.server.daemon;

import picocli.CommandLine;

import java.util.Arrays;

/**
 * {@code bin/xind}: the Xin daemon. Takes the {@code server} command's flags, plus settings from
 * {@code XIN_*} environment variables and a {@code --config} file, and runs until SIGTERM. With
 * {@code backup} or {@code restore} first, runs that command instead ({@link BackupCommand},
 * {@link RestoreCommand}).
 * <pre>
 *   exit 0  stopped after a clean drain
 *   exit 1  failed to start (e.g. the store cannot be opened) or failed while running
 *   exit 2  a setting is invalid (named on stderr)
 *   exit 3  the drain was cut short by the shutdown deadline or a second SIGTERM
 * </pre>
 */
public final class Xind
{
    private Xind()
    {
    }

    public static void main(final String[] args)
    {
        if (args.length > 0 && ("backup".equals(args[0]) || "restore".equals(args[0])))
        {
            final Object command = "backup".equals(args[0]) ? new BackupCommand() : new RestoreCommand();
            System.exit(new CommandLine(command).execute(Arrays.copyOfRange(args, 1, args.length)));
        }
        System.exit(ServerCommand.commandLine().execute(args));
    }
}
