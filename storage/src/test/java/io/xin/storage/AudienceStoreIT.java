package io.xin.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AudienceStoreIT
{
    @TempDir
    Path tempDir;

    @Test
    void shouldReadBackGroupsChannelsFollowsAndPostsAfterReopening()
    {
        try (XinStore store = XinStore.open(config()); JournalBatch batch = store.newBatch())
        {
            final AudienceBatch puts = store.audiences().newBatch(batch);
            puts.putGroup(1, 10, true, "family");
            puts.putMember(1, 10, (byte)2);
            puts.putMember(1, 12, (byte)0);
            puts.putMember(1, 11, (byte)1);
            puts.putMember(1, 13, (byte)0);
            puts.deleteMember(1, 13);
            puts.putChannel(2, 20, "news");
            puts.putPublisher(2, 20);
            puts.putFollow(2, 30, 0);
            puts.putFollow(2, 31, 0);
            puts.putPost(2, 1, bytes("first"));
            puts.putPost(2, 2, bytes("second"));
            puts.putFollow(2, 32, 2);
            puts.deleteFollow(2, 31);
            puts.putLastId(2);
            store.write(batch);
        }

        try (XinStore store = XinStore.open(config()))
        {
            final AudienceStore audiences = store.audiences();
            assertEquals(2, audiences.readLastId());
            final GroupRecord group = audiences.readGroup(1);
            assertEquals(10, group.ownerId());
            assertTrue(group.open());
            assertEquals("family", group.name());
            assertArrayEquals(new long[]{ 10, 11, 12 }, group.memberIds());
            assertArrayEquals(new byte[]{ 2, 1, 0 }, group.roles());
            assertNull(audiences.readGroup(2), "a channel id is not a group");

            final ChannelRecord channel = audiences.readChannel(2);
            assertEquals(20, channel.ownerId());
            assertEquals("news", channel.name());
            assertEquals(2, channel.headSeq());
            assertArrayEquals(new long[]{ 20 }, channel.publisherIds());
            assertArrayEquals(new long[]{ 30, 32 }, audiences.readFollowers(2));
            assertArrayEquals(new long[]{ 2, 2 }, audiences.readFollows(32));
            assertEquals(-1, audiences.readFollowSeq(2, 31), "unfollowed");
            assertEquals(0, audiences.readFollowSeq(2, 30));

            final InboxPage page = audiences.readTimeline(2, 0, 10, 1 << 20);
            assertEquals(2, page.headSeq());
            assertFalse(page.hasMore());
            assertEquals(2, page.entries().size());
            assertEquals("second", new String(page.entries().get(1).message(), StandardCharsets.UTF_8));
            final InboxPage rest = audiences.readTimeline(2, 1, 1, 1 << 20);
            assertEquals(1, rest.entries().size());
            assertEquals(2, rest.entries().get(0).seq());
            assertTrue(audiences.readTimeline(2, 2, 10, 1 << 20).entries().isEmpty());
        }
    }

    private StoreConfig config()
    {
        return new StoreConfig().dataDir(tempDir.resolve("db")).fsyncPolicy(FsyncPolicy.NEVER)
            .blockCacheBytes(8L * 1024 * 1024).writeBufferBytes(1024 * 1024);
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
