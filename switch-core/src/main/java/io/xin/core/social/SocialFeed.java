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
