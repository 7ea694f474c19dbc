package io.xin.core.sync;

import com.google.protobuf.InvalidProtocolBufferException;
import io.xin.core.device.Frames;
import io.xin.protocol.pb.ChannelSyncResult;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.storage.InboxEntry;
import io.xin.storage.InboxPage;
import io.xin.storage.XinStore;

import java.util.List;

/**
 * One page of a channel's timeline for a follower (fan out on read): the post stored once is read
 * here by each follower that syncs, from its own cursor. Runs on a sync reader thread.
 */
final class ChannelPages
{
    private ChannelPages()
    {
    }

    /**
     * @return the ChannelSyncResult, or Error{NOT_FOLLOWING} when the user does not follow the channel.
     */
    static Frame answer(
        final XinStore store,
        final long userId,
        final long requestId,
        final long channelId,
        final long afterSeq,
        final int limit,
        final boolean includeHistory,
        final int maxResultBytes) throws InvalidProtocolBufferException
    {
        final long followSeq = store.audiences().readFollowSeq(channelId, userId);
        if (followSeq < 0)
        {
            return Frames.error(requestId, ErrorCode.NOT_FOLLOWING, "not following channel " + channelId, false);
        }
        // Without include_history a follower reads from when it followed: it never gets the whole archive.
        // after_seq is a uint64 on the wire: past Java's signed range (negative here) it is past every post.
        final long from = includeHistory ? afterSeq : SyncReader.unsignedMax(afterSeq, followSeq);
        final InboxPage page = store.audiences().readTimeline(
            channelId, from < 0 ? Long.MAX_VALUE : from, limit, maxResultBytes);
        final ChannelSyncResult.Builder result = ChannelSyncResult.newBuilder()
            .setRequestId(requestId)
            .setChannelId(channelId)
            .setHeadSeq(page.headSeq())
            .setHasMore(page.hasMore());
        final List<InboxEntry> entries = page.entries();
        for (int i = 0, size = entries.size(); i < size; i++)
        {
            final InboxEntry entry = entries.get(i);
            result.addMessages(Message.newBuilder().mergeFrom(entry.message()).setSeq(entry.seq()));
        }
        final long lastSeq = page.hasMore() ? entries.get(entries.size() - 1).seq() : SyncReader.unsignedMax(from, page.headSeq());
        return Frame.newBuilder().setChannelSyncResult(result.setLastSeq(lastSeq)).build();
    }
}
