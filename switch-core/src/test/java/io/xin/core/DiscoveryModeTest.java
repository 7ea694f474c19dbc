package io.xin.core;

import io.xin.core.journal.Handoff;
import io.xin.core.journal.Journal;
import io.xin.core.journal.ReplicatedShards;
import io.xin.core.social.SocialFeed;
import io.xin.storage.JournalBatch;
import io.xin.storage.XinStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** When a switch serves contact discovery: with a key file, and in a cluster only with its social feed. */
final class DiscoveryModeTest
{
    @Test
    void shouldServeDiscoveryOnASingleNodeWithAKeyFileOnly()
    {
        final XinSwitch.Context ctx = new XinSwitch.Context();
        assertEquals("contact discovery is off on this switch (no discovery-key-file)",
            XinSwitch.discoveryRefusal(ctx));
        ctx.discoveryKeyFile(Path.of("discovery.keys"));
        assertNull(XinSwitch.discoveryRefusal(ctx));
        // Users placed on nodes (even without replicated shards): a node sees only its own registrations.
        ctx.placement(userId -> null);
        assertEquals(XinSwitch.DISCOVERY_NEEDS_ONE_NODE, XinSwitch.discoveryRefusal(ctx));
        ctx.placement(null);
        ctx.replicatedShards(new ReplicatedShards()
        {
            @Override
            public long ownerEpoch(final int shard)
            {
                return 0;
            }

            @Override
            public void attach(
                final XinStore store, final Journal[] journals, final IntConsumer movedAway,
                final XinStore.RelationsApplied relations)
            {
            }

            @Override
            public long append(final int shard, final long epoch, final JournalBatch batch,
                final List<Handoff> handoffs, final long handoffsTakenBefore)
            {
                return 0;
            }

            @Override
            public void lost(final int shard, final long epoch, final RuntimeException cause)
            {
            }
        });
        assertEquals(XinSwitch.DISCOVERY_NEEDS_ONE_NODE, XinSwitch.discoveryRefusal(ctx));
        // With the cluster's social feed the directory is shared by every node: served.
        ctx.socialFeed(new SocialFeed()
        {
            @Override
            public void publishPresence(final long userId, final boolean online, final long lastSeenMs,
                final boolean hidden)
            {
            }

            @Override
            public void publishRegistration(final int keyId, final long userId, final byte[] tag)
            {
            }

            @Override
            public void attachPresence(final PresenceListener listener)
            {
            }

            @Override
            public void attachDirectory(final DirectoryListener listener)
            {
            }

            @Override
            public void publishNearby(final int op, final long userId, final long cell, final long routeKey,
                final long eventTimeMs, final long token)
            {
            }

            @Override
            public void attachNearby(final NearbyListener listener)
            {
            }
        });
        assertNull(XinSwitch.discoveryRefusal(ctx));
    }
}
