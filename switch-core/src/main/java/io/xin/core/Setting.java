package io.xin.core;

import io.xin.core.XinSwitch.Context;
import io.xin.core.nearby.NearbyConfig;
import io.xin.core.net.ServerTls;
import io.xin.core.net.Transport;
import io.xin.media.MediaLimits;
import io.xin.storage.FsyncPolicy;
import io.xin.storage.StoreConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ObjIntConsumer;
import java.util.function.ObjLongConsumer;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Every setting of the switch and of its daemon, defined once: its name, type, default, range, unit, section
 * and one line of documentation. From this list come {@link Context}'s defaults, the range checks of
 * {@link Context#conclude()} and its {@code toString()}, the daemon's flags, environment variables and config
 * keys, the shipped {@code conf/xin.properties} and {@code docs/configuration.md}. A new setting is one entry
 * here (and, for the switch, its {@link Context} field, setter and getter, which the entry binds to) plus its
 * use. Rules that relate two settings stay in {@link Context#conclude()}.
 * <p>
 * The key is the flag without its dashes ({@code max-frame-length-bytes}), the config file's key, and, upper
 * case with underscores after {@code XIN_}, the environment variable. Messages name a setting by its name in
 * {@link Context} ({@code maxFrameLengthBytes}).
 */
public enum Setting
{
    // Network
    HOST(Section.NETWORK, "host", "bindHost", String.class, Configuration.DEFAULT_BIND_HOST, Range.notBlank(), "",
        "Address to listen on.",
        objects(String.class, Context::bindHost, Context::bindHost)),
    PORT(Section.NETWORK, "port", int.class, Configuration.DEFAULT_PORT, Range.between(0, 65535), "",
        "TCP port for clients; 0 picks a free one.",
        ints(Context::port, Context::port)),
    TRANSPORT(Section.NETWORK, "transport", String.class, Transport.AUTO,
        Range.oneOf(Transport.AUTO, Transport.IO_URING, Transport.EPOLL, Transport.NIO), "",
        "Socket transport: auto takes epoll, else io_uring, else NIO.",
        objects(String.class, Context::transport, Context::transport)),
    IO_THREADS(Section.NETWORK, "io-threads", int.class, Configuration.DEFAULT_IO_THREADS, Range.atLeast(0), "",
        "Netty event loops for sessions; 0 = one per core.",
        ints(Context::ioThreads, Context::ioThreads)),
    WRITE_BUFFER_LOW_WATER_MARK_BYTES(Section.NETWORK, "write-buffer-low-water-mark-bytes", int.class,
        Configuration.DEFAULT_WRITE_BUFFER_LOW_WATER_MARK_BYTES, Range.atLeast(1), "bytes",
        "A slow device's channel is writable again below this.",
        ints((c, v) -> c.writeBufferWaterMarks(v, c.writeBufferHighWaterMarkBytes()),
            Context::writeBufferLowWaterMarkBytes)),
    WRITE_BUFFER_HIGH_WATER_MARK_BYTES(Section.NETWORK, "write-buffer-high-water-mark-bytes", int.class,
        Configuration.DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK_BYTES, Range.atLeast(1), "bytes",
        "Pushes to a device are dropped while more than this waits to be written to it; at least the low mark.",
        ints((c, v) -> c.writeBufferWaterMarks(c.writeBufferLowWaterMarkBytes(), v),
            Context::writeBufferHighWaterMarkBytes)),
    TLS_CERT(Section.NETWORK, "tls-cert", "tlsCertFile", Path.class, null, Range.any(), "",
        "PEM certificate chain (leaf first) for TLS on the client ports; with tls-key. Unset: plain TCP.",
        objects(Path.class, (c, v) -> c.tls(v, c.tlsKeyFile()), Context::tlsCertFile)),
    TLS_KEY(Section.NETWORK, "tls-key", "tlsKeyFile", Path.class, null, Range.any(), "",
        "PEM PKCS#8 private key of tls-cert, not encrypted.",
        objects(Path.class, (c, v) -> c.tls(c.tlsCertFile(), v), Context::tlsKeyFile)),
    TLS_PROVIDER(Section.NETWORK, "tls-provider", String.class, ServerTls.PROVIDER_AUTO,
        Range.oneOf(ServerTls.PROVIDER_AUTO, ServerTls.PROVIDER_OPENSSL, ServerTls.PROVIDER_JDK), "",
        "auto (BoringSSL when its native library loads, else the JDK), openssl or jdk.",
        objects(String.class, Context::tlsProvider, Context::tlsProvider)),
    TLS_RELOAD_INTERVAL_MS(Section.NETWORK, "tls-reload-interval-ms", long.class,
        Configuration.DEFAULT_TLS_RELOAD_INTERVAL_MS, Range.atLeast(0), "ms",
        "How often the certificate and key files are checked for a change; a change is loaded for new " +
        "connections. 0 = never.",
        longs(Context::tlsReloadIntervalMs, Context::tlsReloadIntervalMs)),
    PROXY_PORT(Section.NETWORK, "proxy-port", int.class, Configuration.DEFAULT_PROXY_PORT, Range.between(-1, 65535),
        "", "A second client port where every connection starts with a PROXY protocol v1 or v2 header, for a " +
        "load balancer; -1 = none, 0 picks a free one.",
        ints(Context::proxyPort, Context::proxyPort)),
    PROXY_ALLOWED_SOURCES(Section.NETWORK, "proxy-allowed-sources", String.class,
        Configuration.DEFAULT_PROXY_ALLOWED_SOURCES, Range.notBlank(), "",
        "Load balancers allowed to connect to proxy-port, as IPv4 and IPv6 ranges in CIDR notation separated by " +
        "commas (e.g. 198.51.100.0/24,2001:db8::7); any other peer is closed before its PROXY header is read.",
        objects(String.class, Context::proxyAllowedSources, Context::proxyAllowedSources)),

    // Sessions and logins
    JWT_SECRET(Section.SESSIONS, "jwt-secret", String.class, null, Range.any(), "",
        "HS256 secret for login tokens, at least 32 bytes of UTF-8. Keep it in the environment " +
        "(XIN_JWT_SECRET), not in the config file.",
        objects(String.class, Context::jwtSecret, Context::jwtSecret)),
    JWT_PUBLIC_KEY(Section.SESSIONS, "jwt-public-key", Path.class, null, Range.any(), "",
        "PEM file with an EC P-256 (ES256) or Ed25519 (EdDSA) public key to verify login tokens.",
        null),
    JWT_CLOCK_SKEW_SECONDS(Section.SESSIONS, "jwt-clock-skew-seconds", long.class,
        Configuration.DEFAULT_JWT_CLOCK_SKEW_SECONDS, Range.between(0, 600), "s",
        "Tolerance on a token's exp and nbf.",
        longs(Context::jwtClockSkewSeconds, Context::jwtClockSkewSeconds)),
    HEARTBEAT_INTERVAL_MS(Section.SESSIONS, "heartbeat-interval-ms", int.class,
        Configuration.DEFAULT_HEARTBEAT_INTERVAL_MS, Range.atLeast(1_000), "ms",
        "Heartbeat interval suggested to clients.",
        ints(Context::heartbeatIntervalMs, Context::heartbeatIntervalMs)),
    IDLE_TIMEOUT_MS(Section.SESSIONS, "idle-timeout-ms", int.class, Configuration.DEFAULT_IDLE_TIMEOUT_MS,
        Range.atLeast(1), "ms", "Close sessions silent for this long.",
        ints(Context::idleTimeoutMs, Context::idleTimeoutMs)),
    PARK_IDLE_MS(Section.SESSIONS, "park-idle-ms", int.class, Configuration.DEFAULT_PARK_IDLE_MS, Range.atLeast(0),
        "ms", "Plaintext sessions silent for this long give up their Netty channel (about 880 bytes each) until " +
        "read from or written to; 0 = never (and so does a value at or above idle-timeout-ms).",
        ints(Context::parkIdleMs, Context::parkIdleMs)),
    LOGIN_TIMEOUT_MS(Section.SESSIONS, "login-timeout-ms", int.class, Configuration.DEFAULT_LOGIN_TIMEOUT_MS,
        Range.atLeast(1), "ms", "Close connections without Login after this long.",
        ints(Context::loginTimeoutMs, Context::loginTimeoutMs)),
    GO_AWAY_MAX_RECONNECT_DELAY_MS(Section.SESSIONS, "go-away-max-reconnect-delay-ms", int.class,
        Configuration.DEFAULT_GO_AWAY_MAX_RECONNECT_DELAY_MS, Range.atLeast(0), "ms",
        "GoAway tells each client to wait a random delay up to this.",
        ints(Context::goAwayMaxReconnectDelayMs, Context::goAwayMaxReconnectDelayMs)),
    MOVED_RETRY_AFTER_MS(Section.SESSIONS, "moved-retry-after-ms", int.class,
        Configuration.DEFAULT_MOVED_RETRY_AFTER_MS, Range.atLeast(0), "ms",
        "Cluster mode: retry_after_ms of a MOVED login answer that names no node (none serves the user yet).",
        ints(Context::movedRetryAfterMs, Context::movedRetryAfterMs)),

    // Limits
    MAX_FRAME_LENGTH_BYTES(Section.LIMITS, "max-frame-length-bytes", int.class,
        Configuration.DEFAULT_MAX_FRAME_LENGTH_BYTES, Range.atLeast(256), "bytes", "Largest frame after login.",
        ints(Context::maxFrameLengthBytes, Context::maxFrameLengthBytes)),
    MAX_PRE_LOGIN_FRAME_LENGTH_BYTES(Section.LIMITS, "max-pre-login-frame-length-bytes", int.class,
        Configuration.DEFAULT_MAX_PRE_LOGIN_FRAME_LENGTH_BYTES, Range.atLeast(64), "bytes",
        "Largest frame before login; at most max-frame-length-bytes.",
        ints(Context::maxPreLoginFrameLengthBytes, Context::maxPreLoginFrameLengthBytes)),
    MAX_IN_FLIGHT_SENDS(Section.LIMITS, "max-in-flight-sends", "maxInFlightSendsPerSession", int.class,
        Configuration.DEFAULT_MAX_IN_FLIGHT_SENDS_PER_SESSION, Range.atLeast(1), "sends",
        "Unacknowledged sends per session before BUSY.",
        ints(Context::maxInFlightSendsPerSession, Context::maxInFlightSendsPerSession)),
    MAX_SYNC_LIMIT(Section.LIMITS, "max-sync-limit", int.class, Configuration.DEFAULT_MAX_SYNC_LIMIT,
        Range.atLeast(1), "messages", "Largest Sync page in messages.",
        ints(Context::maxSyncLimit, Context::maxSyncLimit)),
    MAX_SYNC_RESULT_BYTES(Section.LIMITS, "max-sync-result-bytes", int.class,
        Configuration.DEFAULT_MAX_SYNC_RESULT_BYTES, Range.atLeast(1), "bytes",
        "A Sync page stops before its messages pass this; at least max-frame-length-bytes.",
        ints(Context::maxSyncResultBytes, Context::maxSyncResultBytes)),
    BUSY_RETRY_AFTER_MS(Section.LIMITS, "busy-retry-after-ms", int.class, Configuration.DEFAULT_BUSY_RETRY_AFTER_MS,
        Range.atLeast(0), "ms", "retry_after_ms sent with BUSY.",
        ints(Context::busyRetryAfterMs, Context::busyRetryAfterMs)),
    MAX_SENDS_PER_SECOND_PER_SESSION(Section.LIMITS, "max-sends-per-second-per-session", int.class,
        Configuration.DEFAULT_MAX_SENDS_PER_SECOND_PER_SESSION, Range.atLeast(0), "per second",
        "Sustained sends per second of one session; more get RATE_LIMITED; 0 = no limit.",
        ints((c, v) -> c.sendRateLimit(v, c.sendBurstPerSession()), Context::maxSendsPerSecondPerSession)),
    SEND_BURST_PER_SESSION(Section.LIMITS, "send-burst-per-session", int.class,
        Configuration.DEFAULT_SEND_BURST_PER_SESSION, Range.atLeast(1), "sends",
        "Sends one session may make at once.",
        ints((c, v) -> c.sendRateLimit(c.maxSendsPerSecondPerSession(), v), Context::sendBurstPerSession)),
    MAX_RATE_LIMITED_SENDS_PER_SESSION(Section.LIMITS, "max-rate-limited-sends-per-session", int.class,
        Configuration.DEFAULT_MAX_RATE_LIMITED_SENDS_PER_SESSION, Range.atLeast(1), "sends",
        "Sends refused for rate in a row before the session is closed.",
        ints(Context::maxRateLimitedSendsPerSession, Context::maxRateLimitedSendsPerSession)),
    MAX_CONNECTIONS(Section.LIMITS, "max-connections", int.class, Configuration.DEFAULT_MAX_CONNECTIONS,
        Range.atLeast(1), "connections", "Open connections in the switch; more are refused at accept.",
        ints(Context::maxConnections, Context::maxConnections)),
    MAX_CONNECTIONS_PER_ADDRESS(Section.LIMITS, "max-connections-per-address", int.class,
        Configuration.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS, Range.atLeast(1), "connections",
        "Open connections from one address.",
        ints(Context::maxConnectionsPerAddress, Context::maxConnectionsPerAddress)),
    MAX_NEW_CONNECTIONS_PER_ADDRESS_PER_SECOND(Section.LIMITS, "max-new-connections-per-address-per-second",
        int.class, Configuration.DEFAULT_MAX_NEW_CONNECTIONS_PER_ADDRESS_PER_SECOND, Range.atLeast(0), "per second",
        "New connections per second from one address, bursts of twice that; 0 = no limit.",
        ints(Context::maxNewConnectionsPerAddressPerSecond, Context::maxNewConnectionsPerAddressPerSecond)),
    MAX_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE(Section.LIMITS, "max-login-failures-per-address-per-minute",
        int.class, Configuration.DEFAULT_MAX_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE, Range.atLeast(0), "per minute",
        "Failed logins per minute from one address before its connections are refused; 0 = no limit.",
        ints(Context::maxLoginFailuresPerAddressPerMinute, Context::maxLoginFailuresPerAddressPerMinute)),
    MAX_LOGINS_PER_DEVICE_PER_MINUTE(Section.LIMITS, "max-logins-per-device-per-minute", int.class,
        Configuration.DEFAULT_MAX_LOGINS_PER_DEVICE_PER_MINUTE, Range.atLeast(0), "per minute",
        "Logins of one device per minute before it is banned for device-ban-ms; 0 = no limit.",
        ints(Context::maxLoginsPerDevicePerMinute, Context::maxLoginsPerDevicePerMinute)),
    DEVICE_BAN_MS(Section.LIMITS, "device-ban-ms", long.class, Configuration.DEFAULT_DEVICE_BAN_MS, Range.atLeast(0),
        "ms", "How long a flapping device is refused.",
        longs(Context::deviceBanMs, Context::deviceBanMs)),
    MAX_GUARD_RECORDS(Section.LIMITS, "max-guard-records", int.class, Configuration.DEFAULT_MAX_GUARD_RECORDS,
        Range.atLeast(1), "records", "Addresses, and devices, the abuse guards remember.",
        ints(Context::maxGuardRecords, Context::maxGuardRecords)),

    // Journal, rings and sync reads
    RING_SIZE(Section.JOURNAL, "ring-size", int.class, Configuration.DEFAULT_RING_SIZE, Range.powerOfTwo(), "slots",
        "Disruptor ring slots per journal shard, a power of two.",
        ints(Context::ringSize, Context::ringSize)),
    JOURNAL_SHARDS(Section.JOURNAL, "journal-shards", int.class, Configuration.DEFAULT_JOURNAL_SHARDS,
        Range.between(1, Configuration.MAX_JOURNAL_SHARDS), "shards",
        "Journal threads, each with its own ring; users are hashed to them. Raise only on machines with cores " +
        "to spare.",
        ints(Context::journalShards, Context::journalShards)),
    RING_THREADS_PER_SHARD(Section.JOURNAL, "ring-threads-per-shard", int.class,
        Configuration.DEFAULT_RING_THREADS_PER_SHARD, Range.between(1, 2), "threads",
        "2: each journal shard's journal and dispatcher on threads of their own; 1: one thread runs both.",
        ints(Context::ringThreadsPerShard, Context::ringThreadsPerShard)),
    HEAD_WRITE_INTERVAL_MS(Section.JOURNAL, "head-write-interval-ms", long.class,
        Configuration.DEFAULT_HEAD_WRITE_INTERVAL_MS, Range.atLeast(0), "ms",
        "Longest time a moved inbox head waits before it is written (its inbox entries hold it meanwhile; 0 = " +
        "every journal batch; at most half the retention).",
        longs(Context::headWriteIntervalMs, Context::headWriteIntervalMs)),
    DRAIN_TIMEOUT_MS(Section.JOURNAL, "drain-timeout-ms", long.class, Configuration.DEFAULT_DRAIN_TIMEOUT_MS,
        Range.atLeast(1), "ms", "Longest wait for the ring to drain at a graceful stop.",
        longs(Context::drainTimeoutMs, Context::drainTimeoutMs)),
    SYNC_THREADS(Section.JOURNAL, "sync-threads", int.class, Configuration.DEFAULT_SYNC_THREADS, Range.atLeast(1),
        "threads", "Threads reading Sync pages.",
        ints(Context::syncThreads, Context::syncThreads)),
    SYNC_QUEUE_CAPACITY(Section.JOURNAL, "sync-queue-capacity", int.class, Configuration.DEFAULT_SYNC_QUEUE_CAPACITY,
        Range.atLeast(1), "requests", "Sync requests queued before BUSY.",
        ints(Context::syncQueueCapacity, Context::syncQueueCapacity)),

    // Store
    DATA_DIR(Section.STORE, "data-dir", Path.class, null, Range.required(), "",
        "Directory of the RocksDB store (required).",
        objects(Path.class, Context::dataDir, Context::dataDir)),
    FSYNC(Section.STORE, "fsync", "fsyncPolicy", FsyncPolicy.class, FsyncPolicy.BATCH, Range.required(), "",
        "never | batch: batch makes each journal batch durable before its sends are acknowledged.",
        objects(FsyncPolicy.class, Context::fsyncPolicy, Context::fsyncPolicy)),
    RETENTION_SECONDS(Section.STORE, "retention-seconds", long.class, StoreConfig.DEFAULT_RETENTION_SECONDS,
        Range.between(0, Integer.MAX_VALUE), "s", "How long inbox entries are kept; 0 = for ever.",
        longs(Context::retentionSeconds, Context::retentionSeconds)),
    DEDUPE_RETENTION_SECONDS(Section.STORE, "dedupe-retention-seconds", long.class,
        StoreConfig.DEFAULT_DEDUPE_RETENTION_SECONDS, Range.between(0, Integer.MAX_VALUE), "s",
        "How long a client_msg_id is remembered; 0 = for ever.",
        longs(Context::dedupeRetentionSeconds, Context::dedupeRetentionSeconds)),
    BLOCK_CACHE_BYTES(Section.STORE, "block-cache-bytes", long.class, StoreConfig.DEFAULT_BLOCK_CACHE_BYTES,
        Range.atLeast(0), "bytes", "RocksDB block cache.",
        longs(Context::blockCacheBytes, Context::blockCacheBytes)),
    WRITE_BUFFER_BYTES(Section.STORE, "write-buffer-bytes", long.class, StoreConfig.DEFAULT_WRITE_BUFFER_BYTES,
        Range.atLeast(1024 * 1024), "bytes", "RocksDB memtable size per column family.",
        longs(Context::writeBufferBytes, Context::writeBufferBytes)),
    HASH_MEMTABLE(Section.STORE, "hash-memtable", boolean.class, StoreConfig.DEFAULT_HASH_MEMTABLE, Range.any(), "",
        "The inbox and dedupe RocksDB memtables as hashes of one skip list per user instead of one skip list " +
        "each. The files are the same either way.",
        objects(Boolean.class, Context::hashMemtable, Context::hashMemtable)),
    LOG_SEGMENT_BYTES(Section.STORE, "log-segment-bytes", long.class, StoreConfig.DEFAULT_LOG_SEGMENT_BYTES,
        Range.between(1024 * 1024, Integer.MAX_VALUE), "bytes",
        "The message log of each journal shard rolls to a new segment file past this size.",
        longs(Context::logSegmentBytes, Context::logSegmentBytes)),
    LOG_CHECKPOINT_BYTES(Section.STORE, "log-checkpoint-bytes", long.class,
        StoreConfig.DEFAULT_LOG_CHECKPOINT_BYTES, Range.atLeast(1024 * 1024), "bytes",
        "Once this much log waits unflushed, RocksDB's memtables are flushed and the log before them deleted: " +
        "a restart after a crash replays at most about this much. At least log-segment-bytes.",
        longs(Context::logCheckpointBytes, Context::logCheckpointBytes)),
    LOG_CHECKPOINT_INTERVAL_MS(Section.STORE, "log-checkpoint-interval-ms", long.class,
        StoreConfig.DEFAULT_LOG_CHECKPOINT_INTERVAL_MS, Range.atLeast(100), "ms",
        "A checkpoint is also taken this long after the last one whenever anything was logged since.",
        longs(Context::logCheckpointIntervalMs, Context::logCheckpointIntervalMs)),
    INDEX_WAIT_MS(Section.STORE, "index-wait-ms", long.class, StoreConfig.DEFAULT_INDEX_WAIT_MS, Range.atLeast(1),
        "ms", "A Sync waits at most this long for RocksDB to hold every message already acknowledged; past it " +
        "the Sync fails.",
        longs(Context::indexWaitMs, Context::indexWaitMs)),

    // Groups and channels
    MAX_GROUP_MEMBERS(Section.AUDIENCES, "max-group-members", int.class, Configuration.DEFAULT_MAX_GROUP_MEMBERS,
        Range.atLeast(2), "members", "Members a group may hold; more are refused with GROUP_FULL.",
        ints(Context::maxGroupMembers, Context::maxGroupMembers)),
    MAX_CHANNEL_PUBLISHERS(Section.AUDIENCES, "max-channel-publishers", int.class,
        Configuration.DEFAULT_MAX_CHANNEL_PUBLISHERS, Range.atLeast(1), "publishers",
        "Publishers a channel may have, its owner included.",
        ints(Context::maxChannelPublishers, Context::maxChannelPublishers)),
    CHANNEL_PUSHES_PER_SECOND(Section.AUDIENCES, "channel-pushes-per-second", int.class,
        Configuration.DEFAULT_CHANNEL_PUSHES_PER_SECOND, Range.atLeast(1), "per second",
        "Paced pushes of channel posts to online followers per second, over all channels.",
        ints((c, v) -> c.channelPushPace(v, c.channelPushChunk()), Context::channelPushesPerSecond)),
    CHANNEL_PUSH_CHUNK(Section.AUDIENCES, "channel-push-chunk", int.class, Configuration.DEFAULT_CHANNEL_PUSH_CHUNK,
        Range.atLeast(1), "followers", "Followers handed to the event loops per pacer step.",
        ints((c, v) -> c.channelPushPace(c.channelPushesPerSecond(), v), Context::channelPushChunk)),

    // Media (the daemon opens the store and runs the media HTTP server; an embedder sets Context.media)
    MEDIA_DIR(Section.MEDIA, "media-dir", Path.class, null, Range.any(), "",
        "Directory of the local media store (uploads in progress and blobs); setting it turns media on. Back it " +
        "up with data-dir. With media-store=s3: where uploads in progress are spooled (unset: data-dir/media).",
        null),
    MEDIA_STORE(Section.MEDIA, "media-store", String.class, Configuration.MEDIA_STORE_LOCAL,
        Range.oneOf(Configuration.MEDIA_STORE_LOCAL, Configuration.MEDIA_STORE_S3), "",
        "Where blobs live: local (in media-dir; media is on once that is set) or s3 (an S3-compatible bucket, " +
        "media-s3-*; turns media on).", null),
    MEDIA_BIND_HOST(Section.MEDIA, "media-bind-host", String.class, Configuration.DEFAULT_MEDIA_BIND_HOST,
        Range.notBlank(), "", "Address of the media HTTP server, where clients upload and download.", null),
    MEDIA_PORT(Section.MEDIA, "media-port", int.class, Configuration.DEFAULT_MEDIA_PORT, Range.between(0, 65535), "",
        "Port of the media HTTP server; 0 picks a free one.", null),
    MEDIA_PUBLIC_URL(Section.MEDIA, "media-public-url", String.class, null, Range.any(), "",
        "The media HTTP server's base URL as clients reach it, such as https://media.example.com (a TLS proxy in " +
        "front). Unset: http://media-bind-host:media-port, which needs a media-bind-host that is not a wildcard " +
        "address.",
        objects(String.class, Context::mediaPublicUrl, Context::mediaPublicUrl)),
    MEDIA_SIGNING_KEY(Section.MEDIA, "media-signing-key", Path.class, null, Range.any(), "",
        "File of the keys that sign upload and download URLs and the access tokens of stored messages: one key a " +
        "line, an id and a base64 secret of 32 bytes or more, the signing key first, older keys below it until " +
        "what they signed has expired. Unset: signing.key in the media directory (media-dir, or data-dir/media " +
        "with media-store=s3), made at the first start. Cluster mode: the same file on every node.", null),
    MEDIA_QUOTA_BYTES(Section.MEDIA, "media-quota-bytes", long.class, Configuration.DEFAULT_MEDIA_QUOTA_BYTES,
        Range.atLeast(0), "bytes", "Bytes one user may hold: the blobs they uploaded and their uploads in " +
        "progress; an upload past it is refused with QUOTA_EXCEEDED. 0 = no quota.",
        longs(Context::mediaQuotaBytes, Context::mediaQuotaBytes)),
    MEDIA_MAX_IMAGE_BYTES(Section.MEDIA, "media-max-image-bytes", long.class, MediaLimits.DEFAULT_MAX_IMAGE_BYTES,
        Range.atLeast(1), "bytes", "Largest image/* upload; a larger one is refused with MEDIA_TOO_LARGE.",
        longs(Context::mediaMaxImageBytes, Context::mediaMaxImageBytes)),
    MEDIA_MAX_VIDEO_BYTES(Section.MEDIA, "media-max-video-bytes", long.class, MediaLimits.DEFAULT_MAX_VIDEO_BYTES,
        Range.atLeast(1), "bytes", "Largest video/* upload.",
        longs(Context::mediaMaxVideoBytes, Context::mediaMaxVideoBytes)),
    MEDIA_MAX_AUDIO_BYTES(Section.MEDIA, "media-max-audio-bytes", long.class, MediaLimits.DEFAULT_MAX_AUDIO_BYTES,
        Range.atLeast(1), "bytes", "Largest audio/* upload (voice notes).",
        longs(Context::mediaMaxAudioBytes, Context::mediaMaxAudioBytes)),
    MEDIA_MAX_OTHER_BYTES(Section.MEDIA, "media-max-other-bytes", long.class, MediaLimits.DEFAULT_MAX_OTHER_BYTES,
        Range.atLeast(1), "bytes", "Largest upload of any other content type (files).",
        longs(Context::mediaMaxOtherBytes, Context::mediaMaxOtherBytes)),
    MEDIA_MAX_UPLOADS_PER_USER(Section.MEDIA, "media-max-uploads-per-user", int.class,
        MediaLimits.DEFAULT_MAX_UPLOADS_PER_OWNER, Range.atLeast(1), "uploads",
        "Uploads one user may have in progress at once; one more is refused with QUOTA_EXCEEDED.",
        ints(Context::mediaMaxUploadsPerUser, Context::mediaMaxUploadsPerUser)),
    MEDIA_UPLOAD_LIFETIME_SECONDS(Section.MEDIA, "media-upload-lifetime-seconds", long.class,
        MediaLimits.DEFAULT_MAX_UPLOAD_LIFETIME.getSeconds(), Range.between(60, 30L * 24 * 3600), "s",
        "How long an upload may take before it is discarded; also how long a blob outlives the retention of the " +
        "last message that references it.",
        longs(Context::mediaUploadLifetimeSeconds, Context::mediaUploadLifetimeSeconds)),
    MEDIA_MAX_CHUNK_BYTES(Section.MEDIA, "media-max-chunk-bytes", int.class, Configuration.DEFAULT_MEDIA_MAX_CHUNK_BYTES,
        Range.between(64 * 1024, 1024 * 1024 * 1024), "bytes",
        "Largest PATCH body the media HTTP server takes; clients upload in chunks of at most this.",
        ints(Context::mediaMaxChunkBytes, Context::mediaMaxChunkBytes)),
    MEDIA_S3_ENDPOINT(Section.MEDIA, "media-s3-endpoint", String.class, null, Range.any(), "",
        "media-store=s3: the endpoint URL, such as https://s3.eu-west-1.amazonaws.com or a MinIO server's.", null),
    MEDIA_S3_REGION(Section.MEDIA, "media-s3-region", String.class, Configuration.DEFAULT_MEDIA_S3_REGION,
        Range.notBlank(), "", "media-store=s3: the region requests are signed for.", null),
    MEDIA_S3_BUCKET(Section.MEDIA, "media-s3-bucket", String.class, null, Range.any(), "",
        "media-store=s3: the bucket of the blobs (it must exist).", null),
    MEDIA_S3_ACCESS_KEY_FILE(Section.MEDIA, "media-s3-access-key-file", Path.class, null, Range.any(), "",
        "media-store=s3: file holding the access key id (one line).", null),
    MEDIA_S3_SECRET_KEY_FILE(Section.MEDIA, "media-s3-secret-key-file", Path.class, null, Range.any(), "",
        "media-store=s3: file holding the secret access key (one line).", null),
    MEDIA_S3_PATH_STYLE(Section.MEDIA, "media-s3-path-style", boolean.class, true, Range.any(), "",
        "media-store=s3: path-style addressing (endpoint/bucket/key), as MinIO and most S3-compatible stores want; " +
        "false: virtual-hosted (bucket.endpoint-host/key).", null),
    MEDIA_S3_DIRECT_UPLOADS(Section.MEDIA, "media-s3-direct-uploads", boolean.class, false, Range.any(), "",
        "media-store=s3: upload tickets answer a presigned PUT straight to the bucket (key incoming/<upload id>), " +
        "signing the exact length and the declared SHA-256, so the bytes never pass through the switch; the " +
        "message that references the blob completes the upload (the length and hash are checked, then the object " +
        "is copied to blobs/). Add a lifecycle rule expiring incoming/ after a few days. false: uploads go through " +
        "the media HTTP server (tus PATCH). Refused with media-store=local.",
        objects(Boolean.class, Context::mediaS3DirectUploads, Context::mediaS3DirectUploads)),

    // Contact discovery
    DISCOVERY_KEY_FILE(Section.DISCOVERY, "discovery-key-file", Path.class, null, Range.any(), "",
        "Properties file with the PRF key (current.id, current.seed: 64 hex digits) and, during a rotation's grace " +
        "period, the previous one (previous.id, previous.seed). Secret: whoever reads it can reverse every " +
        "registration. Unset: discovery is off (NOT_ALLOWED).",
        objects(Path.class, Context::discoveryKeyFile, Context::discoveryKeyFile)),
    DISCOVERY_REGISTRATION_KEY_FILE(Section.DISCOVERY, "discovery-registration-key-file", Path.class, null,
        Range.any(), "",
        "File of the secret (64 hex digits) the number-verifying service signs registrations with: a REGISTER then " +
        "needs that service's proof that the tag is the user's own number, and is refused NOT_ALLOWED without one. " +
        "Unset: a registration is the client's word, and a user can register a number that is not its own. " +
        "Cluster mode: the same file on every node.",
        objects(Path.class, Context::discoveryRegistrationKeyFile, Context::discoveryRegistrationKeyFile)),
    DISCOVERY_BUCKET_CAPACITY(Section.DISCOVERY, "discovery-bucket-capacity", int.class,
        Configuration.DEFAULT_DISCOVERY_BUCKET_CAPACITY, Range.atLeast(1), "elements",
        "PRF evaluations one account may make at once (its devices together).",
        ints(Context::discoveryBucketCapacity, Context::discoveryBucketCapacity)),
    DISCOVERY_REFILL_PER_HOUR(Section.DISCOVERY, "discovery-refill-per-hour", int.class,
        Configuration.DEFAULT_DISCOVERY_REFILL_PER_HOUR, Range.atLeast(1), "elements",
        "Evaluations an account's bucket regains an hour.",
        ints(Context::discoveryRefillPerHour, Context::discoveryRefillPerHour)),
    DISCOVERY_DEVICE_BUCKET_CAPACITY(Section.DISCOVERY, "discovery-device-bucket-capacity", int.class,
        Configuration.DEFAULT_DISCOVERY_DEVICE_BUCKET_CAPACITY, Range.atLeast(1), "elements",
        "Evaluations one device of an account may make at once.",
        ints(Context::discoveryDeviceBucketCapacity, Context::discoveryDeviceBucketCapacity)),
    DISCOVERY_DEVICE_REFILL_PER_HOUR(Section.DISCOVERY, "discovery-device-refill-per-hour", int.class,
        Configuration.DEFAULT_DISCOVERY_DEVICE_REFILL_PER_HOUR, Range.atLeast(1), "elements",
        "Evaluations a device's bucket regains an hour.",
        ints(Context::discoveryDeviceRefillPerHour, Context::discoveryDeviceRefillPerHour)),
    DISCOVERY_MAX_ELEMENTS_PER_REQUEST(Section.DISCOVERY, "discovery-max-elements-per-request", int.class,
        Configuration.DEFAULT_DISCOVERY_MAX_ELEMENTS_PER_REQUEST, Range.atLeast(1), "elements",
        "Blinded elements or tags one DiscoveryRequest may carry; at most both bucket capacities, and small " +
        "enough for max-frame-length-bytes (36 bytes an element).",
        ints(Context::discoveryMaxElementsPerRequest, Context::discoveryMaxElementsPerRequest)),
    DISCOVERY_THREADS(Section.DISCOVERY, "discovery-threads", int.class, Configuration.DEFAULT_DISCOVERY_THREADS,
        Range.between(1, 64), "threads",
        "Threads that evaluate the PRF (about 220 microseconds of CPU an element), off the event loops and journals.",
        ints(Context::discoveryThreads, Context::discoveryThreads)),
    // Friends and presence
    STRANGERS_ALLOWED_BY_DEFAULT(Section.FRIENDS, "strangers-allowed-by-default", boolean.class, false, Range.any(), "",
        "Whether a user who never set its privacy takes 1:1 messages and group adds from users who are not its " +
        "friends. Blocks hold either way. false: friends only, as the protocol's default privacy says.",
        objects(Boolean.class, Context::strangersAllowedByDefault, Context::strangersAllowedByDefault)),
    PRESENCE_PUSH_INTERVAL_MS(Section.FRIENDS, "presence-push-interval-ms", int.class,
        Configuration.DEFAULT_PRESENCE_PUSH_INTERVAL_MS, Range.atLeast(0), "ms",
        "At most one PresenceUpdate per session this often; the changes of the friends in between arrive " +
        "together, the latest state of each. 0 = every change at once.",
        ints(Context::presencePushIntervalMs, Context::presencePushIntervalMs)),
    FRIEND_REQUEST_BURST(Section.FRIENDS, "friend-request-burst", int.class,
        Configuration.DEFAULT_FRIEND_REQUEST_BURST, Range.atLeast(1), "requests",
        "New friend requests a user may send at once (a token bucket per user, on its journal shard, in memory). " +
        "Accepting, declining and repeating a request cost nothing; a request over the budget is answered " +
        "RATE_LIMITED with retry_after_ms.",
        ints(Context::friendRequestBurst, Context::friendRequestBurst)),
    FRIEND_REQUESTS_PER_HOUR(Section.FRIENDS, "friend-requests-per-hour", int.class,
        Configuration.DEFAULT_FRIEND_REQUESTS_PER_HOUR, Range.atLeast(1), "requests",
        "How fast a user's friend-request budget refills after the burst: a steady sender's pace.",
        ints(Context::friendRequestsPerHour, Context::friendRequestsPerHour)),
    MAX_PENDING_FRIEND_REQUESTS(Section.FRIENDS, "max-pending-friend-requests", int.class,
        Configuration.DEFAULT_MAX_PENDING_FRIEND_REQUESTS, Range.atLeast(1), "requests",
        "Friend requests a user may have waiting for its answer. One more is dropped as a request from a user it " +
        "blocked is: the sender sees REQUEST_SENT, the user is told nothing. Answering one makes room.",
        ints(Context::maxPendingFriendRequests, Context::maxPendingFriendRequests)),
    FRIEND_LIST_PAGE_ENTRIES(Section.FRIENDS, "friend-list-page-entries", int.class,
        Configuration.DEFAULT_FRIEND_LIST_PAGE_ENTRIES, Range.between(1, 100_000), "entries",
        "Most entries in one FRIEND_LIST answer (a client may ask for fewer); a page also stops near " +
        "max-sync-result-bytes. The answer says whether more follow.",
        ints(Context::friendListPageEntries, Context::friendListPageEntries)),
    // People nearby and shake
    NEARBY_CELL_RESOLUTION(Section.NEARBY, "nearby-cell-resolution", int.class, NearbyConfig.DEFAULT_CELL_RESOLUTION,
        Range.between(7, 10), "", "H3 resolution of the cell kept for a reported location, the only trace of it: 9 " +
        "is about 0.1 km² (edges of 200 m), 8 about 0.7 km², 10 about 0.015 km².",
        ints(Context::nearbyCellResolution, Context::nearbyCellResolution)),
    NEARBY_EXPIRY_SECONDS(Section.NEARBY, "nearby-expiry-seconds", long.class, NearbyConfig.DEFAULT_EXPIRY_SECONDS,
        Range.between(1, 86_400), "s", "How long a reported location lives (in memory only: a restart forgets " +
        "every one).",
        longs(Context::nearbyExpirySeconds, Context::nearbyExpirySeconds)),
    NEARBY_MAX_SPEED_KMH(Section.NEARBY, "nearby-max-speed-kmh", int.class, NearbyConfig.DEFAULT_MAX_SPEED_KMH,
        Range.atLeast(1), "km/h", "A report farther from the user's last one than this speed allows (beyond 1 km) " +
        "is refused with LOCATION_REFUSED.",
        ints(Context::nearbyMaxSpeedKmh, Context::nearbyMaxSpeedKmh)),
    NEARBY_REPORTS_PER_MINUTE(Section.NEARBY, "nearby-reports-per-minute", int.class,
        NearbyConfig.DEFAULT_REPORTS_PER_MINUTE, Range.atLeast(0), "per minute",
        "Location reports and leaves of one user per minute, that many at once; more get RATE_LIMITED; 0 = no limit.",
        ints((c, v) -> c.nearbyRateLimits(v, c.nearbyQueriesPerMinute()), Context::nearbyReportsPerMinute)),
    NEARBY_QUERIES_PER_MINUTE(Section.NEARBY, "nearby-queries-per-minute", int.class,
        NearbyConfig.DEFAULT_QUERIES_PER_MINUTE, Range.atLeast(0), "per minute",
        "Nearby queries and shakes of one user per minute, that many at once; more get RATE_LIMITED; 0 = no limit.",
        ints((c, v) -> c.nearbyRateLimits(c.nearbyReportsPerMinute(), v), Context::nearbyQueriesPerMinute)),
    NEARBY_PAGE_LIMIT(Section.NEARBY, "nearby-page-limit", int.class, NearbyConfig.DEFAULT_PAGE_LIMIT,
        Range.between(1, 1_000), "users", "Largest page of a nearby query; queries page at most " +
        NearbyConfig.MAX_PAGES + " pages deep.",
        ints(Context::nearbyPageLimit, Context::nearbyPageLimit)),
    SHAKE_WINDOW_MS(Section.NEARBY, "shake-window-ms", long.class, NearbyConfig.DEFAULT_SHAKE_WINDOW_MS,
        Range.between(100, 60_000), "ms", "Shakes this close in time are paired; one without a partner expires " +
        "after it.",
        longs((c, v) -> c.shake(v, c.shakeMaxDistanceM()), Context::shakeWindowMs)),
    SHAKE_MAX_DISTANCE_M(Section.NEARBY, "shake-max-distance-m", int.class, NearbyConfig.DEFAULT_SHAKE_MAX_DISTANCE_M,
        Range.atLeast(0), "m", "When both shakes give a location, they pair only when their cells' centres are this " +
        "close; 0 = anywhere.",
        ints((c, v) -> c.shake(c.shakeWindowMs(), v), Context::shakeMaxDistanceM)),

    // The daemon's own
    ADMIN_HOST(Section.DAEMON, "admin-host", String.class, Configuration.DEFAULT_ADMIN_HOST, Range.notBlank(), "",
        "Address of the admin HTTP port.", null),
    ADMIN_PORT(Section.DAEMON, "admin-port", int.class, Configuration.DEFAULT_ADMIN_PORT, Range.between(-1, 65535),
        "", "Admin HTTP port: /healthz, /readyz, /metrics, /loglevel, /backup; -1 = none.", null),
    ADMIN_TOKEN_FILE(Section.DAEMON, "admin-token-file", Path.class, null, Range.any(), "",
        "File holding the bearer token (one line, at least 16 characters) that every change through the admin " +
        "port (POST /loglevel) needs. Unset: changes are taken only when admin-host is a loopback address, and " +
        "refused with 403 otherwise.", null),
    HEALTH_HOST(Section.DAEMON, "health-host", String.class, Configuration.DEFAULT_HEALTH_HOST, Range.notBlank(), "",
        "Address of the health HTTP port.", null),
    HEALTH_PORT(Section.DAEMON, "health-port", int.class, Configuration.DEFAULT_HEALTH_PORT,
        Range.between(-1, 65535), "", "Health HTTP port for a load balancer: GET /healthz and /readyz only, " +
        "nothing that changes state; -1 = none; not the admin port.", null),
    SHUTDOWN_DEADLINE_MS(Section.DAEMON, "shutdown-deadline-ms", long.class, Configuration.DEFAULT_SHUTDOWN_DEADLINE_MS,
        Range.atLeast(1), "ms", "At SIGTERM the process exits within this long, drained or not.", null),
    DRAIN_NOTICE_MS(Section.DAEMON, "drain-notice-ms", long.class, Configuration.DEFAULT_DRAIN_NOTICE_MS,
        Range.atLeast(0), "ms", "At SIGTERM, /readyz fails this long before logins are refused and sessions told " +
        "to go away, so a load balancer stops sending new connections first; set it to the balancer's " +
        "health-check interval times its fall count.", null),

    // Cluster (daemon only: an embedder builds io.xin.cluster.ClusterNode itself)
    CLUSTER_KAFKA(Section.CLUSTER, "cluster-kafka", String.class, null, Range.any(), "",
        "Kafka bootstrap servers (host:port,...): runs the switch as a node of a cluster whose logs are Kafka " +
        "partitions. Unset: a single node with its own logs.", null),
    CLUSTER_NAME(Section.CLUSTER, "cluster-name", String.class, "xin", Range.notBlank(), "",
        "Names the cluster's topics (<name>.log, <name>.handoff, <name>.owners) and its consumer group.", null),
    CLUSTER_NODE_ID(Section.CLUSTER, "cluster-node-id", String.class, null, Range.any(), "",
        "This node's id, unique in the cluster. Unset: the advertised address.", null),
    CLUSTER_ADVERTISED_ADDRESS(Section.CLUSTER, "cluster-advertised-address", String.class, null, Range.any(), "",
        "host:port where clients reach this node directly: other nodes redirect its users' logins here. Unset: " +
        "host and the bound port, which must then not be a wildcard address.", null),
    CLUSTER_PARTITIONS(Section.CLUSTER, "cluster-partitions", int.class, 12,
        Range.between(1, Configuration.MAX_JOURNAL_SHARDS), "",
        "Partitions of the log and hand-off topics, fixed when the cluster is created: the journal shards of " +
        "every node (journal-shards is set to it), and the most nodes that can own a shard each.", null),
    CLUSTER_REPLICATION_FACTOR(Section.CLUSTER, "cluster-replication-factor", int.class, 3,
        Range.between(1, Short.MAX_VALUE), "", "Replicas of every partition when the topics are created.", null),
    CLUSTER_MIN_INSYNC_REPLICAS(Section.CLUSTER, "cluster-min-insync-replicas", int.class, 2, Range.atLeast(1), "",
        "Replicas that hold a journal batch before its sends are acknowledged (acks=all).", null),
    CLUSTER_SESSION_TIMEOUT_MS(Section.CLUSTER, "cluster-session-timeout-ms", int.class, 6_000,
        Range.between(1_000, 300_000), "ms", "A node silent this long loses its shards to the others (the " +
        "consumer group's session timeout; brokers accept 6000 and up by default).", null),
    CLUSTER_HEARTBEAT_INTERVAL_MS(Section.CLUSTER, "cluster-heartbeat-interval-ms", int.class, 1_500,
        Range.between(100, 100_000), "ms", "How often a node tells the group it is alive; at most a third of " +
        "cluster-session-timeout-ms.", null),
    CLUSTER_KAFKA_PROPERTIES(Section.CLUSTER, "cluster-kafka-properties", Path.class, null, Range.any(), "",
        "A Java properties file of Kafka client settings given to every producer, consumer and admin client of " +
        "the node: TLS and SASL to the brokers (security.protocol, ssl.truststore.location, sasl.jaas.config, ...).",
        null),
    CLUSTER_APPEND_TIMEOUT_MS(Section.CLUSTER, "cluster-append-timeout-ms", int.class, 10_000,
        Range.atLeast(1_000), "ms", "The longest a journal batch waits for the brokers; past it the batch fails " +
        "(its clients resend) and the node restores the shard from its log.", null);

    /** Groups of settings, in the order the documentation lists them. */
    public enum Section
    {
        NETWORK("Network", "Listeners, transport, TLS and the PROXY protocol port."),
        SESSIONS("Sessions and logins", "Login tokens, heartbeats and timeouts of a session."),
        LIMITS("Limits", "What one frame, session, address or device may take, and what is refused beyond it."),
        JOURNAL("Journal, rings and sync reads", "The Disruptor rings, journal shards and the threads that read " +
            "Sync pages."),
        STORE("Store", "The RocksDB store: where, how durable, how long, how much memory."),
        AUDIENCES("Groups and channels", "Group sizes and the pace of channel pushes."),
        MEDIA("Media", "Photos, videos, voice notes and files: off unless media-dir is set or media-store is s3. The " +
            "daemon opens the media store and runs the media HTTP server (media-dir, media-store, media-bind-host, " +
            "media-port, media-signing-key, media-s3-*); the switch answers upload tickets and download URLs and " +
            "checks the media references of messages. See docs/operations.md (Media)."),
        DISCOVERY("Contact discovery", "Private address-book discovery (an oblivious PRF): its key, rate limits " +
            "and threads. See docs/security.md."),
        FRIENDS("Friends and presence", "Who may message a user by default, and the pace of presence pushes."),
        NEARBY("People nearby and shake", "The cell kept for a location, how long, the jump check, per-user rate " +
            "limits and which shakes pair. In cluster mode every node must have the same values."),
        DAEMON("Daemon", "Settings of the daemon only (bin/xind, ./xin server), not of an embedded switch: its " +
            "admin and health HTTP ports and its stop."),
        CLUSTER("Cluster", "Cluster mode on Kafka (daemon only): where the Kafka cluster is, this node's identity " +
            "and the durability and failover of the shards' logs. See docs/operations.md.");

        private final String title;
        private final String doc;

        Section(final String title, final String doc)
        {
            this.title = title;
            this.doc = doc;
        }

        public String title()
        {
            return title;
        }

        public String doc()
        {
            return doc;
        }
    }

    private final Section section;
    private final String key;
    private final String contextName;
    private final Class<?> type;
    private final Object defaultValue;
    private final Range range;
    private final String unit;
    private final String doc;
    private final Binding binding;

    Setting(
        final Section section,
        final String key,
        final Class<?> type,
        final Object defaultValue,
        final Range range,
        final String unit,
        final String doc,
        final Binding binding)
    {
        this(section, key, camelCase(key), type, defaultValue, range, unit, doc, binding);
    }

    Setting(
        final Section section,
        final String key,
        final String contextName,
        final Class<?> type,
        final Object defaultValue,
        final Range range,
        final String unit,
        final String doc,
        final Binding binding)
    {
        this.section = section;
        this.key = key;
        this.contextName = contextName;
        this.type = type;
        this.defaultValue = defaultValue;
        this.range = range;
        this.unit = unit;
        this.doc = doc;
        this.binding = binding;
    }

    /**
     * @return the flag without its dashes and the config file's key, e.g. {@code max-frame-length-bytes}.
     */
    public String key()
    {
        return key;
    }

    /**
     * @return the name in {@link Context} and in messages, e.g. {@code maxFrameLengthBytes}.
     */
    public String contextName()
    {
        return contextName;
    }

    public Section section()
    {
        return section;
    }

    /**
     * @return the value's Java type: {@code int.class}, {@code long.class}, {@code boolean.class}, {@code String},
     * {@code Path} or an enum.
     */
    public Class<?> type()
    {
        return type;
    }

    /**
     * @return the default, boxed; null when the setting has none (unset).
     */
    public Object defaultValue()
    {
        return defaultValue;
    }

    /**
     * @return the default as the config file spells it; empty when there is none.
     */
    public String defaultText()
    {
        return text(defaultValue);
    }

    public Range range()
    {
        return range;
    }

    /**
     * @return the unit of a number ({@code ms}, {@code bytes}, ...); empty when it has none.
     */
    public String unit()
    {
        return unit;
    }

    /**
     * @return one or two sentences for {@code --help}, the config template and the documentation.
     */
    public String doc()
    {
        return doc;
    }

    /**
     * @return true for a setting {@link Context} holds (set with {@link #apply}); false for the daemon's own
     * settings and for those the daemon converts first ({@code jwt-public-key}, a file read into a key).
     */
    public boolean inContext()
    {
        return binding != null;
    }

    /**
     * @return true when the value must not be printed (the effective configuration logs it as set or not).
     */
    public boolean isSecret()
    {
        return this == JWT_SECRET;
    }

    /**
     * Sets this setting on a context through its setter.
     *
     * @param ctx   the context.
     * @param value of {@link #type()}, boxed.
     */
    public void apply(final Context ctx, final Object value)
    {
        binding.set.accept(ctx, value);
    }

    /**
     * @param ctx the context.
     * @return this setting's value in it, boxed.
     */
    public Object valueIn(final Context ctx)
    {
        return binding.get.apply(ctx);
    }

    /**
     * Checks a value against this setting's range.
     *
     * @param value of {@link #type()}, boxed; null when unset.
     * @throws ConfigurationException naming this setting when the value is out of range.
     */
    public void check(final Object value)
    {
        final String violation = range.violation(value);
        if (violation != null)
        {
            throw new ConfigurationException(this, contextName + " " + violation +
                (value == null ? "" : ": " + value));
        }
    }

    /**
     * @param key a setting's key, e.g. {@code ring-size}.
     * @return the setting, or null when no setting has that key.
     */
    public static Setting forKey(final String key)
    {
        for (final Setting setting : values())
        {
            if (setting.key.equals(key))
            {
                return setting;
            }
        }
        return null;
    }

    /**
     * Gives every setting {@link Context} holds its default.
     */
    static void applyDefaults(final Context ctx)
    {
        for (final Setting setting : values())
        {
            if (setting.binding != null && setting.defaultValue != null)
            {
                setting.apply(ctx, setting.defaultValue);
            }
        }
    }

    /**
     * Checks every setting {@link Context} holds against its range, in the order of this list.
     *
     * @throws ConfigurationException naming the first setting out of range.
     */
    static void checkRanges(final Context ctx)
    {
        for (final Setting setting : values())
        {
            if (setting.binding != null)
            {
                setting.check(setting.valueIn(ctx));
            }
        }
    }

    /**
     * @return {@code key=value} of every setting {@link Context} holds, secrets left out, separated by blanks.
     */
    static String describe(final Context ctx)
    {
        final StringBuilder out = new StringBuilder(2048);
        for (final Setting setting : values())
        {
            if (setting.binding != null && !setting.isSecret())
            {
                final Object value = setting.valueIn(ctx);
                out.append(out.length() == 0 ? "" : " ").append(setting.contextName).append('=')
                    .append(value == null ? "none" : text(value));
            }
        }
        return out.toString();
    }

    private static String text(final Object value)
    {
        if (value == null)
        {
            return "";
        }
        return value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : String.valueOf(value);
    }

    private static String camelCase(final String key)
    {
        final StringBuilder out = new StringBuilder(key.length());
        boolean upper = false;
        for (int i = 0; i < key.length(); i++)
        {
            final char c = key.charAt(i);
            if (c == '-')
            {
                upper = true;
            }
            else
            {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private static Binding ints(final ObjIntConsumer<Context> set, final ToIntFunction<Context> get)
    {
        return new Binding((c, v) -> set.accept(c, ((Number)v).intValue()), get::applyAsInt);
    }

    private static Binding longs(final ObjLongConsumer<Context> set, final ToLongFunction<Context> get)
    {
        return new Binding((c, v) -> set.accept(c, ((Number)v).longValue()), get::applyAsLong);
    }

    private static <T> Binding objects(final Class<T> type, final BiConsumer<Context, T> set, final Function<Context, T> get)
    {
        return new Binding((c, v) -> set.accept(c, type.cast(v)), get::apply);
    }

    /** A setting's setter and getter in {@link Context}, on boxed values. */
    private record Binding(BiConsumer<Context, Object> set, Function<Context, Object> get)
    {
    }

    /**
     * The values a setting accepts: a range of numbers, a list of words, or any value; checked by {@link #check}
     * and described in the documentation.
     */
    public static final class Range
    {
        private final long min;
        private final long max;
        private final List<String> words;
        private final boolean powerOfTwo;
        private final boolean required;
        private final boolean notBlank;

        private Range(
            final long min,
            final long max,
            final List<String> words,
            final boolean powerOfTwo,
            final boolean required,
            final boolean notBlank)
        {
            this.min = min;
            this.max = max;
            this.words = words;
            this.powerOfTwo = powerOfTwo;
            this.required = required;
            this.notBlank = notBlank;
        }

        static Range any()
        {
            return new Range(Long.MIN_VALUE, Long.MAX_VALUE, null, false, false, false);
        }

        static Range required()
        {
            return new Range(Long.MIN_VALUE, Long.MAX_VALUE, null, false, true, false);
        }

        static Range notBlank()
        {
            return new Range(Long.MIN_VALUE, Long.MAX_VALUE, null, false, true, true);
        }

        static Range atLeast(final long min)
        {
            return new Range(min, Long.MAX_VALUE, null, false, false, false);
        }

        static Range between(final long min, final long max)
        {
            return new Range(min, max, null, false, false, false);
        }

        static Range powerOfTwo()
        {
            return new Range(2, 1L << 30, null, true, false, false);
        }

        static Range oneOf(final String... words)
        {
            return new Range(Long.MIN_VALUE, Long.MAX_VALUE, List.of(words), false, true, false);
        }

        /**
         * @param value a setting's value, boxed; null when unset.
         * @return what is wrong with it ({@code must be at least 256}), or null when it is in range.
         */
        public String violation(final Object value)
        {
            if (value == null)
            {
                return required ? "must be set" : null;
            }
            if (value instanceof Number number)
            {
                final long v = number.longValue();
                if (powerOfTwo && (v < min || v > max || Long.bitCount(v) != 1))
                {
                    return "must be a power of two";
                }
                if (v < min || v > max)
                {
                    return max == Long.MAX_VALUE ? "must be at least " + min : "must be " + min + ".." + max;
                }
            }
            if (value instanceof String s)
            {
                if (notBlank && s.isBlank())
                {
                    return "must be set";
                }
                if (words != null && !words.contains(s.toLowerCase(Locale.ROOT)))
                {
                    return "must be one of " + String.join(", ", words);
                }
            }
            return null;
        }

        /**
         * @return the accepted values for the documentation, e.g. {@code 0..65535}, {@code >= 1}, {@code auto,
         * epoll}; empty when any value is accepted.
         */
        public String describe()
        {
            final List<String> parts = new ArrayList<>();
            if (powerOfTwo)
            {
                parts.add("a power of two");
            }
            else if (min != Long.MIN_VALUE && max != Long.MAX_VALUE)
            {
                parts.add(min + ".." + max);
            }
            else if (min != Long.MIN_VALUE)
            {
                parts.add(">= " + min);
            }
            if (words != null)
            {
                parts.add(String.join(", ", words));
            }
            else if (required)
            {
                parts.add("required");
            }
            return String.join(", ", parts);
        }
    }
}
