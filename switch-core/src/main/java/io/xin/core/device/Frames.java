package io.xin.core.device;

import io.xin.protocol.pb.Error;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.Kicked;
import io.xin.protocol.pb.LoginError;
import io.xin.protocol.pb.Pong;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncHint;

/**
 * Builders of the frames the switch sends.
 */
public final class Frames
{
    /** {@code Kicked.reason} of a device sent away because another node serves its user now (cluster mode). */
    public static final String MOVED_REASON = "moved";

    private Frames()
    {
    }

    public static Frame error(final long requestId, final ErrorCode code, final String message, final boolean fatal)
    {
        return Frame.newBuilder()
            .setError(Error.newBuilder().setRequestId(requestId).setCode(code).setMessage(message).setFatal(fatal))
            .build();
    }

    public static Frame error(
        final long requestId, final ErrorCode code, final String message, final boolean fatal, final int retryAfterMs)
    {
        return Frame.newBuilder()
            .setError(Error.newBuilder().setRequestId(requestId).setCode(code).setMessage(message).setFatal(fatal)
                .setRetryAfterMs(retryAfterMs))
            .build();
    }

    public static Frame rateLimited(
        final long requestId, final String clientMsgId, final String message, final int retryAfterMs)
    {
        return Frame.newBuilder()
            .setError(Error.newBuilder()
                .setRequestId(requestId)
                .setCode(ErrorCode.RATE_LIMITED)
                .setMessage(message)
                .setRetryAfterMs(retryAfterMs)
                .setClientMsgId(clientMsgId))
            .build();
    }

    public static Frame busy(final long requestId, final String clientMsgId, final String message, final int retryAfterMs)
    {
        final Error.Builder error = Error.newBuilder()
            .setRequestId(requestId)
            .setCode(ErrorCode.BUSY)
            .setMessage(message)
            .setRetryAfterMs(retryAfterMs);
        if (clientMsgId != null)
        {
            error.setClientMsgId(clientMsgId);
        }
        return Frame.newBuilder().setError(error).build();
    }

    public static Frame sendFailed(
        final long requestId, final String clientMsgId, final ErrorCode code, final String message)
    {
        return Frame.newBuilder()
            .setError(Error.newBuilder()
                .setRequestId(requestId)
                .setCode(code)
                .setMessage(message)
                .setClientMsgId(clientMsgId))
            .build();
    }

    public static Frame loginError(final long requestId, final ErrorCode code, final String message, final int retryAfterMs)
    {
        return Frame.newBuilder()
            .setLoginError(LoginError.newBuilder()
                .setRequestId(requestId)
                .setCode(code)
                .setMessage(message)
                .setRetryAfterMs(retryAfterMs))
            .build();
    }

    public static Frame sendAck(
        final long requestId,
        final String clientMsgId,
        final long msgId,
        final long seq,
        final long serverTimeMs,
        final boolean duplicate)
    {
        return Frame.newBuilder()
            .setSendAck(SendAck.newBuilder()
                .setRequestId(requestId)
                .setClientMsgId(clientMsgId)
                .setMsgId(msgId)
                .setSeq(seq)
                .setServerTimeMs(serverTimeMs)
                .setDuplicate(duplicate))
            .build();
    }

    public static Frame pong(final long requestId, final long serverTimeMs)
    {
        return Frame.newBuilder().setPong(Pong.newBuilder().setRequestId(requestId).setServerTimeMs(serverTimeMs)).build();
    }

    public static Frame syncHint(final long headSeq)
    {
        return Frame.newBuilder().setSyncHint(SyncHint.newBuilder().setHeadSeq(headSeq)).build();
    }

    public static Frame kicked(final String reason)
    {
        return Frame.newBuilder().setKicked(Kicked.newBuilder().setReason(reason)).build();
    }

    /** Cluster mode: the user is served by another node now, at {@code address} ("host:port", or "" if unknown). */
    public static Frame movedAway(final String address)
    {
        return Frame.newBuilder().setKicked(Kicked.newBuilder().setReason(MOVED_REASON).setAddress(address)).build();
    }

    /**
     * Cluster mode: a login on a node that does not serve the user; fatal. {@code address} is the node that does
     * ("host:port"), or "" with {@code retryAfterMs} when none is known yet.
     */
    public static Frame moved(final long requestId, final String message, final String address, final int retryAfterMs)
    {
        return Frame.newBuilder()
            .setError(Error.newBuilder().setRequestId(requestId).setCode(ErrorCode.MOVED).setMessage(message)
                .setFatal(true).setRetryAfterMs(retryAfterMs).setAddress(address))
            .build();
    }

    public static Frame goAway(final String reason, final int reconnectDelayMs)
    {
        return Frame.newBuilder()
            .setGoAway(GoAway.newBuilder().setReason(reason).setReconnectDelayMs(reconnectDelayMs))
            .build();
    }
}
