package io.xin.core.status;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of what the switch does, incremented on the hot path without locks and read by
 * tests, logs and metrics. Counting, never logging, is how the hot path reports. Each field is one
 * {@link SwitchCounter}, the list the metrics are registered from; {@link #value(SwitchCounter)} reads any.
 */
public final class SwitchCounters
{
    /** Each counter by {@link SwitchCounter#ordinal()}; filled as the fields below are initialised. */
    private final LongAdder[] counters = new LongAdder[SwitchCounter.values().length];
    private final AtomicLong[] gauges = new AtomicLong[SwitchCounter.values().length];

    public final AtomicLong sessionsOpen = gauge(SwitchCounter.SESSIONS_OPEN);
    public final LongAdder connectionsAccepted = counter(SwitchCounter.CONNECTIONS_ACCEPTED);
    public final LongAdder loginsSucceeded = counter(SwitchCounter.LOGINS_SUCCEEDED);
    public final LongAdder loginsFailed = counter(SwitchCounter.LOGINS_FAILED);
    public final LongAdder sessionsKicked = counter(SwitchCounter.SESSIONS_KICKED);
    public final LongAdder framesIn = counter(SwitchCounter.FRAMES_IN);
    public final LongAdder badFrames = counter(SwitchCounter.BAD_FRAMES);
    public final LongAdder messagesStored = counter(SwitchCounter.MESSAGES_STORED);
    public final LongAdder duplicateSends = counter(SwitchCounter.DUPLICATE_SENDS);
    public final LongAdder pushesSent = counter(SwitchCounter.PUSHES_SENT);
    public final LongAdder pushesDropped = counter(SwitchCounter.PUSHES_DROPPED);
    public final LongAdder busyRejections = counter(SwitchCounter.BUSY_REJECTIONS);
    public final LongAdder syncsServed = counter(SwitchCounter.SYNCS_SERVED);
    public final LongAdder cursorsAdvanced = counter(SwitchCounter.CURSORS_ADVANCED);
    public final LongAdder idleClosed = counter(SwitchCounter.IDLE_CLOSED);
    public final LongAdder loginTimeouts = counter(SwitchCounter.LOGIN_TIMEOUTS);
    /** Journal batches written, and the ring events they held: their ratio is the mean batch size. */
    public final LongAdder journalBatches = counter(SwitchCounter.JOURNAL_BATCHES);
    public final LongAdder journalBatchEvents = counter(SwitchCounter.JOURNAL_BATCH_EVENTS);
    public final AtomicLong journalMaxBatchEvents = gauge(SwitchCounter.JOURNAL_MAX_BATCH_EVENTS);
    public final LongAdder journalWriteNanos = counter(SwitchCounter.JOURNAL_WRITE_NANOS);
    public final LongAdder storageFailures = counter(SwitchCounter.STORAGE_FAILURES);
    public final LongAdder framesOut = counter(SwitchCounter.FRAMES_OUT);
    /** PROXY protocol headers taken, and malformed ones (connection closed). */
    public final LongAdder proxyHeaders = counter(SwitchCounter.PROXY_HEADERS);
    public final LongAdder badProxyHeaders = counter(SwitchCounter.BAD_PROXY_HEADERS);
    /** Connections to the PROXY port from a peer outside the allowed sources, closed before any byte was read. */
    public final LongAdder proxySourcesRefused = counter(SwitchCounter.PROXY_SOURCES_REFUSED);
    public final LongAdder tlsHandshakes = counter(SwitchCounter.TLS_HANDSHAKES);
    public final LongAdder tlsHandshakeFailures = counter(SwitchCounter.TLS_HANDSHAKE_FAILURES);
    /** Told of every journal batch written, on the journal thread; metrics set it. */
    private volatile JournalBatchObserver journalBatchObserver = JournalBatchObserver.NONE;

    /**
     * Called by the journal thread once per batch written.
     *
     * @param events     ring events in the batch.
     * @param writeNanos time the RocksDB write (and fsync) took.
     */
    public void onJournalBatchWritten(final int events, final long writeNanos)
    {
        journalBatchObserver.onJournalBatchWritten(events, writeNanos);
    }

    /**
     * @param observer told of every batch from now on, on the journal thread; must not block.
     */
    public void journalBatchObserver(final JournalBatchObserver observer)
    {
        journalBatchObserver = observer == null ? JournalBatchObserver.NONE : observer;
    }
    /** Connections closed at accept by the address guard (too many, too fast, too many failed logins). */
    public final LongAdder connectionsRefused = counter(SwitchCounter.CONNECTIONS_REFUSED);
    /** The same refusals by reason: the address's or the switch's connection limit, connecting too fast, failed logins. */
    public final LongAdder connectionsRefusedTooMany = counter(SwitchCounter.CONNECTIONS_REFUSED_TOO_MANY);
    public final LongAdder connectionsRefusedTooFast = counter(SwitchCounter.CONNECTIONS_REFUSED_TOO_FAST);
    public final LongAdder connectionsRefusedFailedLogins = counter(SwitchCounter.CONNECTIONS_REFUSED_FAILED_LOGINS);
    /** Sends refused with RATE_LIMITED, and sessions closed for sending into the limit. */
    public final LongAdder rateLimitedSends = counter(SwitchCounter.RATE_LIMITED_SENDS);
    public final LongAdder rateLimitedSessionsClosed = counter(SwitchCounter.RATE_LIMITED_SESSIONS_CLOSED);
    /** Logins refused because the device logged in too often (flapping). */
    public final LongAdder loginsBanned = counter(SwitchCounter.LOGINS_BANNED);
    /** Sessions parked now (their channel given up), times sessions parked, and times parked sessions woke. */
    public final AtomicLong sessionsParked = gauge(SwitchCounter.SESSIONS_PARKED);
    public final LongAdder sessionParks = counter(SwitchCounter.SESSION_PARKS);
    public final LongAdder sessionWakes = counter(SwitchCounter.SESSION_WAKES);
    /** Times a session stopped reading its socket (not writable, in-flight limit, ring nearly full). */
    public final LongAdder readsPaused = counter(SwitchCounter.READS_PAUSED);
    /** Groups: messages sent to groups, the inbox copies they made, membership changes, groups created. */
    public final LongAdder groupMessagesStored = counter(SwitchCounter.GROUP_MESSAGES_STORED);
    public final LongAdder groupInboxCopies = counter(SwitchCounter.GROUP_INBOX_COPIES);
    public final LongAdder groupMembershipChanges = counter(SwitchCounter.GROUP_MEMBERSHIP_CHANGES);
    public final LongAdder groupsCreated = counter(SwitchCounter.GROUPS_CREATED);
    /** Channels: created, posts stored (once each), follows started, paced pushes sent and dropped. */
    public final LongAdder channelsCreated = counter(SwitchCounter.CHANNELS_CREATED);
    public final LongAdder channelPostsStored = counter(SwitchCounter.CHANNEL_POSTS_STORED);
    public final LongAdder channelFollows = counter(SwitchCounter.CHANNEL_FOLLOWS);
    public final LongAdder channelPushesSent = counter(SwitchCounter.CHANNEL_PUSHES_SENT);
    public final LongAdder channelPushesDropped = counter(SwitchCounter.CHANNEL_PUSHES_DROPPED);
    /** Posts whose pushes the pacer finished, and posts it dropped because its queue was full. */
    public final LongAdder channelPostsPaced = counter(SwitchCounter.CHANNEL_POSTS_PACED);
    public final LongAdder channelPostsNotPaced = counter(SwitchCounter.CHANNEL_POSTS_NOT_PACED);
    /** Friends: relation and privacy rows written, sends and adds refused NOT_FRIENDS, presence frames pushed. */
    public final LongAdder friendChanges = counter(SwitchCounter.FRIEND_CHANGES);
    public final LongAdder notFriendsRefusals = counter(SwitchCounter.NOT_FRIENDS_REFUSALS);
    public final LongAdder friendRequestsLimited = counter(SwitchCounter.FRIEND_REQUESTS_LIMITED);
    public final LongAdder friendRequestsDropped = counter(SwitchCounter.FRIEND_REQUESTS_DROPPED);
    public final LongAdder presencePushes = counter(SwitchCounter.PRESENCE_PUSHES);
    /** Bytes of the journal's write batches written (RocksDB's WAL payload), to measure what a write costs. */
    public final LongAdder journalBytesWritten = counter(SwitchCounter.JOURNAL_BYTES_WRITTEN);
    /** Media: upload tickets by outcome, references verified, download URLs, refusals by reason, failures. */
    public final LongAdder mediaTicketsNew = counter(SwitchCounter.MEDIA_TICKETS_NEW);
    public final LongAdder mediaTicketsResumed = counter(SwitchCounter.MEDIA_TICKETS_RESUMED);
    public final LongAdder mediaTicketsAlreadyStored = counter(SwitchCounter.MEDIA_TICKETS_ALREADY_STORED);
    public final LongAdder mediaRefsVerified = counter(SwitchCounter.MEDIA_REFS_VERIFIED);
    public final LongAdder mediaUrls = counter(SwitchCounter.MEDIA_URLS);
    public final LongAdder mediaRefusedTooLarge = counter(SwitchCounter.MEDIA_REFUSED_TOO_LARGE);
    public final LongAdder mediaRefusedQuota = counter(SwitchCounter.MEDIA_REFUSED_QUOTA);
    public final LongAdder mediaRefusedBadRequest = counter(SwitchCounter.MEDIA_REFUSED_BAD_REQUEST);
    public final LongAdder mediaRefusedBadRef = counter(SwitchCounter.MEDIA_REFUSED_BAD_REF);
    public final LongAdder mediaRefusedBadToken = counter(SwitchCounter.MEDIA_REFUSED_BAD_TOKEN);
    public final LongAdder mediaRefusedBusy = counter(SwitchCounter.MEDIA_REFUSED_BUSY);
    public final LongAdder mediaRefusedOff = counter(SwitchCounter.MEDIA_REFUSED_OFF);
    public final LongAdder mediaStoreFailures = counter(SwitchCounter.MEDIA_STORE_FAILURES);
    /** Blobs and uploads removed by the media collector, which the daemon runs and adds here. */
    public final LongAdder mediaCollected = counter(SwitchCounter.MEDIA_COLLECTED);

    /**
     * @param counter one of the switch's counters.
     * @return its value now; safe from any thread.
     */
    public long value(final SwitchCounter counter)
    {
        return counter.kind() == SwitchCounter.Kind.GAUGE ?
            gauges[counter.ordinal()].get() : counters[counter.ordinal()].sum();
    }

    private LongAdder counter(final SwitchCounter counter)
    {
        bind(counter, SwitchCounter.Kind.COUNTER);
        return counters[counter.ordinal()] = new LongAdder();
    }

    private AtomicLong gauge(final SwitchCounter counter)
    {
        bind(counter, SwitchCounter.Kind.GAUGE);
        return gauges[counter.ordinal()] = new AtomicLong();
    }

    private void bind(final SwitchCounter counter, final SwitchCounter.Kind kind)
    {
        if (counter.kind() != kind || counters[counter.ordinal()] != null || gauges[counter.ordinal()] != null)
        {
            throw new IllegalStateException(counter + " is a " + counter.kind() + " bound to one field");
        }
    }

    @Override
    public String toString()
    {
        return "sessionsOpen=" + sessionsOpen.get() + " loginsSucceeded=" + loginsSucceeded.sum() +
            " loginsFailed=" + loginsFailed.sum() + " messagesStored=" + messagesStored.sum() +
            " duplicateSends=" + duplicateSends.sum() + " pushesSent=" + pushesSent.sum() +
            " pushesDropped=" + pushesDropped.sum() + " busyRejections=" + busyRejections.sum() +
            " journalBatches=" + journalBatches.sum() + " journalBatchEvents=" + journalBatchEvents.sum() +
            " storageFailures=" + storageFailures.sum() + " connectionsRefused=" + connectionsRefused.sum() +
            " rateLimitedSends=" + rateLimitedSends.sum() + " loginsBanned=" + loginsBanned.sum() +
            " readsPaused=" + readsPaused.sum();
    }
}
