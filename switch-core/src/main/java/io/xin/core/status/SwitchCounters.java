package io.xin.core.status;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of what the switch does, incremented on the hot path without locks and read by
 * tests, logs and metrics. Counting, never logging, is how the hot path reports.
 */
public final class SwitchCounters
{
    public final AtomicLong sessionsOpen = new AtomicLong();
    public final LongAdder connectionsAccepted = new LongAdder();
    public final LongAdder loginsSucceeded = new LongAdder();
    public final LongAdder loginsFailed = new LongAdder();
    public final LongAdder sessionsKicked = new LongAdder();
    public final LongAdder framesIn = new LongAdder();
    public final LongAdder badFrames = new LongAdder();
    public final LongAdder messagesStored = new LongAdder();
    public final LongAdder duplicateSends = new LongAdder();
    public final LongAdder pushesSent = new LongAdder();
    public final LongAdder pushesDropped = new LongAdder();
    public final LongAdder busyRejections = new LongAdder();
    public final LongAdder syncsServed = new LongAdder();
    public final LongAdder cursorsAdvanced = new LongAdder();
    public final LongAdder idleClosed = new LongAdder();
    public final LongAdder loginTimeouts = new LongAdder();
    /** Journal batches written, and the ring events they held: their ratio is the mean batch size. */
    public final LongAdder journalBatches = new LongAdder();
    public final LongAdder journalBatchEvents = new LongAdder();
    public final AtomicLong journalMaxBatchEvents = new AtomicLong();
    public final LongAdder journalWriteNanos = new LongAdder();
    public final LongAdder storageFailures = new LongAdder();
    public final LongAdder framesOut = new LongAdder();
    /** PROXY protocol headers taken, and malformed ones (connection closed). */
    public final LongAdder proxyHeaders = new LongAdder();
    public final LongAdder badProxyHeaders = new LongAdder();
    /** Connections to the PROXY port from a peer outside the allowed sources, closed before any byte was read. */
    public final LongAdder proxySourcesRefused = new LongAdder();
    public final LongAdder tlsHandshakes = new LongAdder();
    public final LongAdder tlsHandshakeFailures = new LongAdder();
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
    public final LongAdder connectionsRefused = new LongAdder();
    /** The same refusals by reason: the address's or the switch's connection limit, connecting too fast, failed logins. */
    public final LongAdder connectionsRefusedTooMany = new LongAdder();
    public final LongAdder connectionsRefusedTooFast = new LongAdder();
    public final LongAdder connectionsRefusedFailedLogins = new LongAdder();
    /** Sends refused with RATE_LIMITED, and sessions closed for sending into the limit. */
    public final LongAdder rateLimitedSends = new LongAdder();
    public final LongAdder rateLimitedSessionsClosed = new LongAdder();
    /** Logins refused because the device logged in too often (flapping). */
    public final LongAdder loginsBanned = new LongAdder();
    /** Sessions parked now (their channel given up), times sessions parked, and times parked sessions woke. */
    public final AtomicLong sessionsParked = new AtomicLong();
    public final LongAdder sessionParks = new LongAdder();
    public final LongAdder sessionWakes = new LongAdder();
    /** Times a session stopped reading its socket (not writable, in-flight limit, ring nearly full). */
    public final LongAdder readsPaused = new LongAdder();
    /** Groups: messages sent to groups, the inbox copies they made, membership changes, groups created. */
    public final LongAdder groupMessagesStored = new LongAdder();
    public final LongAdder groupInboxCopies = new LongAdder();
    public final LongAdder groupMembershipChanges = new LongAdder();
    public final LongAdder groupsCreated = new LongAdder();
    /** Channels: created, posts stored (once each), follows started, paced pushes sent and dropped. */
    public final LongAdder channelsCreated = new LongAdder();
    public final LongAdder channelPostsStored = new LongAdder();
    public final LongAdder channelFollows = new LongAdder();
    public final LongAdder channelPushesSent = new LongAdder();
    public final LongAdder channelPushesDropped = new LongAdder();
    /** Posts whose pushes the pacer finished, and posts it dropped because its queue was full. */
    public final LongAdder channelPostsPaced = new LongAdder();
    public final LongAdder channelPostsNotPaced = new LongAdder();
    /** Bytes of the journal's write batches written (RocksDB's WAL payload), to measure what a write costs. */
    public final LongAdder journalBytesWritten = new LongAdder();

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
