package io.xin.loadgen;

import io.xin.core.XinSwitch;
import io.xin.server.media.DaemonMedia;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The target a run drives: an existing server (nothing to start), an in-process switch, or a switch
 * or bare relay in a child JVM of the same classpath that the load generator starts and stops itself.
 * In the last three cases the target's process id is known, so its CPU time per message is reported.
 */
final class TargetProcess implements AutoCloseable
{
    private static final long START_TIMEOUT_MS = 60_000;

    /** What to start. */
    enum Kind
    {
        /** Connect to --host/--port; nothing is started. */
        NONE,
        /** A switch in this JVM (its CPU time is this process's, load generator included). */
        EMBEDDED,
        /** A switch in a child JVM (`xin server`). */
        SWITCH,
        /** The bare Netty relay in a child JVM (`xin relay`). */
        RELAY
    }

    private final Kind kind;
    private final String host;
    private final int port;
    private final long pid;
    private final XinSwitch embedded;
    private final Process child;
    private final Path dataDir;
    /** The embedded switch's media store and server, null without media. */
    private final DaemonMedia media;

    private TargetProcess(
        final Kind kind, final String host, final int port, final long pid, final XinSwitch embedded,
        final Process child, final Path dataDir)
    {
        this(kind, host, port, pid, embedded, child, dataDir, null);
    }

    private TargetProcess(
        final Kind kind, final String host, final int port, final long pid, final XinSwitch embedded,
        final Process child, final Path dataDir, final DaemonMedia media)
    {
        this.kind = kind;
        this.host = host;
        this.port = port;
        this.pid = pid;
        this.embedded = embedded;
        this.child = child;
        this.dataDir = dataDir;
        this.media = media;
    }

    /**
     * @param options the run's options.
     * @return the target, started and accepting connections.
     */
    static TargetProcess start(final LoadOptions options) throws Exception
    {
        switch (options.start)
        {
            case NONE:
                return new TargetProcess(Kind.NONE, options.host, options.port, options.serverPid, null, null, null);

            case EMBEDDED:
            {
                final Path dataDir = Files.createTempDirectory("xin-loadgen-");
                final XinSwitch.Context ctx = new XinSwitch.Context()
                    .bindHost("127.0.0.1")
                    .port(0)
                    .dataDir(dataDir)
                    .jwtSecret(options.jwtSecret)
                    .heartbeatIntervalMs(options.heartbeatIntervalMs)
                    .fsyncPolicy(options.fsync)
                    .journalShards(options.journalShards)
                    .ringThreads(io.xin.core.RingThreads.ofThreadsPerShard(options.ringThreadsPerShard))
                    .transport(options.transport)
                    .discoveryKeyFile(discoveryKeyFile(dataDir))
                    // The generated users message users they never befriended.
                    .strangersAllowedByDefault(true);
                // A scenario with media: a local store beside the data, its HTTP server on a free loopback port, and
                // no quota (a load run's users upload far more than a person does).
                final DaemonMedia media = options.media ? DaemonMedia.start(
                    DaemonMedia.Options.local(dataDir.resolve("media"), "127.0.0.1", 0), ctx.mediaQuotaBytes(0)) : null;
                final XinSwitch xin;
                try
                {
                    xin = XinSwitch.launch(ctx);
                }
                catch (final RuntimeException ex)
                {
                    if (media != null)
                    {
                        media.close();
                    }
                    throw ex;
                }
                return new TargetProcess(Kind.EMBEDDED, "127.0.0.1", xin.port(), ProcessHandle.current().pid(), xin,
                    null, dataDir, media);
            }

            default:
            {
                final int port = freePort();
                final Path dataDir = options.start == Kind.SWITCH ? Files.createTempDirectory("xin-loadgen-") : null;
                final List<String> command = new ArrayList<>();
                command.add(ProcessHandle.current().info().command().orElse("java"));
                command.addAll(List.of(options.targetJavaOpts.trim().split("\\s+")));
                command.addAll(List.of("-cp", System.getProperty("java.class.path"), LoadgenMain.class.getName()));
                if (options.start == Kind.SWITCH)
                {
                    command.addAll(List.of("server", "--host", "127.0.0.1", "--port", Integer.toString(port),
                        "--data-dir", dataDir.toString(), "--jwt-secret", options.jwtSecret,
                        "--fsync", options.fsync.name().toLowerCase(java.util.Locale.ROOT),
                        "--heartbeat-interval-ms", Integer.toString(options.heartbeatIntervalMs),
                        "--journal-shards", Integer.toString(options.journalShards),
                        "--ring-threads-per-shard", Integer.toString(options.ringThreadsPerShard),
                        "--transport", options.transport,
                        "--discovery-key-file", discoveryKeyFile(dataDir).toString(),
                        // The generated users message users they never befriended.
                        "--strangers-allowed-by-default", "true",
                        // No admin port: the default one may be taken by another switch on the machine, and
                        // the switch would stop after it already listened for clients.
                        "--admin-port", "-1"));
                    if (options.media)
                    {
                        // Media on a free loopback port, without a quota: a load run's users upload far more than
                        // a person does.
                        command.addAll(List.of("--media-dir", dataDir.resolve("media").toString(),
                            "--media-bind-host", "127.0.0.1", "--media-port", Integer.toString(freePort()),
                            "--media-quota-bytes", "0"));
                    }
                }
                else
                {
                    command.addAll(List.of("relay", "--host", "127.0.0.1", "--port", Integer.toString(port),
                        "--transport", options.transport, options.relayAcks ? "--acks" : ""));
                }
                command.removeIf(String::isEmpty);
                final Path log = Files.createTempFile("xin-loadgen-target-", ".log");
                final Process child = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
                final TargetProcess target = new TargetProcess(options.start, "127.0.0.1", port, child.pid(), null,
                    child, dataDir);
                try
                {
                    awaitListening(port, child, log);
                }
                catch (final Exception ex)
                {
                    target.close();
                    throw ex;
                }
                Files.deleteIfExists(log);
                return target;
            }
        }
    }

    /**
     * A fresh contact discovery key for a switch the load generator starts (the contacts scenario needs one), in
     * its temporary data directory, so it goes with it.
     */
    private static Path discoveryKeyFile(final Path dataDir) throws IOException
    {
        return Files.writeString(dataDir.resolve("discovery.keys"),
            io.xin.social.discovery.KeyRing.newFile(1, new java.security.SecureRandom()));
    }

    String host()
    {
        return host;
    }

    int port()
    {
        return port;
    }

    /**
     * @return the target's process id, 0 when unknown.
     */
    long pid()
    {
        return pid;
    }

    Kind kind()
    {
        return kind;
    }

    XinSwitch embedded()
    {
        return embedded;
    }

    @Override
    public void close()
    {
        if (embedded != null)
        {
            embedded.close();
        }
        if (media != null)
        {
            media.close();
        }
        if (child != null)
        {
            child.destroy();
            try
            {
                if (!child.waitFor(15, TimeUnit.SECONDS))
                {
                    child.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                child.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (dataDir != null)
        {
            try (Stream<Path> paths = Files.walk(dataDir))
            {
                for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
                {
                    Files.deleteIfExists(path);
                }
            }
            catch (final IOException ignore)
            {
                // A temporary directory left behind is not worth failing the run for.
            }
        }
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket())
        {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        }
    }

    private static void awaitListening(final int port, final Process child, final Path log) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadlineNs)
        {
            if (!child.isAlive())
            {
                throw new IllegalStateException("the target process exited with " + child.exitValue() + ":\n" +
                    Files.readString(log));
            }
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            }
            catch (final IOException notYet)
            {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the target did not listen on 127.0.0.1:" + port + " within " +
            START_TIMEOUT_MS + " ms:\n" + Files.readString(log));
    }
}
