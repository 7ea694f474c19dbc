package io.xin.core.daemon;

/**
 * {@code bin/xind}: the Xin daemon. Takes the {@code server} command's flags, plus settings from
 * {@code XIN_*} environment variables and a {@code --config} file, and runs until SIGTERM.
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
        System.exit(ServerCommand.commandLine().execute(args));
    }
}
