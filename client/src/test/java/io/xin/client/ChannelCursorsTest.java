package io.xin.client;

import io.xin.protocol.pb.ChannelHead;
import io.xin.protocol.pb.ChannelSyncResult;
import io.xin.protocol.pb.Message;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ChannelCursorsTest
{
    private final List<Long> delivered = new ArrayList<>();
    private final List<long[]> syncs = new ArrayList<>();
    private final ChannelCursors cursors = new ChannelCursors(new ChannelCursors.Output()
    {
        @Override
        public void onChannelPost(final Message post)
        {
            delivered.add(post.getChannelId() * 1_000 + post.getSeq());
        }

        @Override
        public void requestChannelSync(final long channelId, final long afterSeq)
        {
            syncs.add(new long[]{ channelId, afterSeq });
        }
    });

    @Test
    void shouldPageFromTheFollowSeqWhenTheHeadIsAheadAtLogin()
    {
        cursors.onLogin(List.of(ChannelHead.newBuilder().setChannelId(5).setFollowSeq(10).setHeadSeq(13).build(),
            ChannelHead.newBuilder().setChannelId(6).setFollowSeq(4).setHeadSeq(4).build()));
        assertEquals(1, syncs.size(), "only the channel with unread posts");
        assertEquals(5, syncs.get(0)[0]);
        assertEquals(10, syncs.get(0)[1]);

        cursors.onSyncResult(page(5, 13, false, 11, 12, 13));
        assertEquals(List.of(5_011L, 5_012L, 5_013L), delivered);
        assertEquals(13, cursors.cursor(5));
        assertEquals(4, cursors.cursor(6));
    }

    @Test
    void shouldTakeThePushAtCursorPlusOneAndPageOnAGap()
    {
        cursors.followed(5, 2, 2);
        cursors.onPush(post(5, 3));
        assertEquals(List.of(5_003L), delivered);
        cursors.onPush(post(5, 3));
        assertEquals(1, delivered.size(), "a seq at or below the cursor is dropped");

        cursors.onPush(post(5, 6));
        assertEquals(1, delivered.size(), "a gap is not delivered out of order");
        assertEquals(5, syncs.get(0)[0]);
        assertEquals(3, syncs.get(0)[1]);
        cursors.onSyncResult(page(5, 6, false, 4, 5, 6));
        assertEquals(List.of(5_003L, 5_004L, 5_005L, 5_006L), delivered);
    }

    @Test
    void shouldKeepPagingWhileHasMoreAndForgetAnUnfollowedChannel()
    {
        cursors.followed(5, 0, 0);
        cursors.onPush(post(5, 3));
        cursors.onSyncResult(page(5, 3, true, 1));
        assertEquals(2, syncs.size(), "has_more: ask again");
        assertEquals(1, syncs.get(1)[1]);
        cursors.onSyncFailed(true);
        assertEquals(-1, cursors.cursor(5), "NOT_FOLLOWING forgets the channel");
    }

    private static Message post(final long channelId, final long seq)
    {
        return Message.newBuilder().setChannelId(channelId).setSeq(seq).build();
    }

    private static ChannelSyncResult page(final long channelId, final long head, final boolean hasMore, final long... seqs)
    {
        final ChannelSyncResult.Builder page = ChannelSyncResult.newBuilder().setChannelId(channelId).setHeadSeq(head)
            .setHasMore(hasMore).setLastSeq(hasMore ? seqs[seqs.length - 1] : head);
        for (final long seq : seqs)
        {
            page.addMessages(post(channelId, seq));
        }
        return page.build();
    }
}
