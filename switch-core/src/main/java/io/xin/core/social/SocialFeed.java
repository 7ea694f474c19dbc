package io.xin.core.social;

/**
 * Cluster mode: the events of the social layer every node must see, whichever node served the user. A node publishes
 * its own users' presence and directory registrations here, and is told of every other node's through the listeners
 * it attaches at launch. Null in a switch's context on a single node.
 * <p>
 * Thread-safe: publishing from the presence and discovery threads, the listeners called on the feed's own thread.
 */
public interface SocialFeed
{
    /**
     * A user of this node came online, left, or changed whether it hides its presence. Does not block for the
     * brokers: presence is best effort, the next change repairs a lost one.
     *
     * @param lastSeenMs when the user's last device here left, rounded to the minute; 0 while online.
     */
    void publishPresence(long userId, boolean online, long lastSeenMs, boolean hidden);

    /**
     * A registration of this node's user, or its removal; returns once the brokers hold it.
     *
     * @param tag 16 bytes, or null to remove the user's registration under {@code keyId}.
     * @throws IllegalStateException when the brokers did not take it in time: the request fails and is retried.
     */
    void publishRegistration(int keyId, long userId, byte[] tag);

    /**
     * A people-nearby or shake event of this node's user, for every node's index and matcher (this node's too: it
     * applies its own events when they come back, in the same order as every other node). Does not block.
     *
     * @param op          {@link NearbyListener#REPORT}, {@link NearbyListener#LEAVE}, {@link NearbyListener#SHAKE}
     *                    or {@link NearbyListener#TICK}.
     * @param userId      who; 0 for a tick.
     * @param cell        the H3 cell (a report's, a shake's with a location), else 0. Never a coordinate.
     * @param routeKey    what orders the event with the others it must be ordered with: the coarse cell, or 0 for
     *                    the one fixed key (shakes that may pair with any other).
     * @param eventTimeMs the event's time on this node's clock: what every node applies it at.
     * @param token       this node's id of the request, given back with the event.
     */
    void publishNearby(int op, long userId, long cell, long routeKey, long eventTimeMs, long token);

    /** Where every node's nearby events go (this node's too), in each partition's order. At launch. */
    void attachNearby(NearbyListener listener);

    /** Where other nodes' presence goes. Set once, at launch, before the feed starts. */
    void attachPresence(PresenceListener listener);

    /** Where every node's registrations go (this node's too), from the start of the directory. At launch. */
    void attachDirectory(DirectoryListener listener);

    /** Told of another node's user's presence. */
    interface PresenceListener
    {
        /**
         * @param nodeId the node that serves (or served) the user.
         */
        void remotePresence(String nodeId, long userId, boolean online, long lastSeenMs, boolean hidden);

        /**
         * A node started and knows nothing of the others' users: publish the state of every user online here
         * again.
         */
        void republish();

        /**
         * A node took a journal shard (including this node): every user of that shard is served there from now on,
         * so a user another node was serving is offline unless the new owner says otherwise. What ends the presence
         * of the users of a node that died without saying goodbye.
         *
         * @param nodeId     the shard's new owner.
         * @param shard      the journal shard.
         * @param shardCount the cluster's journal shards, by which users map to shards.
         */
        void shardServed(String nodeId, int shard, int shardCount);
    }

    /** Told of every node's nearby events, in the order of their partition (the same on every node). */
    interface NearbyListener
    {
        int REPORT = 1;
        int LEAVE = 2;
        int SHAKE = 3;
        /** Moves a partition's time on: its waiting shakes whose window passed expire. */
        int TICK = 4;

        /**
         * @param own       whether this node published it ({@code token} is then its own).
         * @param partition the partition: events of one partition are told in its order.
         * @param offset    the event's offset in it: with the partition, an id the same on every node.
         */
        void nearbyEvent(boolean own, long token, int op, long userId, long cell, long eventTimeMs, int partition,
            long offset);
    }

    /** Told of each registration as the directory topic holds it, in the topic's order. */
    @FunctionalInterface
    interface DirectoryListener
    {
        /**
         * @param tag 16 bytes, or null: the user's registration under {@code keyId} was removed.
         */
        void registration(int keyId, long userId, byte[] tag);
    }
}
