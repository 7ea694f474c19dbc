package io.xin.core.status;

/**
 * Every counter of the switch, defined once: the field of {@link SwitchCounters} that holds it, its kind, the
 * Prometheus series it is exported as (with a label when one series has several counters) and its help. The
 * metrics endpoint registers a series for each entry with a metric name; entries without one are read by
 * tests, logs and benchmarks only. A new counter is one entry here and its field in {@link SwitchCounters},
 * bound with {@code counter(...)} or {@code gauge(...)}, plus its use.
 */
public enum SwitchCounter
{
    SESSIONS_OPEN(Kind.GAUGE, "xin_sessions_open", "Client connections open, logged in or not."),
    CONNECTIONS_ACCEPTED(Kind.COUNTER, "xin_connections_accepted", "Client connections accepted."),
    CONNECTIONS_REFUSED(Kind.COUNTER, null,
        "Connections closed at accept by the address guard (too many, too fast, too many failed logins)."),
    CONNECTIONS_REFUSED_TOO_MANY(Kind.COUNTER, "xin_connections_refused", "reason", "too_many_connections",
        "Connections refused: by the address guard at accept (too_many_connections, connecting_too_fast, " +
        "failed_logins) or at login for a device that logs in too often (flapping)."),
    CONNECTIONS_REFUSED_TOO_FAST(Kind.COUNTER, "xin_connections_refused", "reason", "connecting_too_fast", null),
    CONNECTIONS_REFUSED_FAILED_LOGINS(Kind.COUNTER, "xin_connections_refused", "reason", "failed_logins", null),
    LOGINS_BANNED(Kind.COUNTER, "xin_connections_refused", "reason", "flapping", null),
    RATE_LIMITED_SENDS(Kind.COUNTER, "xin_rate_limited_sends", "Sends refused with RATE_LIMITED."),
    RATE_LIMITED_SESSIONS_CLOSED(Kind.COUNTER, "xin_rate_limited_sessions_closed",
        "Sessions closed for sending on into the rate limit."),
    LOGINS_SUCCEEDED(Kind.COUNTER, "xin_logins", "Logins accepted."),
    LOGINS_FAILED(Kind.COUNTER, "xin_login_failures",
        "Logins refused (bad token, draining, busy, storage failed, bad request)."),
    LOGIN_TIMEOUTS(Kind.COUNTER, "xin_login_timeouts", "Connections closed for sending no Login in time."),
    SESSIONS_KICKED(Kind.COUNTER, "xin_sessions_kicked", "Sessions replaced by a newer login of the same device."),
    IDLE_CLOSED(Kind.COUNTER, "xin_sessions_idle_closed", "Sessions closed after the idle timeout."),
    SESSIONS_PARKED(Kind.GAUGE, "xin_sessions_parked",
        "Idle sessions parked now: their socket kept without a Netty channel."),
    SESSION_PARKS(Kind.COUNTER, "xin_session_parks", "Times an idle session parked."),
    SESSION_WAKES(Kind.COUNTER, "xin_session_wakes",
        "Times a parked session woke (bytes from the client, a frame to it, a timer)."),
    READS_PAUSED(Kind.COUNTER, null,
        "Times a session stopped reading its socket (not writable, in-flight limit, ring nearly full)."),
    FRAMES_IN(Kind.COUNTER, "xin_frames_in", "Frames received from clients."),
    FRAMES_OUT(Kind.COUNTER, "xin_frames_out", "Frames written to clients."),
    BAD_FRAMES(Kind.COUNTER, "xin_bad_frames", "Malformed or oversize frames (connection closed)."),
    MESSAGES_STORED(Kind.COUNTER, "xin_messages_stored", "Messages written to the store (new sends, not resends)."),
    DUPLICATE_SENDS(Kind.COUNTER, "xin_duplicate_sends", "Sends recognised as resends of a stored message."),
    PUSHES_SENT(Kind.COUNTER, "xin_pushes_sent", "Deliver frames written to online devices."),
    PUSHES_DROPPED(Kind.COUNTER, "xin_pushes_dropped", "Pushes dropped for a slow device (it is told to sync)."),
    BUSY_REJECTIONS(Kind.COUNTER, "xin_busy_rejections",
        "Requests refused with BUSY (ring, in-flight or sync queue full)."),
    SYNCS_SERVED(Kind.COUNTER, "xin_syncs_served", "Sync pages served."),
    CURSORS_ADVANCED(Kind.COUNTER, "xin_cursors_advanced", "Device cursors written."),
    JOURNAL_BATCHES(Kind.COUNTER, "xin_journal_batches", "Journal batches written to RocksDB."),
    JOURNAL_BATCH_EVENTS(Kind.COUNTER, null,
        "Ring events of the journal batches written: over journal batches, the mean batch size."),
    JOURNAL_MAX_BATCH_EVENTS(Kind.GAUGE, "xin_journal_max_batch_events",
        "Largest journal batch since start, in ring events."),
    JOURNAL_WRITE_NANOS(Kind.COUNTER, null, "Time the journal's writes took, in nanoseconds."),
    JOURNAL_BYTES_WRITTEN(Kind.COUNTER, null,
        "Bytes of the journal's write batches written (RocksDB's WAL payload), to measure what a write costs."),
    STORAGE_FAILURES(Kind.COUNTER, "xin_storage_failures", "Failed journal writes or reads."),
    PROXY_HEADERS(Kind.COUNTER, "xin_proxy_headers", "PROXY protocol headers received."),
    BAD_PROXY_HEADERS(Kind.COUNTER, "xin_bad_proxy_headers", "Malformed PROXY protocol headers (connection closed)."),
    PROXY_SOURCES_REFUSED(Kind.COUNTER, "xin_proxy_sources_refused",
        "Connections to the PROXY port from outside proxy-allowed-sources (closed before reading)."),
    TLS_HANDSHAKES(Kind.COUNTER, "xin_tls_handshakes", "TLS handshakes completed."),
    TLS_HANDSHAKE_FAILURES(Kind.COUNTER, "xin_tls_handshake_failures", "TLS handshakes failed (connection closed)."),
    GROUP_MESSAGES_STORED(Kind.COUNTER, "xin_group_messages_stored", "Messages sent to groups."),
    GROUP_INBOX_COPIES(Kind.COUNTER, "xin_group_inbox_copies", "Inbox entries written by group fan-out."),
    GROUP_MEMBERSHIP_CHANGES(Kind.COUNTER, "xin_group_membership_changes",
        "Group membership changes (each a GROUP_EVENT message)."),
    GROUPS_CREATED(Kind.COUNTER, null, "Groups created."),
    CHANNELS_CREATED(Kind.COUNTER, null, "Channels created."),
    CHANNEL_POSTS_STORED(Kind.COUNTER, "xin_channel_posts_stored", "Channel posts stored (once each)."),
    CHANNEL_FOLLOWS(Kind.COUNTER, "xin_channel_follows", "Channel follows started."),
    CHANNEL_PUSHES_SENT(Kind.COUNTER, "xin_channel_pushes_sent", "Paced channel pushes written to followers."),
    CHANNEL_PUSHES_DROPPED(Kind.COUNTER, "xin_channel_pushes_dropped",
        "Channel pushes dropped (follower not writable)."),
    CHANNEL_POSTS_PACED(Kind.COUNTER, null, "Posts whose pushes the pacer finished."),
    CHANNEL_POSTS_NOT_PACED(Kind.COUNTER, null, "Posts the pacer dropped because its queue was full."),
    FRIEND_CHANGES(Kind.COUNTER, "xin_friend_changes",
        "Relation and privacy changes written (each side of a pair counts once)."),
    NOT_FRIENDS_REFUSALS(Kind.COUNTER, "xin_not_friends_refusals",
        "1:1 sends and group adds refused with NOT_FRIENDS by the recipient's rules."),
    FRIEND_REQUESTS_LIMITED(Kind.COUNTER, "xin_friend_requests_limited",
        "New friend requests refused RATE_LIMITED: the sender's budget (friend-request-burst) was spent."),
    FRIEND_REQUESTS_DROPPED(Kind.COUNTER, "xin_friend_requests_dropped",
        "Friend requests dropped because the recipient had max-pending-friend-requests waiting."),
    PRESENCE_PUSHES(Kind.COUNTER, "xin_presence_pushes", "PresenceUpdate frames written to online devices."),
    MEDIA_TICKETS_NEW(Kind.COUNTER, "xin_media_tickets", "outcome", "new",
        "Upload tickets answered: a new upload (new), the requester's upload in progress of the same bytes " +
        "(resumed), or bytes the requester stored before (already_stored)."),
    MEDIA_TICKETS_RESUMED(Kind.COUNTER, "xin_media_tickets", "outcome", "resumed", null),
    MEDIA_TICKETS_ALREADY_STORED(Kind.COUNTER, "xin_media_tickets", "outcome", "already_stored", null),
    MEDIA_REFS_VERIFIED(Kind.COUNTER, "xin_media_refs_verified",
        "Media references of sends and posts checked against the store and stamped with an access token."),
    MEDIA_URLS(Kind.COUNTER, "xin_media_urls", "Download URLs handed out for a valid access token."),
    MEDIA_REFUSED_TOO_LARGE(Kind.COUNTER, "xin_media_refusals", "reason", "too_large",
        "Media requests refused: an upload over its size limit (too_large), over the quota or the uploads in " +
        "progress (quota), malformed (bad_request), a reference to no blob of the sender's or of another size " +
        "(bad_ref), a download with an invalid token (bad_token), the media threads' queue full (busy), media " +
        "off on this switch (off)."),
    MEDIA_REFUSED_QUOTA(Kind.COUNTER, "xin_media_refusals", "reason", "quota", null),
    MEDIA_REFUSED_BAD_REQUEST(Kind.COUNTER, "xin_media_refusals", "reason", "bad_request", null),
    MEDIA_REFUSED_BAD_REF(Kind.COUNTER, "xin_media_refusals", "reason", "bad_ref", null),
    MEDIA_REFUSED_BAD_TOKEN(Kind.COUNTER, "xin_media_refusals", "reason", "bad_token", null),
    MEDIA_REFUSED_BUSY(Kind.COUNTER, "xin_media_refusals", "reason", "busy", null),
    MEDIA_REFUSED_OFF(Kind.COUNTER, "xin_media_refusals", "reason", "off", null),
    MEDIA_STORE_FAILURES(Kind.COUNTER, "xin_media_store_failures",
        "Media store operations that failed (the request was answered BUSY or INTERNAL)."),
    MEDIA_COLLECTED(Kind.COUNTER, "xin_media_collected",
        "Blobs past their retention and expired uploads the media collector removed.");

    /** How a counter is kept and exported. */
    public enum Kind
    {
        /** Only goes up; a {@code LongAdder}, exported as a Prometheus counter ({@code _total}). */
        COUNTER,
        /** Goes up and down, or is a maximum; an {@code AtomicLong}, exported as a gauge. */
        GAUGE
    }

    private final Kind kind;
    private final String metricName;
    private final String labelName;
    private final String labelValue;
    private final String help;

    SwitchCounter(final Kind kind, final String metricName, final String help)
    {
        this(kind, metricName, null, null, help);
    }

    SwitchCounter(
        final Kind kind, final String metricName, final String labelName, final String labelValue, final String help)
    {
        this.kind = kind;
        this.metricName = metricName;
        this.labelName = labelName;
        this.labelValue = labelValue;
        this.help = help;
    }

    public Kind kind()
    {
        return kind;
    }

    /**
     * @return the Prometheus series (without {@code _total}), or null when the counter is not exported.
     */
    public String metricName()
    {
        return metricName;
    }

    /**
     * @return the label that tells apart the counters of one series, or null when the series has one counter.
     */
    public String labelName()
    {
        return labelName;
    }

    /**
     * @return this counter's value of {@link #labelName()}, or null.
     */
    public String labelValue()
    {
        return labelValue;
    }

    /**
     * @return the series' help: on the first counter of a labelled series, null on the others.
     */
    public String help()
    {
        return help;
    }
}
