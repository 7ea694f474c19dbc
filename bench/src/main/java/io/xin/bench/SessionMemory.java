package io.xin.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.xin.core.Configuration;
import io.xin.core.XinSwitch;
import io.xin.storage.FsyncPolicy;
import io.xin.testkit.InJvmChannel;
import io.xin.testkit.InJvmServerChannel;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Memory per idle authenticated session: starts a real switch (RocksDB in a temporary folder), logs N
 * sessions in with HS256 tokens, lets them heartbeat, settles the GC and reports heap, resident and
 * kernel bytes per session, with the classes that grew most.
 * <pre>
 *   java -Xmx2g -cp bench/target/benchmarks.jar io.xin.bench.SessionMemory --transport local --sessions 1000000
 *   java -Xmx2g -cp bench/target/benchmarks.jar io.xin.bench.SessionMemory --transport socket --sessions 15000
 * </pre>
 * {@code socket}: real TCP on 127.0.0.1; the clients run in a child JVM so this process holds only the
 * server's file descriptors, and every reading is the server's own. {@code local}: the switch's in-JVM
 * transport ({@code InJvmChannel}, for the switch's ends and the clients' alike) through the same initializer
 * and handlers; the clients share this heap, so a control run
 * of bare channel pairs (client pipeline on both ends; N of them, at most {@value #MAX_CONTROL_PAIRS}) is
 * measured too and half of its slope, one end, is subtracted as the client's share.
 */
public final class SessionMemory
{
    static final String SECRET = "session-memory-secret-of-at-least-32-bytes";
    private static final String LOCAL_NAME = "xin-session-memory";
    private static final long STALL_TIMEOUT_MS = 60_000;
    /**
     * The bare-channel control of a local run is a per-channel slope: 100,000 pairs measure it as well as a
     * million, in a heap that need not hold a second million channel pairs.
     */
    static final int MAX_CONTROL_PAIRS = 100_000;
    /** Kernel slab caches listed by a socket run (those that grew most). */
    private static final int SLAB_CACHES_SHOWN = 16;

    private SessionMemory()
    {
    }

    /** What one run measured. Bytes are per session unless named total. */
    public record Report(
        String transport,
        int sessions,
        long loggedIn,
        long heapBytesPerSession,
        long rssBytesPerSession,
        long kernelSlabBytesPerSession,
        long directBytesPerSession,
        long clientHeapBytesPerSession,
        long pongs,
        long sessionsOpenAtEnd,
        long sessionsParkedAtEnd,
        double holdCpuPercentOfOneCore,
        List<MemoryProbe.ClassGrowth> topClasses,
        List<MemoryProbe.ClassGrowth> slabCaches)
    {
        void print(final PrintStream out)
        {
            out.printf("transport=%s sessions=%d logged_in=%d sessions_open_at_end=%d parked_at_end=%d pongs=%d%n",
                transport, sessions, loggedIn, sessionsOpenAtEnd, sessionsParkedAtEnd, pongs);
            out.printf("heap_bytes_per_session=%d%n", heapBytesPerSession);
            out.printf("rss_bytes_per_session=%d%n", rssBytesPerSession);
            out.printf("kernel_slab_bytes_per_session=%d%n", kernelSlabBytesPerSession);
            out.printf("netty_direct_bytes_per_session=%d%n", directBytesPerSession);
            if (holdCpuPercentOfOneCore >= 0)
            {
                out.printf("process_cpu_percent_of_one_core_while_holding=%.2f%n", holdCpuPercentOfOneCore);
            }
            if (clientHeapBytesPerSession > 0)
            {
                out.printf("client_heap_bytes_per_session_subtracted=%d%n", clientHeapBytesPerSession);
            }
            if (!slabCaches.isEmpty())
            {
                // Both ends of each loopback connection, in the switch's and the clients' processes alike.
                out.println("kernel slab caches grown (per connection, both ends: objects, bytes):");
                for (final MemoryProbe.ClassGrowth row : slabCaches)
                {
                    out.printf("  %10.2f %10.1f  %s%n", (double)row.instances() / sessions,
                        (double)row.bytes() / sessions, row.className());
                }
            }
            out.println("top classes by live bytes grown (per session: instances, bytes):");
            for (final MemoryProbe.ClassGrowth row : topClasses)
            {
                out.printf("  %10.2f %10.1f  %s%n", (double)row.instances() / sessions, (double)row.bytes() / sessions,
                    row.className());
            }
        }
    }

    /** Settings of one run. */
    public record Options(String transport, int sessions, int heartbeatIntervalMs, int holdSeconds, int window,
        int ioThreads, int topClasses, int parkIdleMs)
    {
        /** Sessions that never park. */
        public Options(final String transport, final int sessions, final int heartbeatIntervalMs, final int holdSeconds,
            final int window, final int ioThreads, final int topClasses)
        {
            this(transport, sessions, heartbeatIntervalMs, holdSeconds, window, ioThreads, topClasses, 0);
        }

        static Options parse(final String[] args)
        {
            String transport = "local";
            int sessions = 100_000;
            int heartbeatIntervalMs = Configuration.DEFAULT_HEARTBEAT_INTERVAL_MS;
            int holdSeconds = 0;
            // Small enough that a queued login is answered well within the login timeout on a busy machine.
            int window = 500;
            int ioThreads = 0;
            int topClasses = 25;
            int parkIdleMs = 0;
            for (int i = 0; i < args.length; i++)
            {
                final String name = args[i];
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                final String value = args[++i];
                switch (name)
                {
                    case "--transport" -> transport = value;
                    case "--sessions" -> sessions = Integer.parseInt(value);
                    case "--heartbeat-ms" -> heartbeatIntervalMs = Integer.parseInt(value);
                    case "--hold-s" -> holdSeconds = Integer.parseInt(value);
                    case "--window" -> window = Integer.parseInt(value);
                    case "--io-threads" -> ioThreads = Integer.parseInt(value);
                    case "--top" -> topClasses = Integer.parseInt(value);
                    case "--park-idle-ms" -> parkIdleMs = Integer.parseInt(value);
                    default -> throw new IllegalArgumentException("unknown option " + name + "; options: " +
                        "--transport local|socket --sessions N --heartbeat-ms MS --hold-s S --window W " +
                        "--io-threads T --top K --park-idle-ms MS");
                }
            }
            return new Options(transport, sessions, heartbeatIntervalMs, holdSeconds, window, ioThreads, topClasses,
                parkIdleMs).validate();
        }

        Options validate()
        {
            if (!"local".equals(transport) && !"socket".equals(transport))
            {
                throw new IllegalArgumentException("--transport must be local or socket: " + transport);
            }
            if (sessions < 1 || window < 1 || holdSeconds < 0 || ioThreads < 0 || topClasses < 0)
            {
                throw new IllegalArgumentException("--sessions and --window must be positive; --hold-s, " +
                    "--io-threads and --top must not be negative");
            }
            if (parkIdleMs < 0)
            {
                throw new IllegalArgumentException("--park-idle-ms must not be negative: " + parkIdleMs);
            }
            if (heartbeatIntervalMs < 1_000)
            {
                throw new IllegalArgumentException("--heartbeat-ms must be at least 1000: " + heartbeatIntervalMs);
            }
            return this;
        }
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length > 0 && "--clients-for".equals(args[0]))
        {
            clientsProcess(args);
            return;
        }
        final Options options;
        try
        {
            options = Options.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("SessionMemory: " + ex.getMessage());
            System.exit(2);
            return;
        }
        final Report report = run(options);
        report.print(System.out);
        System.exit(report.loggedIn() == options.sessions() && report.sessionsOpenAtEnd() == options.sessions() ? 0 : 1);
    }

    /** Runs one measurement in this JVM (and, for sockets, a child JVM for the clients). */
    public static Report run(final Options options) throws Exception
    {
        final Path dataDir = Files.createTempDirectory("xin-session-memory");
        try
        {
            return "local".equals(options.transport()) ? runLocal(options, dataDir) : runSocket(options, dataDir);
        }
        finally
        {
            Directories.deleteTree(dataDir);
        }
    }

    private static XinSwitch.Context switchContext(final Options options, final Path dataDir)
    {
        return new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(0)
            .dataDir(dataDir)
            .jwtSecret(SECRET)
            .fsyncPolicy(FsyncPolicy.NEVER)
            .heartbeatIntervalMs(options.heartbeatIntervalMs())
            // The switch's default ratio: two and a half heartbeats.
            .idleTimeoutMs(options.heartbeatIntervalMs() * 5 / 2)
            // Every client connects from 127.0.0.1 as fast as it can: the per-address guards would refuse it.
            .maxConnections(Math.max(Configuration.DEFAULT_MAX_CONNECTIONS, options.sessions() + 1_000))
            .maxConnectionsPerAddress(options.sessions() + 1_000)
            .maxNewConnectionsPerAddressPerSecond(0)
            // The flap guard keeps a record per device that logged in within the minute (at most maxGuardRecords):
            // bounded and transient, so not part of what an idle session costs.
            .maxLoginsPerDevicePerMinute(0)
            .ioThreads(options.ioThreads())
            .parkIdleMs(options.parkIdleMs());
    }

    /**
     * With parking on: waits until the parked count stops rising (no new high for 3 s, or every open session
     * parked), so that the reading is of parked sessions. Sessions that pinged in the last park-idle time are
     * awake, about (park-idle / heartbeat) of them.
     */
    private static void awaitParked(final Options options, final XinSwitch xin) throws InterruptedException
    {
        if (options.parkIdleMs() == 0)
        {
            return;
        }
        final long startNs = System.nanoTime();
        Thread.sleep(options.parkIdleMs());
        long highest = -1;
        long highNs = System.nanoTime();
        while (xin.counters().sessionsParked.get() < xin.counters().sessionsOpen.get() &&
            System.nanoTime() - highNs < TimeUnit.SECONDS.toNanos(3) &&
            System.nanoTime() - startNs < TimeUnit.MILLISECONDS.toNanos(STALL_TIMEOUT_MS))
        {
            Thread.sleep(50);
            final long now = xin.counters().sessionsParked.get();
            if (now > highest)
            {
                highest = now;
                highNs = System.nanoTime();
            }
        }
        System.out.printf("parked %d of %d open sessions after %d ms%n", xin.counters().sessionsParked.get(),
            xin.counters().sessionsOpen.get(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
    }

    private static Report runLocal(final Options options, final Path dataDir) throws Exception
    {
        final int n = options.sessions();
        final long timeoutMs = STALL_TIMEOUT_MS;
        final EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        Channel bareServer = null;
        try (XinSwitch xin = XinSwitch.launch(
            switchContext(options, dataDir).localTransport(InJvmServerChannel.transport(LOCAL_NAME + "-xin"))))
        {
            // The control: N channel pairs whose server end has the client's pipeline shape.
            bareServer = new ServerBootstrap().group(clientGroup).channel(InJvmServerChannel.class)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, SessionClients.RECEIVE_ALLOCATOR)
                .childHandler(new ChannelInitializer<>()
                {
                    @Override
                    protected void initChannel(final Channel channel)
                    {
                        channel.pipeline().addLast("decoder", new io.xin.protocol.codec.FrameDecoder(
                            SessionClients.MAX_FRAME_LENGTH_BYTES));
                        channel.pipeline().addLast("client", Discard.INSTANCE);
                    }
                })
                .bind(new LocalAddress(LOCAL_NAME + "-bare")).sync().channel();
            final SessionClients sessions = new SessionClients(clientGroup, InJvmChannel.class, false, n, options.window());
            final int controlPairs = Math.min(n, MAX_CONTROL_PAIRS);
            final SessionClients bare =
                new SessionClients(clientGroup, InJvmChannel.class, false, controlPairs, options.window());

            final Map<String, long[]> histogramBefore = MemoryProbe.classHistogram();
            final long heap0 = MemoryProbe.settledHeapBytes();
            final long rss0 = MemoryProbe.rssBytes();
            final long direct0 = MemoryProbe.nettyDirectBytes();

            // Heartbeats start with the first login: sessions logged in early must not idle out while the rest log in.
            sessions.startHeartbeats(options.heartbeatIntervalMs());
            final long loginStartNs = System.nanoTime();
            try
            {
                sessions.openAll(new LocalAddress(LOCAL_NAME + "-xin"), SECRET, 1, true, timeoutMs);
            }
            catch (final IllegalStateException ex)
            {
                throw new IllegalStateException(ex.getMessage() + "; switch counters: " + xin.counters(), ex);
            }
            System.out.printf("logged in %d sessions in %d ms; %d failed%s%n", sessions.loggedIn.sum(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - loginStartNs), sessions.failed.sum(),
                sessions.firstFailure.get() == null ? "" : ", first: " + sessions.firstFailure.get());
            awaitParked(options, xin);
            final double cpuPercent = hold(options);
            final Map<String, long[]> histogramAfter = MemoryProbe.classHistogram();
            final long heap1 = MemoryProbe.settledHeapBytes();
            final long rss1 = MemoryProbe.rssBytes();
            final long direct1 = MemoryProbe.nettyDirectBytes();
            final long sessionsParked = xin.counters().sessionsParked.get();
            final long sessionsOpen = xin.counters().sessionsOpen.get();
            // Why sessions are missing, when they are: login timeouts, idle closes, refusals.
            System.out.println("switch counters after the hold: " + xin.counters());

            bare.openAll(new LocalAddress(LOCAL_NAME + "-bare"), SECRET, 1, false, timeoutMs);
            final long heap2 = MemoryProbe.settledHeapBytes();
            final long rss2 = MemoryProbe.rssBytes();

            final long clientHeapPerSession = (heap2 - heap1) / 2 / controlPairs;
            final Report report = new Report("local", n, sessions.loggedIn.sum(),
                (heap1 - heap0) / n - clientHeapPerSession,
                (rss1 - rss0) / n - (rss2 - rss1) / 2 / controlPairs,
                0,
                (direct1 - direct0) / n,
                clientHeapPerSession,
                sessions.pongs.sum(),
                sessionsOpen,
                sessionsParked,
                cpuPercent,
                MemoryProbe.growth(histogramBefore, histogramAfter, options.topClasses()), List.of());
            bare.close();
            sessions.close();
            return report;
        }
        finally
        {
            if (bareServer != null)
            {
                bareServer.close().awaitUninterruptibly();
            }
            clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    private static Report runSocket(final Options options, final Path dataDir) throws Exception
    {
        final int n = options.sessions();
        try (XinSwitch xin = XinSwitch.launch(switchContext(options, dataDir)))
        {
            final Map<String, long[]> histogramBefore = MemoryProbe.classHistogram();
            final long heap0 = MemoryProbe.settledHeapBytes();
            final long rss0 = MemoryProbe.rssBytes();
            final long slab0 = MemoryProbe.slabBytes();
            final Map<String, long[]> slabCaches0 = MemoryProbe.slabCaches();
            final long direct0 = MemoryProbe.nettyDirectBytes();

            final Process clients = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // IPv4 sockets, as the switch's end on 127.0.0.1: both ends the same kernel objects, so half is each's.
                "-Xmx1g", "-Djava.net.preferIPv4Stack=true", "-cp", System.getProperty("java.class.path"),
                SessionMemory.class.getName(),
                "--clients-for", "127.0.0.1:" + xin.port(), Integer.toString(n),
                Integer.toString(options.heartbeatIntervalMs()), Integer.toString(options.window()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .start();
            try
            {
                long answered = 0;
                long progressNs = System.nanoTime();
                while (answered < n && clients.isAlive() &&
                    System.nanoTime() - progressNs < TimeUnit.MILLISECONDS.toNanos(STALL_TIMEOUT_MS))
                {
                    Thread.sleep(50);
                    final long now = xin.counters().loginsSucceeded.sum() + xin.counters().loginsFailed.sum() +
                        xin.counters().loginTimeouts.sum();
                    if (now != answered)
                    {
                        answered = now;
                        progressNs = System.nanoTime();
                    }
                }
                awaitParked(options, xin);
                final double cpuPercent = hold(options);
                final Map<String, long[]> histogramAfter = MemoryProbe.classHistogram();
                final long heap1 = MemoryProbe.settledHeapBytes();
                final long rss1 = MemoryProbe.rssBytes();
                final long slab1 = MemoryProbe.slabBytes();
                final Map<String, long[]> slabCaches1 = MemoryProbe.slabCaches();
                final long direct1 = MemoryProbe.nettyDirectBytes();
                return new Report("socket", n, xin.counters().loginsSucceeded.sum(),
                    (heap1 - heap0) / n,
                    (rss1 - rss0) / n,
                    // Both ends of every loopback connection are on this machine: half is the server's.
                    (slab1 - slab0) / 2 / n,
                    (direct1 - direct0) / n,
                    0,
                    xin.counters().framesIn.sum() - xin.counters().loginsSucceeded.sum(),
                    xin.counters().sessionsOpen.get(),
                    xin.counters().sessionsParked.get(),
                    cpuPercent,
                    MemoryProbe.growth(histogramBefore, histogramAfter, options.topClasses()),
                    MemoryProbe.growth(slabCaches0, slabCaches1, SLAB_CACHES_SHOWN));
            }
            finally
            {
                clients.destroy();
                if (!clients.waitFor(10, TimeUnit.SECONDS))
                {
                    clients.destroyForcibly();
                }
            }
        }
    }

    /**
     * Holds the sessions for {@code --hold-s}.
     *
     * @return this process's CPU time over the hold as a percentage of one core, -1 when there is no hold.
     */
    private static double hold(final Options options) throws InterruptedException
    {
        if (options.holdSeconds() == 0)
        {
            return -1;
        }
        final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean)java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        final long cpu0 = os.getProcessCpuTime();
        final long start = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(options.holdSeconds()));
        return 100.0 * (os.getProcessCpuTime() - cpu0) / (System.nanoTime() - start);
    }

    /** The child JVM of a socket run: {@code --clients-for host:port sessions heartbeatMs window}. */
    private static void clientsProcess(final String[] args) throws Exception
    {
        final String[] hostPort = args[1].split(":");
        final int n = Integer.parseInt(args[2]);
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final SessionClients sessions = new SessionClients(group, NioSocketChannel.class, true, n, Integer.parseInt(args[4]));
        sessions.startHeartbeats(Integer.parseInt(args[3]));
        sessions.openAll(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), SECRET, 1, true,
            STALL_TIMEOUT_MS);
        System.out.println("clients: " + sessions.loggedIn.sum() + " logged in, " + sessions.failed.sum() +
            " failed" + (sessions.firstFailure.get() == null ? "" : "; first: " + sessions.firstFailure.get()));
        // Held until the measuring parent ends this process.
        Thread.sleep(Long.MAX_VALUE);
    }

    /** The bare control's server end: drops whatever arrives. */
    @Sharable
    static final class Discard extends ChannelInboundHandlerAdapter
    {
        static final Discard INSTANCE = new Discard();

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            ReferenceCountUtil.release(msg);
        }
    }
}
