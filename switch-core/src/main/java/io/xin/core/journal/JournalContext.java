package io.xin.core.journal;

import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.storage.XinStore;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What every journal shard of a switch is built from ({@link Journal#Journal(JournalContext, int)}): the store and
 * how a batch is written to it, the switch's status and counters, the clock, the limits, the number of shards and
 * the message id counter they share. Fluent setters; {@link #conclude()} checks the settings and reads the last
 * message id from the store, once.
 * <p>
 * Built and concluded by the thread that launches the switch (or a test), before the journals.
 */
public final class JournalContext
{
    /** A moved inbox head is written within this; its inbox entries hold it meanwhile. */
    public static final long DEFAULT_HEAD_WRITE_INTERVAL_MS = 5_000;

    private XinStore store;
    private Function<XinStore, JournalWriter> journalWriter = store -> store::append;
    private SwitchStatus status;
    private SwitchCounters counters;
    private LongSupplier clockMs = System::currentTimeMillis;
    private int maxGroupMembers = Integer.MAX_VALUE;
    private int maxChannelPublishers = Integer.MAX_VALUE;
    private long headWriteIntervalMs = DEFAULT_HEAD_WRITE_INTERVAL_MS;
    private int shardCount = 1;
    private AtomicLong msgIds;
    private ReplicatedShards replicatedShards;
    private FriendChanges friendChanges;
    private boolean friendCheck = true;
    private boolean strangersAllowedByDefault;
    private int friendRequestBurst = Integer.MAX_VALUE;
    private int friendRequestsPerHour = Integer.MAX_VALUE;
    private int maxPendingFriendRequests = Integer.MAX_VALUE;

    public JournalContext store(final XinStore store)
    {
        this.store = store;
        return this;
    }

    public XinStore store()
    {
        return store;
    }

    /**
     * @param journalWriter makes each shard's appender of its batches to the message log; the default is the
     *                      store's append, tests wrap it
     *                      to inject storage failures.
     */
    public JournalContext journalWriter(final Function<XinStore, JournalWriter> journalWriter)
    {
        this.journalWriter = journalWriter;
        return this;
    }

    public Function<XinStore, JournalWriter> journalWriter()
    {
        return journalWriter;
    }

    public JournalContext status(final SwitchStatus status)
    {
        this.status = status;
        return this;
    }

    public SwitchStatus status()
    {
        return status;
    }

    public JournalContext counters(final SwitchCounters counters)
    {
        this.counters = counters;
        return this;
    }

    public SwitchCounters counters()
    {
        return counters;
    }

    /**
     * @param clockMs epoch milliseconds: message times, dedupe times, when heads are due.
     */
    public JournalContext clock(final LongSupplier clockMs)
    {
        this.clockMs = clockMs;
        return this;
    }

    public LongSupplier clock()
    {
        return clockMs;
    }

    /**
     * @param maxGroupMembers members a group may hold.
     */
    public JournalContext maxGroupMembers(final int maxGroupMembers)
    {
        this.maxGroupMembers = maxGroupMembers;
        return this;
    }

    public int maxGroupMembers()
    {
        return maxGroupMembers;
    }

    /**
     * @param maxChannelPublishers publishers a channel may have.
     */
    public JournalContext maxChannelPublishers(final int maxChannelPublishers)
    {
        this.maxChannelPublishers = maxChannelPublishers;
        return this;
    }

    public int maxChannelPublishers()
    {
        return maxChannelPublishers;
    }

    /**
     * @param headWriteIntervalMs longest wait before a moved head is written, ms; 0 writes heads every batch.
     */
    public JournalContext headWriteIntervalMs(final long headWriteIntervalMs)
    {
        this.headWriteIntervalMs = headWriteIntervalMs;
        return this;
    }

    public long headWriteIntervalMs()
    {
        return headWriteIntervalMs;
    }

    /**
     * @param shardCount journal shards the users are hashed to ({@link JournalShard}), at least 1.
     */
    public JournalContext shardCount(final int shardCount)
    {
        this.shardCount = shardCount;
        return this;
    }

    public int shardCount()
    {
        return shardCount;
    }

    /**
     * @param replicatedShards the replicated logs of the shards and which of them this node owns (cluster mode); null
     *                         (the default) for the store's own logs, every shard owned.
     */
    public JournalContext replicatedShards(final ReplicatedShards replicatedShards)
    {
        this.replicatedShards = replicatedShards;
        return this;
    }

    public ReplicatedShards replicatedShards()
    {
        return replicatedShards;
    }

    /**
     * @param friendChanges told of every relation and privacy change once applied (presence follows them); null (the
     *                      default) tells nobody.
     */
    public JournalContext friendChanges(final FriendChanges friendChanges)
    {
        this.friendChanges = friendChanges;
        return this;
    }

    public FriendChanges friendChanges()
    {
        return friendChanges;
    }

    /**
     * @param friendCheck whether 1:1 sends and group adds are checked against the recipient's friend rows and privacy
     *                    (true, the default). False takes every send, blocks included: only to measure what the check
     *                    costs, never a switch's setting.
     */
    public JournalContext friendCheck(final boolean friendCheck)
    {
        this.friendCheck = friendCheck;
        return this;
    }

    public boolean friendCheck()
    {
        return friendCheck;
    }

    /**
     * @param strangersAllowedByDefault whether a user who never set its privacy takes 1:1 messages and group adds from
     *                                  strangers (false, the default: friends only).
     */
    public JournalContext strangersAllowedByDefault(final boolean strangersAllowedByDefault)
    {
        this.strangersAllowedByDefault = strangersAllowedByDefault;
        return this;
    }

    public boolean strangersAllowedByDefault()
    {
        return strangersAllowedByDefault;
    }

    /**
     * @param burst   new friend requests a user may send at once (unlimited by default).
     * @param perHour how many of them its budget regains an hour.
     */
    public JournalContext friendRequestLimit(final int burst, final int perHour)
    {
        this.friendRequestBurst = burst;
        this.friendRequestsPerHour = perHour;
        return this;
    }

    public int friendRequestBurst()
    {
        return friendRequestBurst;
    }

    public int friendRequestsPerHour()
    {
        return friendRequestsPerHour;
    }

    /**
     * @param maxPendingFriendRequests requests a user may have waiting for its answer; more are dropped (unbounded by
     *                                 default).
     */
    public JournalContext maxPendingFriendRequests(final int maxPendingFriendRequests)
    {
        this.maxPendingFriendRequests = maxPendingFriendRequests;
        return this;
    }

    public int maxPendingFriendRequests()
    {
        return maxPendingFriendRequests;
    }

    /**
     * @return the message id counter every shard takes the next id from; set by {@link #conclude()}.
     */
    public AtomicLong msgIds()
    {
        return msgIds;
    }

    /**
     * Checks the settings and, the first time, starts the message id counter at the store's last id. Idempotent.
     *
     * @throws IllegalArgumentException naming the first invalid setting.
     */
    public JournalContext conclude()
    {
        if (store == null || journalWriter == null || status == null || counters == null || clockMs == null)
        {
            throw new IllegalArgumentException("store, journalWriter, status, counters and clock must be set");
        }
        if (headWriteIntervalMs < 0)
        {
            throw new IllegalArgumentException("headWriteIntervalMs must not be negative: " + headWriteIntervalMs);
        }
        if (shardCount < 1)
        {
            throw new IllegalArgumentException("shardCount must be at least 1: " + shardCount);
        }
        if (msgIds == null)
        {
            msgIds = new AtomicLong(store.readLastMsgId());
        }
        return this;
    }
}
