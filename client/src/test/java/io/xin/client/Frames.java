package io.xin.client;

import com.google.protobuf.ByteString;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Deliver;
import io.xin.protocol.pb.Error;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SyncResult;

/**
 * Frames and messages for scripts.
 */
final class Frames
{
    static final long USER_ID = 42;
    static final long PEER_ID = 7;

    private Frames()
    {
    }

    /** The server's BUSY answer to request {@code requestId}: ask again after {@code retryAfterMs}. */
    static Frame busy(final long requestId, final int retryAfterMs)
    {
        return Frame.newBuilder().setError(Error.newBuilder()
            .setRequestId(requestId)
            .setCode(ErrorCode.BUSY)
            .setRetryAfterMs(retryAfterMs))
            .build();
    }

    static Content text(final String text)
    {
        return Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFromUtf8(text)).build();
    }

    static LoginOk loginOk(final long userId, final long headSeq, final long cursorSeq)
    {
        return LoginOk.newBuilder()
            .setUserId(userId)
            .setHeadSeq(headSeq)
            .setCursorSeq(cursorSeq)
            .setHeartbeatIntervalMs(30_000)
            .setIdleTimeoutMs(90_000)
            .setMaxFrameLengthBytes(64 * 1024)
            .setMaxSyncLimit(100)
            .setServerTimeMs(System.currentTimeMillis())
            .build();
    }

    static Message message(final long seq)
    {
        return Message.newBuilder()
            .setSeq(seq)
            .setMsgId(1000 + seq)
            .setFromUserId(PEER_ID)
            .setToUserId(USER_ID)
            .setFromDeviceId("peer-phone")
            .setClientMsgId("c" + seq)
            .setServerTimeMs(System.currentTimeMillis())
            .setContent(text("message " + seq))
            .build();
    }

    static Frame deliver(final long seq)
    {
        return Frame.newBuilder().setDeliver(Deliver.newBuilder().setMessage(message(seq))).build();
    }

    static SyncResult syncResult(
        final long requestId, final long lastSeq, final long headSeq, final boolean hasMore, final long... seqs)
    {
        final SyncResult.Builder result = SyncResult.newBuilder()
            .setRequestId(requestId)
            .setLastSeq(lastSeq)
            .setHeadSeq(headSeq)
            .setHasMore(hasMore);
        for (final long seq : seqs)
        {
            result.addMessages(message(seq));
        }
        return result.build();
    }

    static Frame syncResultFrame(
        final long requestId, final long lastSeq, final long headSeq, final boolean hasMore, final long... seqs)
    {
        return Frame.newBuilder().setSyncResult(syncResult(requestId, lastSeq, headSeq, hasMore, seqs)).build();
    }
}
