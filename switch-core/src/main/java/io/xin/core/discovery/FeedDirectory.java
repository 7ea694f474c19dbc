package io.xin.core.discovery;

import io.xin.core.social.SocialFeed;
import io.xin.social.discovery.DiscoveryDirectory;
import io.xin.social.discovery.IndexedDiscoveryDirectory;
import io.xin.social.discovery.MemoryRegistrations;

import java.util.List;

/**
 * Cluster mode's directory: the cluster's directory topic is the record of every registration (compacted, one
 * record per key id and user), and each node keeps all of it in memory, a {@link IndexedDiscoveryDirectory} per
 * served key id, loaded from the topic's start before the node is ready and then following it.
 * <p>
 * A change by this node's user is published first (it returns once the brokers hold it, so an answered REGISTER is
 * durable), then applied here at once, so the user's next MATCH on this node sees it; when the same record comes
 * back from the topic it is applied again, which changes nothing (register and unregister are idempotent). Other
 * nodes apply it when they read it. A tag registered by two users on two nodes at once goes, on each node, to the
 * one it read last; the topic keeps both until one of them registers again.
 * <p>
 * Thread-safe: the discovery threads call the directory, the feed's thread {@link #registration}.
 */
public final class FeedDirectory implements DiscoveryDirectory, SocialFeed.DirectoryListener
{
    private final SocialFeed feed;
    /** The served key ids and their directories, in the same order; fixed at start. */
    private final int[] keyIds;
    private final IndexedDiscoveryDirectory[] directories;

    /**
     * @param feed         the cluster's social feed, where this node's changes go.
     * @param servedKeyIds the key ids served; records of others in the topic are skipped.
     */
    public FeedDirectory(final SocialFeed feed, final int... servedKeyIds)
    {
        this.feed = feed;
        this.keyIds = servedKeyIds.clone();
        this.directories = new IndexedDiscoveryDirectory[keyIds.length];
        for (int i = 0; i < keyIds.length; i++)
        {
            // The topic is the durable copy: the directory's own records are only the per-user tag it replaces.
            directories[i] = new IndexedDiscoveryDirectory(new MemoryRegistrations(), keyIds[i]);
        }
    }

    @Override
    public void register(final int keyId, final byte[] tag, final long userId)
    {
        final IndexedDiscoveryDirectory directory = directory(keyId);
        if (directory == null)
        {
            throw new IllegalArgumentException("key id " + keyId + " is not served");
        }
        feed.publishRegistration(keyId, userId, tag);
        directory.register(keyId, tag, userId);
    }

    @Override
    public boolean unregister(final long userId)
    {
        boolean found = false;
        for (int i = 0; i < keyIds.length; i++)
        {
            // A tombstone also where this node holds nothing: another node may hold a registration not read yet.
            feed.publishRegistration(keyIds[i], userId, null);
            found |= directories[i].unregister(userId);
        }
        return found;
    }

    @Override
    public int match(final int keyId, final List<byte[]> tags, final MatchSink sink)
    {
        final IndexedDiscoveryDirectory directory = directory(keyId);
        if (directory == null)
        {
            throw new IllegalArgumentException("key id " + keyId + " is not served");
        }
        return directory.match(keyId, tags, sink);
    }

    @Override
    public void registration(final int keyId, final long userId, final byte[] tag)
    {
        final IndexedDiscoveryDirectory directory = directory(keyId);
        if (directory == null || userId == 0)
        {
            // A retired key's record (or a malformed one): not served here.
            return;
        }
        if (tag == null)
        {
            directory.unregister(userId);
        }
        else
        {
            directory.register(keyId, tag, userId);
        }
    }

    /** @return the registrations under {@code keyId}, 0 for a key not served. */
    public int size(final int keyId)
    {
        final IndexedDiscoveryDirectory directory = directory(keyId);
        return directory == null ? 0 : directory.size(keyId);
    }

    private IndexedDiscoveryDirectory directory(final int keyId)
    {
        for (int i = 0; i < keyIds.length; i++)
        {
            if (keyIds[i] == keyId)
            {
                return directories[i];
            }
        }
        return null;
    }
}
