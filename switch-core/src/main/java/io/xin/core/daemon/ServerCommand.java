package io.xin.core.daemon;

import io.xin.core.BuildInfo;
import io.xin.core.Configuration;
import io.xin.core.RingThreads;
import io.xin.core.XinSwitch;
import io.xin.core.admin.AdminServer;
import io.xin.core.net.ServerTls;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.NativeLibraries;
import io.xin.storage.StoreConfig;
import org.agrona.CloseHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code xin server}: runs the switch in the foreground until SIGTERM or SIGINT, then drains.
 */
@Command(name = "server", mixinStandardHelpOptions = true, defaultValueProvider = SettingsSource.class,
    versionProvider = BuildInfo.VersionProvider.class,
    description = {
        "Run the Xin switch in the foreground; SIGTERM or Ctrl-C drains and stops it, a second one forces the exit.",
        "Every setting may also come from the environment (--max-frame-length-bytes: XIN_MAX_FRAME_LENGTH_BYTES) " +
        "or from the --config file (max-frame-length-bytes = ...); a flag wins over the environment, which wins " +
        "over the file."})
public final class ServerCommand implements Callable<Integer>
{
    /** Exit status when a setting is invalid: systemd's unit does not restart on it. */
    public static final int EXIT_BAD_CONFIG = 2;
    /** Exit status when the switch could not start or failed while running. */
    public static final int EXIT_FAILED = 1;

    private static final Logger LOG = LoggerFactory.getLogger(ServerCommand.class);
    /** Settings whose Context name is not their flag's name in camel case. */
    private static final Map<String, String> CONTEXT_NAMES = Map.of(
        "bindHost", "host",
        "fsyncPolicy", "fsync",
        "maxInFlightSendsPerSession", "max-in-flight-sends",
        "tlsCertFile", "tls-cert",
        "tlsKeyFile", "tls-key");
    private static final Pattern LEADING_NAME = Pattern.compile("^([a-z][A-Za-z]*)");

    @Spec
    CommandSpec spec;

    /** Set by the first of the signal handler and the shutdown hook to drain; the other only waits. */
    private final java.util.concurrent.atomic.AtomicBoolean drainStarted = new java.util.concurrent.atomic.AtomicBoolean();

    @Option(names = "--config", description = "Config file of settings, one 'key = value' a line " +
        "(also XIN_CONFIG); see conf/xin.properties.")
    Path config;

    @Option(names = "--print-config-template", description = "Print a config file documenting every setting " +
        "with its default, and exit.")
    boolean printConfigTemplate;

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host = Configuration.DEFAULT_BIND_HOST;

    @Option(names = "--port", description = "TCP port for clients (default: ${DEFAULT-VALUE}).")
    int port = Configuration.DEFAULT_PORT;

    @Option(names = "--data-dir", description = "Directory of the RocksDB store (required).")
    Path dataDir;

    @Option(names = "--jwt-secret", description = "HS256 secret for login tokens, at least 32 bytes. " +
        "Also read from the XIN_JWT_SECRET environment variable.", defaultValue = "${env:XIN_JWT_SECRET}")
    String jwtSecret;

    @Option(names = "--jwt-public-key", description = "PEM file with an EC P-256 (ES256) or Ed25519 (EdDSA) public key.")
    Path jwtPublicKey;

    @Option(names = "--fsync", description = "never | batch (default: ${DEFAULT-VALUE}).")
    FsyncPolicy fsyncPolicy = FsyncPolicy.BATCH;

    @Option(names = "--retention-seconds", description = "How long inbox entries are kept; 0 = for ever " +
        "(default: ${DEFAULT-VALUE}).")
    long retentionSeconds = StoreConfig.DEFAULT_RETENTION_SECONDS;

    @Option(names = "--dedupe-retention-seconds", description = "How long a client_msg_id is remembered " +
        "(default: ${DEFAULT-VALUE}).")
    long dedupeRetentionSeconds = StoreConfig.DEFAULT_DEDUPE_RETENTION_SECONDS;

    @Option(names = "--head-write-interval-ms", description = "Longest time a moved inbox head waits before it " +
        "is written (its inbox entries hold it meanwhile; 0 = every journal batch; at most half the retention) " +
        "(default: ${DEFAULT-VALUE}).")
    long headWriteIntervalMs = Configuration.DEFAULT_HEAD_WRITE_INTERVAL_MS;

    @Option(names = "--heartbeat-interval-ms", description = "Heartbeat interval suggested to clients " +
        "(default: ${DEFAULT-VALUE}).")
    int heartbeatIntervalMs = Configuration.DEFAULT_HEARTBEAT_INTERVAL_MS;

    @Option(names = "--idle-timeout-ms", description = "Close sessions silent for this long (default: ${DEFAULT-VALUE}).")
    int idleTimeoutMs = Configuration.DEFAULT_IDLE_TIMEOUT_MS;

    @Option(names = "--park-idle-ms", description = "Plaintext sessions silent for this long give up their " +
        "Netty channel (about 880 bytes each) until read from or written to; 0 = never (default: ${DEFAULT-VALUE}).")
    int parkIdleMs = Configuration.DEFAULT_PARK_IDLE_MS;

    @Option(names = "--login-timeout-ms", description = "Close connections without Login after this long " +
        "(default: ${DEFAULT-VALUE}).")
    int loginTimeoutMs = Configuration.DEFAULT_LOGIN_TIMEOUT_MS;

    @Option(names = "--max-frame-length-bytes", description = "Largest frame after login (default: ${DEFAULT-VALUE}).")
    int maxFrameLengthBytes = Configuration.DEFAULT_MAX_FRAME_LENGTH_BYTES;

    @Option(names = "--max-pre-login-frame-length-bytes", description = "Largest frame before login " +
        "(default: ${DEFAULT-VALUE}).")
    int maxPreLoginFrameLengthBytes = Configuration.DEFAULT_MAX_PRE_LOGIN_FRAME_LENGTH_BYTES;

    @Option(names = "--max-in-flight-sends", description = "Unacknowledged sends per session before BUSY " +
        "(default: ${DEFAULT-VALUE}).")
    int maxInFlightSends = Configuration.DEFAULT_MAX_IN_FLIGHT_SENDS_PER_SESSION;

    @Option(names = "--max-sync-limit", description = "Largest Sync page in messages (default: ${DEFAULT-VALUE}).")
    int maxSyncLimit = Configuration.DEFAULT_MAX_SYNC_LIMIT;

    @Option(names = "--ring-size", description = "Disruptor ring slots, a power of two (default: ${DEFAULT-VALUE}).")
    int ringSize = Configuration.DEFAULT_RING_SIZE;

    @Option(names = "--journal-shards", description = "Journal threads, each with its own ring; users are hashed " +
        "to them. Raise only on machines with cores to spare (default: ${DEFAULT-VALUE}).")
    int journalShards = Configuration.DEFAULT_JOURNAL_SHARDS;

    @Option(names = "--ring-threads-per-shard", description = "2: each journal shard's journal and dispatcher on " +
        "threads of their own; 1: one thread runs both (default: ${DEFAULT-VALUE}).",
        converter = RingThreadsPerShard.class, defaultValue = "" + Configuration.DEFAULT_RING_THREADS_PER_SHARD)
    RingThreads ringThreads;

    @Option(names = "--io-threads", description = "Netty event loops; 0 = one per core (default: ${DEFAULT-VALUE}).")
    int ioThreads = Configuration.DEFAULT_IO_THREADS;

    @Option(names = "--transport", description = "auto | io_uring | epoll | nio (default: ${DEFAULT-VALUE}).")
    String transport = "auto";

    @Option(names = "--drain-timeout-ms", description = "Longest wait for the ring to drain at a graceful stop " +
        "(default: ${DEFAULT-VALUE}).")
    long drainTimeoutMs = Configuration.DEFAULT_DRAIN_TIMEOUT_MS;

    @Option(names = "--jwt-clock-skew-seconds", description = "Tolerance on a token's exp and nbf " +
        "(default: ${DEFAULT-VALUE}).")
    long jwtClockSkewSeconds = Configuration.DEFAULT_JWT_CLOCK_SKEW_SECONDS;

    @Option(names = "--max-sync-result-bytes", description = "A Sync page stops before its messages pass this " +
        "(default: ${DEFAULT-VALUE}).")
    int maxSyncResultBytes = Configuration.DEFAULT_MAX_SYNC_RESULT_BYTES;

    @Option(names = "--sync-threads", description = "Threads reading Sync pages (default: ${DEFAULT-VALUE}).")
    int syncThreads = Configuration.DEFAULT_SYNC_THREADS;

    @Option(names = "--sync-queue-capacity", description = "Sync requests queued before BUSY " +
        "(default: ${DEFAULT-VALUE}).")
    int syncQueueCapacity = Configuration.DEFAULT_SYNC_QUEUE_CAPACITY;

    @Option(names = "--busy-retry-after-ms", description = "retry_after_ms sent with BUSY (default: ${DEFAULT-VALUE}).")
    int busyRetryAfterMs = Configuration.DEFAULT_BUSY_RETRY_AFTER_MS;

    @Option(names = "--write-buffer-low-water-mark-bytes", description = "A slow device's channel is writable " +
        "again below this (default: ${DEFAULT-VALUE}).")
    int writeBufferLowWaterMarkBytes = Configuration.DEFAULT_WRITE_BUFFER_LOW_WATER_MARK_BYTES;

    @Option(names = "--write-buffer-high-water-mark-bytes", description = "Pushes to a device are dropped while " +
        "more than this waits to be written to it (default: ${DEFAULT-VALUE}).")
    int writeBufferHighWaterMarkBytes = Configuration.DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK_BYTES;

    @Option(names = "--go-away-max-reconnect-delay-ms", description = "GoAway tells each client to wait a random " +
        "delay up to this (default: ${DEFAULT-VALUE}).")
    int goAwayMaxReconnectDelayMs = Configuration.DEFAULT_GO_AWAY_MAX_RECONNECT_DELAY_MS;

    @Option(names = "--block-cache-bytes", description = "RocksDB block cache (default: ${DEFAULT-VALUE}).")
    long blockCacheBytes = StoreConfig.DEFAULT_BLOCK_CACHE_BYTES;

    @Option(names = "--write-buffer-bytes", description = "RocksDB memtable size per column family " +
        "(default: ${DEFAULT-VALUE}).")
    long writeBufferBytes = StoreConfig.DEFAULT_WRITE_BUFFER_BYTES;

    @Option(names = "--hash-memtable", arity = "1", paramLabel = "true|false", description = "The inbox and " +
        "dedupe RocksDB memtables as hashes of one skip list per user instead of one skip list each (default: " +
        "${DEFAULT-VALUE}). The files are the same either way.")
    boolean hashMemtable = StoreConfig.DEFAULT_HASH_MEMTABLE;

    @Option(names = "--tls-cert", description = "PEM certificate chain (leaf first) for TLS on the client " +
        "ports; with --tls-key. Unset: plain TCP.")
    Path tlsCert;

    @Option(names = "--tls-key", description = "PEM PKCS#8 private key of --tls-cert, not encrypted.")
    Path tlsKey;

    @Option(names = "--tls-provider", description = "auto (BoringSSL when its native library loads, else the " +
        "JDK) | openssl | jdk (default: ${DEFAULT-VALUE}).")
    String tlsProvider = ServerTls.PROVIDER_AUTO;

    @Option(names = "--tls-reload-interval-ms", description = "How often the certificate and key files are " +
        "checked for a change; a change is loaded for new connections. 0 = never (default: ${DEFAULT-VALUE}).")
    long tlsReloadIntervalMs = Configuration.DEFAULT_TLS_RELOAD_INTERVAL_MS;

    @Option(names = "--proxy-port", description = "A second client port where every connection starts with a " +
        "PROXY protocol v1 or v2 header, for a load balancer; -1 = none (default: ${DEFAULT-VALUE}).")
    int proxyPort = Configuration.DEFAULT_PROXY_PORT;

    @Option(names = "--proxy-allowed-sources", description = "Load balancers allowed to connect to --proxy-port, as " +
        "IPv4 and IPv6 ranges in CIDR notation separated by commas (e.g. 10.0.1.0/24,2001:db8::7); any other peer " +
        "is closed before its PROXY header is read (default: ${DEFAULT-VALUE}).")
    String proxyAllowedSources = Configuration.DEFAULT_PROXY_ALLOWED_SOURCES;

    @Option(names = "--admin-host", description = "Address of the admin HTTP port (default: ${DEFAULT-VALUE}).")
    String adminHost = Configuration.DEFAULT_ADMIN_HOST;

    @Option(names = "--admin-port", description = "Admin HTTP port: /healthz, /readyz, /metrics, /loglevel, /backup; " +
        "-1 = none (default: ${DEFAULT-VALUE}).")
    int adminPort = Configuration.DEFAULT_ADMIN_PORT;

    @Option(names = "--admin-token-file", description = "File holding the bearer token (one line, at least 16 " +
        "characters) that every change through the admin port (POST /loglevel) needs. Unset: changes are taken " +
        "only when --admin-host is a loopback address, and refused with 403 otherwise.")
    Path adminTokenFile;

    @Option(names = "--health-host", description = "Address of the health HTTP port (default: ${DEFAULT-VALUE}).")
    String healthHost = Configuration.DEFAULT_HEALTH_HOST;

    @Option(names = "--health-port", description = "Health HTTP port for a load balancer: GET /healthz and " +
        "/readyz only, nothing that changes state; -1 = none (default: ${DEFAULT-VALUE}).")
    int healthPort = Configuration.DEFAULT_HEALTH_PORT;

    @Option(names = "--shutdown-deadline-ms", description = "At SIGTERM the process exits within this long, " +
        "drained or not (default: ${DEFAULT-VALUE}).")
    long shutdownDeadlineMs = Configuration.DEFAULT_SHUTDOWN_DEADLINE_MS;

    @Option(names = "--drain-notice-ms", description = "At SIGTERM, /readyz fails this long before logins are " +
        "refused and sessions told to go away, so a load balancer stops sending new connections first; set it " +
        "to the balancer's health-check interval times its fall count (default: ${DEFAULT-VALUE}).")
    long drainNoticeMs = Configuration.DEFAULT_DRAIN_NOTICE_MS;
    @Option(names = "--max-sends-per-second-per-session", description = "Sustained sends per second of one " +
        "session; more get RATE_LIMITED; 0 = no limit (default: ${DEFAULT-VALUE}).")
    int maxSendsPerSecondPerSession = Configuration.DEFAULT_MAX_SENDS_PER_SECOND_PER_SESSION;

    @Option(names = "--send-burst-per-session", description = "Sends one session may make at once " +
        "(default: ${DEFAULT-VALUE}).")
    int sendBurstPerSession = Configuration.DEFAULT_SEND_BURST_PER_SESSION;

    @Option(names = "--max-rate-limited-sends-per-session", description = "Sends refused for rate in a row " +
        "before the session is closed (default: ${DEFAULT-VALUE}).")
    int maxRateLimitedSendsPerSession = Configuration.DEFAULT_MAX_RATE_LIMITED_SENDS_PER_SESSION;

    @Option(names = "--max-connections", description = "Open connections in the switch (default: ${DEFAULT-VALUE}).")
    int maxConnections = Configuration.DEFAULT_MAX_CONNECTIONS;

    @Option(names = "--max-connections-per-address", description = "Open connections from one address " +
        "(default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerAddress = Configuration.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;

    @Option(names = "--max-new-connections-per-address-per-second", description = "New connections per second " +
        "from one address, bursts of twice that; 0 = no limit (default: ${DEFAULT-VALUE}).")
    int maxNewConnectionsPerAddressPerSecond = Configuration.DEFAULT_MAX_NEW_CONNECTIONS_PER_ADDRESS_PER_SECOND;

    @Option(names = "--max-login-failures-per-address-per-minute", description = "Failed logins per minute from " +
        "one address before its connections are refused; 0 = no limit (default: ${DEFAULT-VALUE}).")
    int maxLoginFailuresPerAddressPerMinute = Configuration.DEFAULT_MAX_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE;

    @Option(names = "--max-logins-per-device-per-minute", description = "Logins of one device per minute before " +
        "it is banned for --device-ban-ms; 0 = no limit (default: ${DEFAULT-VALUE}).")
    int maxLoginsPerDevicePerMinute = Configuration.DEFAULT_MAX_LOGINS_PER_DEVICE_PER_MINUTE;

    @Option(names = "--device-ban-ms", description = "How long a flapping device is refused (default: ${DEFAULT-VALUE}).")
    long deviceBanMs = Configuration.DEFAULT_DEVICE_BAN_MS;

    @Option(names = "--max-guard-records", description = "Addresses, and devices, the abuse guards remember " +
        "(default: ${DEFAULT-VALUE}).")
    int maxGuardRecords = Configuration.DEFAULT_MAX_GUARD_RECORDS;

    @Option(names = "--max-group-members", description = "Members a group may hold (default: ${DEFAULT-VALUE}).")
    int maxGroupMembers = Configuration.DEFAULT_MAX_GROUP_MEMBERS;

    @Option(names = "--max-channel-publishers", description = "Publishers a channel may have " +
        "(default: ${DEFAULT-VALUE}).")
    int maxChannelPublishers = Configuration.DEFAULT_MAX_CHANNEL_PUBLISHERS;

    @Option(names = "--channel-pushes-per-second", description = "Paced pushes of channel posts to online " +
        "followers per second, over all channels (default: ${DEFAULT-VALUE}).")
    int channelPushesPerSecond = Configuration.DEFAULT_CHANNEL_PUSHES_PER_SECOND;

    @Option(names = "--channel-push-chunk", description = "Followers handed to the event loops per pacer step " +
        "(default: ${DEFAULT-VALUE}).")
    int channelPushChunk = Configuration.DEFAULT_CHANNEL_PUSH_CHUNK;

    @Override
    public Integer call() throws Exception
    {
        if (printConfigTemplate)
        {
            spec.commandLine().getOut().print(ConfigTemplate.render(spec));
            spec.commandLine().getOut().flush();
            return 0;
        }
        if (adminPort < -1 || adminPort > 65535)
        {
            return badSetting("admin-port", "adminPort must be -1 (none) or 0..65535: " + adminPort);
        }
        if (healthPort < -1 || healthPort > 65535)
        {
            return badSetting("health-port", "healthPort must be -1 (none) or 0..65535: " + healthPort);
        }
        if (healthPort > 0 && healthPort == adminPort)
        {
            return badSetting("health-port", "healthPort must differ from adminPort: " + healthPort);
        }
        String adminToken = null;
        if (adminTokenFile != null)
        {
            try
            {
                adminToken = AdminServer.readToken(adminTokenFile);
            }
            catch (final java.io.IOException | IllegalArgumentException ex)
            {
                return badSetting("admin-token-file", "adminTokenFile: cannot read a token from " + adminTokenFile +
                    ": " + ex.getMessage());
            }
        }
        if (drainNoticeMs < 0)
        {
            return badSetting("drain-notice-ms", "drainNoticeMs must not be negative: " + drainNoticeMs);
        }
        if (shutdownDeadlineMs <= 0)
        {
            return badSetting("shutdown-deadline-ms", "shutdownDeadlineMs must be positive: " + shutdownDeadlineMs);
        }
        LeakDetection.disableUnlessSet();
        LOG.info("Starting {}", BuildInfo.describe());
        final XinSwitch.Context ctx = new XinSwitch.Context()
            .bindHost(host)
            .port(port)
            .dataDir(dataDir)
            .jwtSecret(jwtSecret)
            .fsyncPolicy(fsyncPolicy)
            .retentionSeconds(retentionSeconds)
            .dedupeRetentionSeconds(dedupeRetentionSeconds)
            .headWriteIntervalMs(headWriteIntervalMs)
            .heartbeatIntervalMs(heartbeatIntervalMs)
            .idleTimeoutMs(idleTimeoutMs)
            .parkIdleMs(parkIdleMs)
            .loginTimeoutMs(loginTimeoutMs)
            .maxFrameLengthBytes(maxFrameLengthBytes)
            .maxPreLoginFrameLengthBytes(maxPreLoginFrameLengthBytes)
            .maxInFlightSendsPerSession(maxInFlightSends)
            .maxSyncLimit(maxSyncLimit)
            .ringSize(ringSize)
            .journalShards(journalShards)
            .ringThreads(ringThreads)
            .ioThreads(ioThreads)
            .transport(transport)
            .drainTimeoutMs(drainTimeoutMs)
            .jwtClockSkewSeconds(jwtClockSkewSeconds)
            .maxSyncResultBytes(maxSyncResultBytes)
            .syncThreads(syncThreads)
            .syncQueueCapacity(syncQueueCapacity)
            .busyRetryAfterMs(busyRetryAfterMs)
            .writeBufferWaterMarks(writeBufferLowWaterMarkBytes, writeBufferHighWaterMarkBytes)
            .goAwayMaxReconnectDelayMs(goAwayMaxReconnectDelayMs)
            .blockCacheBytes(blockCacheBytes)
            .writeBufferBytes(writeBufferBytes)
            .hashMemtable(hashMemtable)
            .tls(tlsCert, tlsKey)
            .tlsProvider(tlsProvider)
            .tlsReloadIntervalMs(tlsReloadIntervalMs)
            .proxyPort(proxyPort)
            .proxyAllowedSources(proxyAllowedSources)
            .sendRateLimit(maxSendsPerSecondPerSession, sendBurstPerSession)
            .maxRateLimitedSendsPerSession(maxRateLimitedSendsPerSession)
            .maxConnections(maxConnections)
            .maxConnectionsPerAddress(maxConnectionsPerAddress)
            .maxNewConnectionsPerAddressPerSecond(maxNewConnectionsPerAddressPerSecond)
            .maxLoginFailuresPerAddressPerMinute(maxLoginFailuresPerAddressPerMinute)
            .maxLoginsPerDevicePerMinute(maxLoginsPerDevicePerMinute)
            .deviceBanMs(deviceBanMs)
            .maxGuardRecords(maxGuardRecords)
            .maxGroupMembers(maxGroupMembers)
            .maxChannelPublishers(maxChannelPublishers)
            .channelPushPace(channelPushesPerSecond, channelPushChunk);
        if (jwtPublicKey != null)
        {
            try
            {
                ctx.jwtPublicKey(PublicKeys.readPem(jwtPublicKey));
            }
            catch (final java.io.IOException | IllegalArgumentException ex)
            {
                return badSetting("jwt-public-key", "jwtPublicKey: cannot read a public key from " + jwtPublicKey +
                    ": " + ex.getMessage());
            }
        }
        try
        {
            ctx.conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            return badSetting(settingNamed(ex.getMessage()), ex.getMessage());
        }
        // The admin and health ports are taken before the store opens and the client ports listen: a taken port stops
        // the start before any client could connect to a switch that then goes away.
        AdminServer admin = null;
        if (adminPort >= 0 || healthPort >= 0)
        {
            try
            {
                admin = AdminServer.bind(adminHost, adminPort, adminToken, healthHost, healthPort);
            }
            catch (final RuntimeException ex)
            {
                LOG.error("Admin HTTP failed to start: {}. Not starting.", ex.getMessage());
                spec.commandLine().getErr().println("Admin HTTP failed to start: " + ex.getMessage() +
                    ". Not starting.");
                spec.commandLine().getErr().flush();
                return EXIT_FAILED;
            }
        }
        try
        {
            final Path rocksDbLibrary = NativeLibraries.loadRocksDb();
            LOG.info("RocksDB native library: {}", rocksDbLibrary == null ? "loaded by rocksdbjni" : rocksDbLibrary);
        }
        catch (final UnsatisfiedLinkError ex)
        {
            CloseHelper.quietClose(admin);
            LOG.error("Xin switch failed to start: {}", ex.getMessage());
            return EXIT_FAILED;
        }
        final XinSwitch xin;
        try
        {
            xin = XinSwitch.launch(ctx);
        }
        catch (final IllegalArgumentException ex)
        {
            CloseHelper.quietClose(admin);
            return badSetting(settingNamed(ex.getMessage()), ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(admin);
            LOG.error("Xin switch failed to start: {}", ex.toString(), ex);
            return EXIT_FAILED;
        }
        // What start-up made lives as long as the process (the rings' preallocated slots, the store's handles, the
        // loaded classes): move it to the old generation now, before /readyz answers, instead of copying it in the
        // first young collections under load (40-90 ms pauses on two cores; docs/benchmarks.md).
        System.gc();
        if (admin != null)
        {
            admin.serve(xin);
        }
        new ShutdownSignals(() -> drain(xin), shutdownDeadlineMs).install();
        xin.awaitTermination();
        if (admin != null)
        {
            admin.close();
        }
        return 0;
    }

    private void drain(final XinSwitch xin)
    {
        if (drainStarted.getAndSet(true))
        {
            xin.close();
            return;
        }
        xin.announceDrain();
        if (drainNoticeMs > 0)
        {
            try
            {
                Thread.sleep(drainNoticeMs);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        xin.close();
    }

    /**
     * The setting an {@link IllegalArgumentException} from {@code Context.conclude()} is about: its
     * message starts with the Context's name of the setting.
     */
    private String settingNamed(final String message)
    {
        final Matcher matcher = LEADING_NAME.matcher(message == null ? "" : message);
        if (!matcher.find())
        {
            return null;
        }
        final String contextName = matcher.group(1);
        final String key = CONTEXT_NAMES.getOrDefault(contextName,
            contextName.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT));
        return spec.findOption("--" + key) == null ? null : key;
    }

    private int badSetting(final String key, final String message)
    {
        final StringBuilder text = new StringBuilder("Invalid setting");
        if (key != null)
        {
            text.append(' ').append(key).append(" (flag --").append(key).append(", environment ")
                .append(SettingsSource.envName(key));
            final String source = spec.defaultValueProvider() instanceof SettingsSource settings ?
                settings.sourceOf(key) : null;
            if (source != null)
            {
                text.append(", value from the ").append(source);
            }
            text.append(')');
        }
        text.append(": ").append(message).append(". Not starting.");
        LOG.error("{}", text);
        spec.commandLine().getErr().println(text);
        spec.commandLine().getErr().flush();
        return EXIT_BAD_CONFIG;
    }

    /**
     * The command line of the daemon, with settings from flags, the environment and the config file,
     * and bad values reported with where they came from.
     *
     * @return a command line ready to {@code execute(args)}.
     */
    public static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new ServerCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler(parameterErrors(commandLine.getParameterExceptionHandler()));
        return commandLine;
    }

    /**
     * Reports a bad flag, value or config key of the {@code server} command in one line on stderr, naming the
     * setting and where its value came from, with {@link #EXIT_BAD_CONFIG}; the usage is for {@code --help}.
     * Errors of other commands go to {@code others}.
     *
     * @param others the handler of parse errors of any other command.
     * @return the handler to set on the top command line (picocli calls the top one's for its subcommands).
     */
    public static CommandLine.IParameterExceptionHandler parameterErrors(final CommandLine.IParameterExceptionHandler others)
    {
        return (ex, args) ->
        {
            if (!(ex.getCommandLine().getCommand() instanceof ServerCommand))
            {
                return others.handleParseException(ex, args);
            }
            final CommandSpec commandSpec = ex.getCommandLine().getCommandSpec();
            final OptionSpec option = ex.getArgSpec() instanceof OptionSpec o ? o : null;
            final String line;
            if (ex instanceof CommandLine.UnmatchedArgumentException unmatched)
            {
                final String nearest = unmatched.getUnmatched().isEmpty() ? null :
                    nearestOption(commandSpec, unmatched.getUnmatched().get(0));
                line = "Invalid command line: " + ex.getMessage() +
                    (nearest == null ? "" : " (did you mean " + nearest + "?)") +
                    "; see " + commandSpec.qualifiedName() + " --help";
            }
            else if (option != null && SettingsSource.isSetting(option))
            {
                final String source = givenOnCommandLine(option, args) ||
                    !(commandSpec.defaultValueProvider() instanceof SettingsSource s) ?
                    null : s.sourceOf(SettingsSource.key(option));
                line = "Invalid setting " + SettingsSource.key(option) + " (value from the " +
                    (source == null ? "command line" : source) + "): " + ex.getMessage();
            }
            else
            {
                line = ex.getMessage();
            }
            ex.getCommandLine().getErr().println(line + ". Not starting.");
            ex.getCommandLine().getErr().flush();
            return EXIT_BAD_CONFIG;
        };
    }

    private static boolean givenOnCommandLine(final OptionSpec option, final String[] args)
    {
        for (final String arg : args)
        {
            for (final String name : option.names())
            {
                if (arg.equals(name) || arg.startsWith(name + "="))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** The option spelt closest to a misspelt one, two edits away at most; null when none is that close. */
    static String nearestOption(final CommandSpec commandSpec, final String given)
    {
        final String name = given.contains("=") ? given.substring(0, given.indexOf('=')) : given;
        String nearest = null;
        int nearestDistance = 3;
        for (final OptionSpec option : commandSpec.options())
        {
            final int distance = editDistance(name, option.longestName());
            if (distance < nearestDistance)
            {
                nearest = option.longestName();
                nearestDistance = distance;
            }
        }
        return nearest;
    }

    private static int editDistance(final String a, final String b)
    {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++)
        {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++)
            {
                final int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            final int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** Reads the ring's threading mode as the config file and the command line spell it: threads per shard, 1 or 2. */
    static final class RingThreadsPerShard implements CommandLine.ITypeConverter<RingThreads>
    {
        @Override
        public RingThreads convert(final String value)
        {
            try
            {
                return RingThreads.ofThreadsPerShard(Integer.parseInt(value.trim()));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.TypeConversionException("ringThreadsPerShard must be 1 or 2: " + value);
            }
        }
    }
}
