package io.xin.client;

import io.xin.protocol.pb.ChannelHead;
import io.xin.protocol.pb.ChannelSyncResult;
import io.xin.protocol.pb.Message;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A cursor per followed channel (official account): hands posts to the application once each, in
 * seq order per channel, from pushes and from ChannelSync pages (fan out on read: the switch stores a
 * post once and each follower reads it from its own cursor). A push that skips seqs, or a head at
 * login past the cursor, makes it page the channel; one channel page is asked for at a time.
 * <p>
 * Owned by the client's event loop.
 */
final class ChannelCursors
{
    interface Output
    {
        void onChannelPost(Message post);

        void requestChannelSync(long channelId, long afterSeq);
    }

    private final Output output;
    /** channel id -> {cursor, known head}. */
    private final Map<Long, long[]> cursors = new HashMap<>();
    private final ArrayDeque<Long> toSync = new ArrayDeque<>();
    /** The channel being paged, 0 when none. */
    private long syncing;

    ChannelCursors(final Output output)
    {
        this.output = output;
    }

    /** A channel's cursor: every post up to it was handed over (or predates the follow); -1 if not followed. */
    long cursor(final long channelId)
    {
        final long[] cursor = cursors.get(channelId);
        return cursor == null ? -1 : cursor[0];
    }

    void onLogin(final List<ChannelHead> heads)
    {
        for (final ChannelHead head : heads)
        {
            final long[] cursor = cursors.computeIfAbsent(head.getChannelId(), id -> new long[]{ head.getFollowSeq(), 0 });
            cursor[0] = Math.max(cursor[0], head.getFollowSeq());
            cursor[1] = Math.max(cursor[1], head.getHeadSeq());
            if (cursor[1] > cursor[0])
            {
                schedule(head.getChannelId());
            }
        }
        next();
    }

    void followed(final long channelId, final long followSeq, final long headSeq)
    {
        final long[] cursor = cursors.computeIfAbsent(channelId, id -> new long[]{ followSeq, headSeq });
        cursor[1] = Math.max(cursor[1], headSeq);
    }

    void unfollowed(final long channelId)
    {
        cursors.remove(channelId);
        toSync.remove(channelId);
    }

    void onPush(final Message post)
    {
        final long channelId = post.getChannelId();
        final long seq = post.getSeq();
        final long[] cursor = cursors.computeIfAbsent(channelId, id -> new long[]{ seq - 1, 0 });
        cursor[1] = Math.max(cursor[1], seq);
        if (seq == cursor[0] + 1 && syncing != channelId)
        {
            cursor[0] = seq;
            output.onChannelPost(post);
        }
        else if (seq > cursor[0])
        {
            schedule(channelId);
            next();
        }
    }

    void onSyncResult(final ChannelSyncResult page)
    {
        final long channelId = page.getChannelId();
        syncing = 0;
        final long[] cursor = cursors.get(channelId);
        if (cursor != null)
        {
            for (final Message post : page.getMessagesList())
            {
                if (post.getSeq() > cursor[0])
                {
                    cursor[0] = post.getSeq();
                    output.onChannelPost(post);
                }
            }
            cursor[0] = Math.max(cursor[0], page.getLastSeq());
            cursor[1] = Math.max(cursor[1], page.getHeadSeq());
            if (page.getHasMore() || cursor[1] > cursor[0])
            {
                toSync.addFirst(channelId);
            }
        }
        next();
    }

    /**
     * @param notFollowing the switch said this user does not follow it: forget the channel.
     * @return the channel whose page failed, so the caller may ask again later; 0 if none.
     */
    long onSyncFailed(final boolean notFollowing)
    {
        final long channelId = syncing;
        syncing = 0;
        if (channelId != 0)
        {
            if (notFollowing)
            {
                cursors.remove(channelId);
            }
            else
            {
                toSync.addFirst(channelId);
            }
        }
        return notFollowing ? 0 : channelId;
    }

    /** Ask for the next page, if none is in flight. */
    void next()
    {
        if (syncing != 0)
        {
            return;
        }
        final Long channelId = toSync.poll();
        if (channelId == null)
        {
            return;
        }
        final long[] cursor = cursors.get(channelId);
        if (cursor == null)
        {
            next();
            return;
        }
        syncing = channelId;
        output.requestChannelSync(channelId, cursor[0]);
    }

    void onOffline()
    {
        syncing = 0;
        toSync.clear();
    }

    private void schedule(final long channelId)
    {
        if (syncing != channelId && !toSync.contains(channelId))
        {
            toSync.add(channelId);
        }
    }
}
