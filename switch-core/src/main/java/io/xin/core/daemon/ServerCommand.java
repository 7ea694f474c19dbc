package io.xin.core.daemon;

import io.xin.core.Configuration;
import io.xin.core.XinSwitch;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.StoreConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code xin server}: runs the switch in the foreground until SIGTERM or SIGINT, then drains.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run the Xin switch in the foreground; SIGTERM or Ctrl-C drains and stops it.")
public final class ServerCommand implements Callable<Integer>
{
    private static final Logger LOG = LoggerFactory.getLogger(ServerCommand.class);

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host = Configuration.DEFAULT_BIND_HOST;

    @Option(names = "--port", description = "TCP port for clients (default: ${DEFAULT-VALUE}).")
    int port = Configuration.DEFAULT_PORT;

    @Option(names = "--data-dir", required = true, description = "Directory of the RocksDB store.")
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

    @Option(names = "--heartbeat-interval-ms", description = "Heartbeat interval suggested to clients " +
        "(default: ${DEFAULT-VALUE}).")
    int heartbeatIntervalMs = Configuration.DEFAULT_HEARTBEAT_INTERVAL_MS;

    @Option(names = "--idle-timeout-ms", description = "Close sessions silent for this long (default: ${DEFAULT-VALUE}).")
    int idleTimeoutMs = Configuration.DEFAULT_IDLE_TIMEOUT_MS;

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

    @Option(names = "--io-threads", description = "Netty event loops; 0 = two per core (default: ${DEFAULT-VALUE}).")
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

    @Override
    public Integer call() throws Exception
    {
        final XinSwitch.Context ctx = new XinSwitch.Context()
            .bindHost(host)
            .port(port)
            .dataDir(dataDir)
            .jwtSecret(jwtSecret)
            .fsyncPolicy(fsyncPolicy)
            .retentionSeconds(retentionSeconds)
            .dedupeRetentionSeconds(dedupeRetentionSeconds)
            .heartbeatIntervalMs(heartbeatIntervalMs)
            .idleTimeoutMs(idleTimeoutMs)
            .loginTimeoutMs(loginTimeoutMs)
            .maxFrameLengthBytes(maxFrameLengthBytes)
            .maxPreLoginFrameLengthBytes(maxPreLoginFrameLengthBytes)
            .maxInFlightSendsPerSession(maxInFlightSends)
            .maxSyncLimit(maxSyncLimit)
            .ringSize(ringSize)
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
            .sendRateLimit(maxSendsPerSecondPerSession, sendBurstPerSession)
            .maxRateLimitedSendsPerSession(maxRateLimitedSendsPerSession)
            .maxConnections(maxConnections)
            .maxConnectionsPerAddress(maxConnectionsPerAddress)
            .maxNewConnectionsPerAddressPerSecond(maxNewConnectionsPerAddressPerSecond)
            .maxLoginFailuresPerAddressPerMinute(maxLoginFailuresPerAddressPerMinute)
            .maxLoginsPerDevicePerMinute(maxLoginsPerDevicePerMinute)
            .deviceBanMs(deviceBanMs)
            .maxGuardRecords(maxGuardRecords);
        if (jwtPublicKey != null)
        {
            ctx.jwtPublicKey(PublicKeys.readPem(jwtPublicKey));
        }
        final XinSwitch xin;
        try
        {
            xin = XinSwitch.launch(ctx);
        }
        catch (final IllegalArgumentException ex)
        {
            LOG.error("Invalid configuration: {}", ex.getMessage());
            return 2;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(xin::close, "xin-shutdown"));
        xin.awaitTermination();
        return 0;
    }
}
