package io.xin.core;

import io.xin.core.journal.Handoff;
import io.xin.core.journal.Journal;
import io.xin.core.journal.ReplicatedShards;
import io.xin.storage.JournalBatch;
import io.xin.storage.XinStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** When a switch serves contact discovery: with a key file, and not as a node of a cluster. */
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
        ctx.replicatedShards(new ReplicatedShards()
        {
            @Override
            public long ownerEpoch(final int shard)
            {
                return 0;
            }

            @Override
            public void attach(final XinStore store, final Journal[] journals, final IntConsumer movedAway)
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
    }
}
