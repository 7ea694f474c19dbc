package io.xin.loadgen;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.xin.loadgen.report.Reports;
import io.xin.loadgen.report.Summary;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.scenario.Target;
import io.xin.storage.FsyncPolicy;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options every scenario shares: the target, the users, the rate, and where the reports go.
 */
final class LoadOptions
{
    /**
     * Sessions per source address by default: under the switch's default per-address limits (10,000
     * connections, 500 new ones a second in bursts of 1,000), so that a reconnect of all of them is one burst.
     */
    static final int SESSIONS_PER_SOURCE_ADDRESS = 500;
    /** Loopback source addresses available: 127.0.B.C with C in 1..254 and B in 0..255. */
    static final int MAX_SOURCE_ADDRESSES = 254 * 256;

    @Option(names = "--host", description = "Switch address (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Switch port (default: ${DEFAULT-VALUE}).")
    int port = 7700;

    @Option(names = "--seeds", split = ",", description = "Cluster mode: host:port of every node, comma separated, " +
        "instead of --host/--port. Every session is given these seeds and follows the MOVED redirect of a node that " +
        "does not serve its user, as a phone does.")
    List<String> seeds = List.of();

    @Option(names = "--tls", description = "Connect with TLS. Without --tls-trust-cert the server's certificate is " +
        "not checked (a benchmark on a trusted network only).")
    boolean tls;

    @Option(names = "--tls-trust-cert", description = "PEM file of the certificate(s) to trust with --tls.")
    File tlsTrustCert;

    @Option(names = "--jwt-secret", description = "The switch's HS256 secret, at least 32 bytes; tokens are issued " +
        "with it for every user. Also read from XIN_JWT_SECRET.", defaultValue = "${env:XIN_JWT_SECRET}")
    String jwtSecret;

    @Option(names = "--users", description = "Sessions, one user each (default: ${DEFAULT-VALUE}).")
    int users = 1_000;

    @Option(names = "--first-user-id", description = "User id of the first user; the others follow " +
        "(default: ${DEFAULT-VALUE}).")
    long firstUserId = 1_000_000;

    @Option(names = "--rate", description = "Messages per second, all users together (default: ${DEFAULT-VALUE}).")
    double rate = 1_000;

    @Option(names = "--duration", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    double durationS = 10;

    @Option(names = "--warmup", description = "Seconds of sending before the measured part (default: ${DEFAULT-VALUE}).")
    double warmupS = 2;

    @Option(names = "--drain", description = "Longest wait in seconds after the last send for acks and deliveries " +
        "(default: ${DEFAULT-VALUE}).")
    double drainS = 5;

    @Option(names = "--payload", description = "Message body bytes, at least 32 (default: ${DEFAULT-VALUE}).")
    int payloadBytes = 64;

    @Option(names = "--zipf", description = "Recipient skew: 0 for uniform, else the Zipf exponent " +
        "(default: ${DEFAULT-VALUE}).")
    double zipfSkew = 0;

    @Option(names = "--seed", description = "Random seed of the senders and recipients (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--source-addresses", description = "Spread connections over this many local addresses " +
        "127.0.0.1, 127.0.0.2, ... (default: one per " + SESSIONS_PER_SOURCE_ADDRESS + " sessions, as phones come " +
        "from many addresses: within the switch's default per-address connection cap and burst).")
    int sourceAddresses = 0;

    @Option(names = "--io-threads", description = "Event loop threads; 0 for one per core (default: ${DEFAULT-VALUE}).")
    int ioThreads = 0;

    @Option(names = "--server-pid", description = "Process id of the switch, to report its CPU time per message " +
        "and memory (automatic with --start).")
    long serverPid;

    @Option(names = "--cpu-pid", split = ",", description = "NAME=PID of a process whose CPU time per delivered " +
        "message to report over the measured window, by name (chat): each node of a cluster, its Kafka broker. " +
        "Comma separated or repeated.")
    List<String> cpuPids = List.of();

    @Option(names = "--start", description = "Start the target: NONE (connect to --host/--port), EMBEDDED " +
        "(a switch in this JVM), SWITCH (a switch in a child JVM), RELAY (the bare relay in a child JVM) " +
        "(default: ${DEFAULT-VALUE}).")
    TargetProcess.Kind start = TargetProcess.Kind.NONE;

    @Option(names = "--fsync", description = "With --start EMBEDDED or SWITCH: never | batch (default: ${DEFAULT-VALUE}).")
    FsyncPolicy fsync = FsyncPolicy.BATCH;

    @Option(names = "--journal-shards", description = "With --start EMBEDDED or SWITCH: the switch's journal shards " +
        "(default: ${DEFAULT-VALUE}).")
    int journalShards = 1;

    @Option(names = "--ring-threads-per-shard", description = "With --start EMBEDDED or SWITCH: 2 (the switch's journal " +
        "and dispatcher on threads of their own) or 1 (one thread runs both) (default: ${DEFAULT-VALUE}).")
    int ringThreadsPerShard = io.xin.core.Configuration.DEFAULT_RING_THREADS_PER_SHARD;

    @Option(names = "--transport", description = "With --start EMBEDDED, SWITCH or RELAY: the target's socket transport, " +
        "auto | io_uring | epoll | nio; the relay and the switch take the same one (default: ${DEFAULT-VALUE}).")
    String transport = io.xin.core.net.Transport.AUTO;

    @Option(names = "--heartbeat-interval-ms", description = "With --start EMBEDDED or SWITCH: the switch's heartbeat " +
        "interval (default: ${DEFAULT-VALUE}).")
    int heartbeatIntervalMs = 30_000;

    @Option(names = "--target-java-opts", description = "With --start SWITCH or RELAY: JVM options of the child " +
        "(default: ${DEFAULT-VALUE}).")
    String targetJavaOpts = "-Xms2g -Xmx2g -XX:+PerfDisableSharedMem";

    @Option(names = "--no-acks", description = "The target does not acknowledge sends (the bare relay): sends go " +
        "untracked and only send→deliver is measured. Implied by --start RELAY.")
    boolean noAcks;

    @Option(names = "--relay-acks", description = "With --start RELAY: the relay answers every Send with a SendAck " +
        "(no storage) and sends are tracked as against the switch: the switch's protocol without its storage.")
    boolean relayAcks;

    @Option(names = "--acks", hidden = true, description = "The target acknowledges sends (the default).")
    boolean acks;

    @Option(names = "--processes", description = "Load generator processes (chat): 0 to use as many as " +
        "--max-sessions-per-process asks; more than one spawns child JVMs, each with a slice of the users (who " +
        "chat within their slice), its own source addresses and a share of the rate; the histograms are merged " +
        "(default: ${DEFAULT-VALUE}).")
    int processes = 0;

    @Option(names = "--max-sessions-per-process", description = "Sessions one process holds at most, under its " +
        "open-file limit (default: ${DEFAULT-VALUE}).")
    int maxSessionsPerProcess = 18_000;

    @Option(names = "--child-output", hidden = true, description = "Run as a child of a multi-process run: write " +
        "the summary with encoded histograms here.")
    Path childOutput;

    @Option(names = "--source-address-offset", hidden = true, description = "First source address is 127.0.0.(1 + this).")
    int sourceAddressOffset = 0;

    @Option(names = "--json", description = "Write the JSON summary to this file.")
    Path json;

    @Option(names = "--series", description = "Write the run's seconds as CSV to this file (chat): time, sent, acked " +
        "and delivered per second, the interval's ack and delivery p99 and max in µs; a gap in the acks shows a " +
        "node's failover.")
    Path series;

    @Option(names = "--report-dir", description = "Directory for the HTML report and the HdrHistogram log " +
        "(default: xin-reports/SCENARIO-TIME).")
    Path reportDir;

    @Option(names = "--no-report", description = "Write no HTML report or HdrHistogram log.")
    boolean noReport;

    /** The scenario needs media: a target the load generator starts gets its media store and server. */
    boolean media;

    /**
     * Check what picocli cannot.
     *
     * @throws IllegalArgumentException with a message for the user.
     */
    void validate()
    {
        require(users >= 1, "--users must be positive: " + users);
        require(rate > 0 && Double.isFinite(rate), "--rate must be a positive number: " + rate);
        require(durationS > 0, "--duration must be positive: " + durationS);
        require(warmupS >= 0 && drainS >= 0, "--warmup and --drain must not be negative");
        require(payloadBytes >= 32, "--payload must be at least 32 bytes (the header every message carries): " +
            payloadBytes);
        require(sourceAddresses >= 0 && sourceAddresses <= MAX_SOURCE_ADDRESSES,
            "--source-addresses must be 0.." + MAX_SOURCE_ADDRESSES + ": " + sourceAddresses);
        require(port >= 1 && port <= 65_535, "--port must be 1..65535: " + port);
        require(seeds.isEmpty() || start == TargetProcess.Kind.NONE, "--seeds goes with --start none");
        seedAddresses();
        cpuPids();
        require(ringThreadsPerShard == 1 || ringThreadsPerShard == 2,
            "--ring-threads-per-shard must be 1 or 2: " + ringThreadsPerShard);
        require(io.xin.core.net.Transport.isKnown(transport),
            "--transport must be one of auto, io_uring, epoll, nio: " + transport);
        require(jwtSecret != null && !jwtSecret.isEmpty() || start != TargetProcess.Kind.NONE,
            "--jwt-secret (or XIN_JWT_SECRET) is required to log in to a running switch");
        if (jwtSecret == null || jwtSecret.isEmpty())
        {
            jwtSecret = "xin-loadgen-" + Long.toHexString(new java.security.SecureRandom().nextLong()) +
                "-generated-secret-for-its-own-target";
        }
        require(!relayAcks || start == TargetProcess.Kind.RELAY, "--relay-acks goes with --start relay");
        require(!(relayAcks && noAcks), "--relay-acks and --no-acks contradict each other");
        if (start == TargetProcess.Kind.RELAY && !relayAcks)
        {
            noAcks = true;
        }
        require(processes >= 0 && maxSessionsPerProcess >= 1, "--processes must not be negative and " +
            "--max-sessions-per-process must be positive");
        if (childOutput != null)
        {
            json = childOutput;
            noReport = true;
        }
    }

    Target target(final TargetProcess process) throws IOException
    {
        final SslContext sslContext;
        if (tls)
        {
            final SslContextBuilder builder = SslContextBuilder.forClient();
            sslContext = (tlsTrustCert != null ? builder.trustManager(tlsTrustCert) :
                builder.trustManager(InsecureTrustManagerFactory.INSTANCE)).build();
        }
        else
        {
            sslContext = null;
        }
        final int addresses = addressesPerProcess();
        final List<InetAddress> locals = new ArrayList<>();
        if (addresses > 1 || sourceAddresses > 0 || sourceAddressOffset > 0)
        {
            require(sourceAddressOffset + addresses <= MAX_SOURCE_ADDRESSES, "not enough loopback source addresses " +
                "for the sessions: " + (sourceAddressOffset + addresses));
            for (int i = sourceAddressOffset; i < sourceAddressOffset + addresses; i++)
            {
                try
                {
                    locals.add(InetAddress.getByAddress(new byte[] { 127, 0, (byte)(i / 254), (byte)(i % 254 + 1) }));
                }
                catch (final UnknownHostException ex)
                {
                    throw new IllegalStateException(ex);
                }
            }
        }
        return new Target(process.host(), process.port(), sslContext, jwtSecret, firstUserId, locals)
            .seeds(seedAddresses());
    }

    /**
     * @return the --seeds as unresolved addresses (the client resolves them at each connect), empty without.
     * @throws IllegalArgumentException when one is not host:port.
     */
    List<InetSocketAddress> seedAddresses()
    {
        final List<InetSocketAddress> addresses = new ArrayList<>();
        for (final String seed : seeds)
        {
            final int colon = seed.lastIndexOf(':');
            require(colon > 0 && colon < seed.length() - 1, "--seeds takes host:port,...: " + seed);
            final int seedPort;
            try
            {
                seedPort = Integer.parseInt(seed.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("--seeds takes host:port,...: " + seed);
            }
            require(seedPort >= 1 && seedPort <= 65_535, "--seeds port must be 1..65535: " + seed);
            addresses.add(InetSocketAddress.createUnresolved(seed.substring(0, colon), seedPort));
        }
        return addresses;
    }

    /**
     * @return the --cpu-pid processes by name, in the order given.
     * @throws IllegalArgumentException when one is not NAME=PID.
     */
    Map<String, Long> cpuPids()
    {
        final Map<String, Long> pids = new LinkedHashMap<>();
        for (final String entry : cpuPids)
        {
            final int equals = entry.indexOf('=');
            require(equals > 0, "--cpu-pid takes NAME=PID: " + entry);
            try
            {
                pids.put(entry.substring(0, equals), Long.parseLong(entry.substring(equals + 1)));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("--cpu-pid takes NAME=PID: " + entry);
            }
        }
        return pids;
    }

    /**
     * @return source addresses one process uses: as asked, or one per {@link #SESSIONS_PER_SOURCE_ADDRESS} sessions.
     */
    int addressesPerProcess()
    {
        return sourceAddresses > 0 ? sourceAddresses :
            Math.max(1, (users + SESSIONS_PER_SOURCE_ADDRESS - 1) / SESSIONS_PER_SOURCE_ADDRESS);
    }

    /**
     * @return processes this run needs: as asked, or enough for --max-sessions-per-process; 1 in a child.
     */
    int processCount()
    {
        if (childOutput != null)
        {
            return 1;
        }
        return processes > 0 ? processes : Math.max(1, (users + maxSessionsPerProcess - 1) / maxSessionsPerProcess);
    }

    /**
     * Print the summary and write the JSON, the HdrHistogram log and the HTML report.
     *
     * @return the HTML report's path, null if none was written.
     */
    Path report(final String scenario, final Summary summary, final Measurements measurements, final PrintStream out)
        throws IOException
    {
        Reports.printText(summary, out);
        if (json != null)
        {
            Reports.writeJson(summary, json);
            out.printf("JSON summary: %s%n", json.toAbsolutePath());
        }
        if (noReport)
        {
            return null;
        }
        final Path dir = reportDir != null ? reportDir : Path.of("xin-reports",
            scenario + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (measurements != null)
        {
            Reports.writeHistogramLog(measurements, dir.resolve("latency.hlog"));
        }
        final Path html = dir.resolve("report.html");
        Reports.writeHtml(summary, measurements, html);
        out.printf("HTML report: %s%n", html.toAbsolutePath());
        return html;
    }

    private static void require(final boolean condition, final String message)
    {
        if (!condition)
        {
            throw new IllegalArgumentException(message);
        }
    }
}
