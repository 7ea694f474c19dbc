package io.xin.client;

import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SyncResult;

/**
 * Merges pushes and sync pages into one stream of inbox messages: every seq at most once, strictly
 * increasing, none skipped unless retention removed it.
 * <p>
 * A push with the next seq is passed on at once; a push at or below {@link #lastSeq()} is a
 * duplicate and dropped; a push beyond the next seq reveals a gap, is dropped (the sync will bring
 * it) and starts a sync from {@link #lastSeq()}. At most one sync is in flight: what is learnt
 * meanwhile only raises {@link #knownHeadSeq()}, and the next page is asked for when the current one
 * arrives, until {@code lastSeq} reaches the known head.
 * <p>
 * Owned by the client's event loop; knows nothing of channels, so tests drive it directly.
 */
final class InboxSequencer
{
    /**
     * Where ordered messages and sync requests go.
     */
    interface Output
    {
        /**
         * The next message of the inbox, in order.
         *
         * @param message with a seq greater than every seq passed before.
         */
        void onMessage(Message message);

        /**
         * The next seq of the inbox is a message this client sent, known from its SendAck and not built as a
         * {@link Message} (the client does not pass its own sends on).
         *
         * @param seq greater than every seq passed before.
         */
        void onOwnSend(long seq);

        /**
         * Ask the server for the page after {@code afterSeq}; answer with
         * {@link #onSyncResult(SyncResult)} or {@link #onSyncFailed()}.
         *
         * @param afterSeq the highest seq already passed on.
         */
        void requestSync(long afterSeq);
    }

    private final Output output;

    /** Highest seq passed on (or skipped as removed by retention). */
    private long lastSeq;
    /** Highest seq known to exist in the inbox. */
    private long knownHeadSeq;
    /** after_seq of the sync in flight. */
    private long syncAfterSeq;
    private boolean online;
    private boolean syncInFlight;
    private boolean syncPaused;

    /**
     * @param output  receives ordered messages and sync requests.
     * @param lastSeq highest seq the application already has, 0 for none.
     */
    InboxSequencer(final Output output, final long lastSeq)
    {
        this.output = output;
        this.lastSeq = lastSeq;
        this.knownHeadSeq = lastSeq;
    }

    long lastSeq()
    {
        return lastSeq;
    }

    /**
     * Start from {@code lastSeq}; only before the first login, when the server's cursor is adopted.
     */
    void lastSeq(final long lastSeq)
    {
        this.lastSeq = lastSeq;
        if (knownHeadSeq < lastSeq)
        {
            knownHeadSeq = lastSeq;
        }
    }

    long knownHeadSeq()
    {
        return knownHeadSeq;
    }

    boolean syncInFlight()
    {
        return syncInFlight;
    }

    /**
     * Logged in: syncs may be sent; sync if the head is ahead.
     *
     * @param headSeq the inbox head reported at login.
     */
    void onOnline(final long headSeq)
    {
        online = true;
        syncInFlight = false;
        syncPaused = false;
        onHeadSeq(headSeq);
    }

    /**
     * The connection is gone, and with it any sync in flight.
     */
    void onOffline()
    {
        online = false;
        syncInFlight = false;
        syncPaused = false;
    }

    /**
     * The inbox holds at least {@code headSeq} (LoginOk, SyncHint).
     */
    void onHeadSeq(final long headSeq)
    {
        if (headSeq > knownHeadSeq)
        {
            knownHeadSeq = headSeq;
        }
        maybeSync();
    }

    /**
     * A pushed message.
     */
    void onDeliver(final Message message)
    {
        if (advanceTo(message.getSeq()))
        {
            output.onMessage(message);
        }
    }

    /**
     * A message this client sent, by the seq its SendAck gave it: like {@link #onDeliver(Message)}, without the
     * message.
     */
    void onOwnSend(final long seq)
    {
        if (advanceTo(seq))
        {
            output.onOwnSend(seq);
        }
    }

    /** @return whether {@code seq} is the next one (now passed); a later one reveals a gap and starts a sync. */
    private boolean advanceTo(final long seq)
    {
        if (seq <= lastSeq)
        {
            return false;
        }

        if (seq == lastSeq + 1)
        {
            lastSeq = seq;
            if (knownHeadSeq < seq)
            {
                knownHeadSeq = seq;
            }
            return true;
        }

        onHeadSeq(seq);
        return false;
    }

    /**
     * The page answering the sync in flight.
     */
    void onSyncResult(final SyncResult result)
    {
        syncInFlight = false;
        boolean progressed = false;
        for (final Message message : result.getMessagesList())
        {
            final long seq = message.getSeq();
            if (seq > lastSeq)
            {
                lastSeq = seq;
                progressed = true;
                output.onMessage(message);
            }
        }

        final long pageLastSeq = result.getLastSeq();
        if (pageLastSeq > syncAfterSeq)
        {
            progressed = true;
        }
        if (pageLastSeq > lastSeq)
        {
            lastSeq = pageLastSeq;
        }
        if (result.getHeadSeq() > knownHeadSeq)
        {
            knownHeadSeq = result.getHeadSeq();
        }

        if (!progressed)
        {
            // The server has nothing beyond lastSeq although a push or hint said otherwise: stop
            // asking until something new is learnt, rather than spin on empty pages.
            knownHeadSeq = lastSeq;
        }
        else if (result.getHasMore() && knownHeadSeq <= lastSeq)
        {
            knownHeadSeq = lastSeq + 1;
        }
        if (knownHeadSeq < lastSeq)
        {
            knownHeadSeq = lastSeq;
        }
        maybeSync();
    }

    /**
     * The sync in flight was refused for now (BUSY); {@link #resumeSync()} tries again.
     */
    void onSyncFailed()
    {
        syncInFlight = false;
        syncPaused = true;
    }

    /**
     * The sync in flight was refused for good: forget the head until something new is learnt.
     */
    void abandonSync()
    {
        syncInFlight = false;
        knownHeadSeq = lastSeq;
    }

    /**
     * Sync again after {@link #onSyncFailed()}, if still behind.
     */
    void resumeSync()
    {
        syncPaused = false;
        maybeSync();
    }

    private void maybeSync()
    {
        if (online && !syncInFlight && !syncPaused && knownHeadSeq > lastSeq)
        {
            syncInFlight = true;
            syncAfterSeq = lastSeq;
            output.requestSync(lastSeq);
        }
    }
}
