package io.xin.core;

import io.xin.core.journal.JournalContext;
import io.xin.protocol.ProtocolLimits;

/**
 * Default values of the switch's settings, as constants for code that needs one (tests, the load generator).
 * The registry of settings, {@link Setting}, gives each its name, range, unit and doc, and is where
 * {@link XinSwitch.Context} and the daemon take the defaults from; a setting added there may give its default
 * there alone.
 */
public final class Configuration
{
    public static final String DEFAULT_BIND_HOST = "0.0.0.0";
    public static final int DEFAULT_PORT = 7700;

    /** Mobile-friendly: radios sleep between heartbeats, so minutes, not seconds. */
    public static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 240_000;
    /** A session silent for this long is closed: two and a half heartbeats. */
    public static final int DEFAULT_IDLE_TIMEOUT_MS = 600_000;
    public static final int DEFAULT_LOGIN_TIMEOUT_MS = 10_000;
    /**
     * A logged-in plaintext session silent this long gives up its Netty channel until it is read from or written
     * to (about 880 bytes of heap each); 0 = never. An eighth of the heartbeat: an idle session is parked for
     * seven eighths of each heartbeat interval, and the gaps of a conversation rarely reach it.
     */
    public static final int DEFAULT_PARK_IDLE_MS = 30_000;
    public static final int DEFAULT_MAX_FRAME_LENGTH_BYTES = ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH_BYTES;
    public static final int DEFAULT_MAX_PRE_LOGIN_FRAME_LENGTH_BYTES =
        ProtocolLimits.DEFAULT_MAX_PRE_LOGIN_FRAME_LENGTH_BYTES;
    public static final int DEFAULT_MAX_IN_FLIGHT_SENDS_PER_SESSION = 1024;
    public static final int DEFAULT_MAX_SYNC_LIMIT = 200;
    public static final int DEFAULT_MAX_SYNC_RESULT_BYTES = 1024 * 1024;
    public static final int DEFAULT_SYNC_THREADS = 2;
    public static final int DEFAULT_SYNC_QUEUE_CAPACITY = 4096;
    public static final int DEFAULT_RING_SIZE = 65536;
    /** Journal threads (each with its ring and dispatcher); users are hashed to them. */
    public static final int DEFAULT_JOURNAL_SHARDS = 1;
    /** The most journal shards a switch accepts. */
    public static final int MAX_JOURNAL_SHARDS = 64;
    /** How each journal shard's ring is run: journal and dispatcher on threads of their own. */
    public static final RingThreads DEFAULT_RING_THREADS = RingThreads.TWO_THREADS;
    /** {@link #DEFAULT_RING_THREADS} as the config file and the command line spell it: ring threads per shard. */
    public static final int DEFAULT_RING_THREADS_PER_SHARD = 2;
    public static final int DEFAULT_BUSY_RETRY_AFTER_MS = 200;
    /** Long enough for a partition's new owner to take it over, short enough not to keep a device offline. */
    public static final int DEFAULT_MOVED_RETRY_AFTER_MS = 500;
    public static final int DEFAULT_WRITE_BUFFER_LOW_WATER_MARK_BYTES = 32 * 1024;
    public static final int DEFAULT_WRITE_BUFFER_HIGH_WATER_MARK_BYTES = 64 * 1024;
    public static final long DEFAULT_JWT_CLOCK_SKEW_SECONDS = 30;
    public static final int DEFAULT_GO_AWAY_MAX_RECONNECT_DELAY_MS = 5_000;
    public static final long DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
    /** A moved inbox head is written within this; its inbox entries hold it meanwhile. */
    public static final long DEFAULT_HEAD_WRITE_INTERVAL_MS = JournalContext.DEFAULT_HEAD_WRITE_INTERVAL_MS;
    /** 0 is one event loop per core ({@link #eventLoops(int)}). */
    public static final int DEFAULT_IO_THREADS = 0;
    /** Certificate files are checked this often; a renewal is picked up within a minute. */
    public static final long DEFAULT_TLS_RELOAD_INTERVAL_MS = 60_000;
    /** No PROXY protocol port unless asked for. */
    public static final int DEFAULT_PROXY_PORT = -1;
    /**
     * Peers allowed to connect to the PROXY port: loopback only, so a balancer elsewhere must be named; a PROXY
     * header sets the address every per-address guard counts, so nobody else may send one.
     */
    public static final String DEFAULT_PROXY_ALLOWED_SOURCES = "127.0.0.0/8,::1/128";
    /** Admin HTTP on loopback only by default: /metrics and /loglevel are not for the internet. */
    public static final String DEFAULT_ADMIN_HOST = "127.0.0.1";
    public static final int DEFAULT_ADMIN_PORT = 7701;
    /**
     * The health listener serves /healthz and /readyz only, for a load balancer elsewhere: every address when it
     * is on, and off (-1) unless asked for.
     */
    public static final String DEFAULT_HEALTH_HOST = "0.0.0.0";
    public static final int DEFAULT_HEALTH_PORT = -1;
    /** The whole stop (drain, close) must finish by then or the process exits anyway. */
    public static final long DEFAULT_SHUTDOWN_DEADLINE_MS = 30_000;
    /** Readiness fails this long before a drain refuses logins; 0 by default, set it behind a balancer. */
    public static final long DEFAULT_DRAIN_NOTICE_MS = 0;

    // Abuse defences (io.xin.core.guard). A rate of 0 turns that check off.
    /** Sends per second one session may make, sustained; far above a person, below a runaway loop. */
    public static final int DEFAULT_MAX_SENDS_PER_SECOND_PER_SESSION = 500;
    public static final int DEFAULT_SEND_BURST_PER_SESSION = 1_000;
    /** Sends refused for rate in a row (none accepted between) before the session is closed. */
    public static final int DEFAULT_MAX_RATE_LIMITED_SENDS_PER_SESSION = 1_000;
    /** Below the 20,000 open files one process may hold in a typical container. */
    public static final int DEFAULT_MAX_CONNECTIONS = 1_000_000;
    /** Generous: behind carrier-grade NAT thousands of phones share one address. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 10_000;
    public static final int DEFAULT_MAX_NEW_CONNECTIONS_PER_ADDRESS_PER_SECOND = 500;
    public static final int DEFAULT_MAX_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE = 60;
    public static final int DEFAULT_MAX_LOGINS_PER_DEVICE_PER_MINUTE = 20;
    public static final long DEFAULT_DEVICE_BAN_MS = 60_000;
    /** Records each of the address and device guards keeps before it stops tracking new ones. */
    public static final int DEFAULT_MAX_GUARD_RECORDS = 100_000;

    // Groups and channels (official accounts).
    /** A family or a company department; larger audiences are channels, which fan out on read. */
    public static final int DEFAULT_MAX_GROUP_MEMBERS = 2_000;
    public static final int DEFAULT_MAX_CHANNEL_PUBLISHERS = 16;
    /** Paced pushes of channel posts per second, over all channels: 200,000 online followers in 10 s. */
    public static final int DEFAULT_CHANNEL_PUSHES_PER_SECOND = 20_000;
    /** Followers handed to the event loops per pacer step. */
    public static final int DEFAULT_CHANNEL_PUSH_CHUNK = 128;

    // Media.
    /** {@code media-store}: blobs in {@code media-dir}. */
    public static final String MEDIA_STORE_LOCAL = "local";
    /** {@code media-store}: blobs in an S3-compatible bucket. */
    public static final String MEDIA_STORE_S3 = "s3";
    /** Clients upload and download here, so every address, as the client port. */
    public static final String DEFAULT_MEDIA_BIND_HOST = "0.0.0.0";
    public static final int DEFAULT_MEDIA_PORT = 7702;
    /** A gibibyte a user: a few hundred photos and some video. */
    public static final long DEFAULT_MEDIA_QUOTA_BYTES = 1024L * 1024 * 1024;
    /** 8 MiB: a few seconds on a phone's uplink, so a dropped connection loses little. */
    public static final int DEFAULT_MEDIA_MAX_CHUNK_BYTES = 8 * 1024 * 1024;
    public static final String DEFAULT_MEDIA_S3_REGION = "us-east-1";

    // Contact discovery (docs/decisions/0016-oprf-contact-discovery.md).
    /** An account's first discovery of a large address book (two devices' worth) fits at once. */
    public static final int DEFAULT_DISCOVERY_BUCKET_CAPACITY = 8_000;
    /** 9,600 more numbers a day: a busy user's new contacts, not an enumerator's dictionary. */
    public static final int DEFAULT_DISCOVERY_REFILL_PER_HOUR = 400;
    public static final int DEFAULT_DISCOVERY_DEVICE_BUCKET_CAPACITY = 4_000;
    public static final int DEFAULT_DISCOVERY_DEVICE_REFILL_PER_HOUR = 200;
    /** 500 elements: an 18 KB request, about 110 ms of one discovery thread. */
    public static final int DEFAULT_DISCOVERY_MAX_ELEMENTS_PER_REQUEST = 500;
    public static final int DEFAULT_DISCOVERY_THREADS = 2;
    // Friends and presence.
    /** At most one PresenceUpdate per session this often: a friend's flapping connection costs one frame at most. */
    public static final int DEFAULT_PRESENCE_PUSH_INTERVAL_MS = 2_000;
    /**
     * 50 new friend requests at once, then 10 an hour: a new user adding the people it knows, then a busy user's pace;
     * a sender of unwanted requests reaches at most 290 strangers on its first day.
     */
    public static final int DEFAULT_FRIEND_REQUEST_BURST = 50;
    public static final int DEFAULT_FRIEND_REQUESTS_PER_HOUR = 10;
    /** 1,000 requests waiting: more than anyone answers, fewer than a crowd of senders could pile up. */
    public static final int DEFAULT_MAX_PENDING_FRIEND_REQUESTS = 1_000;
    /** 1,000 entries: at most about 270 KB with the longest greetings, well under a sync result's bytes. */
    public static final int DEFAULT_FRIEND_LIST_PAGE_ENTRIES = 1_000;

    private Configuration()
    {
    }

    /**
     * The session event loops to start. One per core, not Netty's two: the journal and dispatcher threads and
     * RocksDB's flushes need cores of their own, and with fewer runnable threads the switch measured a higher
     * maximum rate and less CPU per message on two cores (docs/decisions/0001-one-event-loop-per-core.md).
     *
     * @param configured the {@code io-threads} setting; 0 for the default.
     * @return how many event loops to start.
     */
    public static int eventLoops(final int configured)
    {
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }
}
