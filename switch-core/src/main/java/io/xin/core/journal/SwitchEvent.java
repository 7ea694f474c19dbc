package io.xin.core.journal;

import com.google.protobuf.ByteString;
import com.lmax.disruptor.EventTranslator;
import com.lmax.disruptor.EventTranslatorOneArg;
import com.lmax.disruptor.EventTranslatorTwoArg;
import io.xin.core.device.Placement;
import io.xin.core.device.Session;
import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.pb.ChannelOp;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.FriendOp;
import io.xin.protocol.pb.GroupOp;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Send;
import io.xin.protocol.codec.SendView;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A slot of the ring: one command from a session, and what the journal made of it for the
 * dispatcher. Preallocated and reused; the translators capture nothing.
 * <p>
 * Fields up to {@link #upToSeq} are written by the publishing event loop; the result fields by the
 * journal thread; the dispatcher only reads. The ring's sequence barriers order those accesses.
 */
public final class SwitchEvent
{
    public static final byte LOGIN = 1;
    public static final byte SEND = 2;
    public static final byte ACK = 3;
    public static final byte CLOSE = 4;
    public static final byte GROUP_OP = 5;
    public static final byte CHANNEL_OP = 6;
    /** Wakes a journal shard that has hand-offs from another shard waiting; carries nothing. */
    public static final byte NUDGE = 7;
    /**
     * Cluster mode: the shard's users are served elsewhere now; its dispatcher sends every online device away.
     * Carries no session; {@link #placement()} is the switch's placement (or null), which names where each user went.
     */
    public static final byte MOVE_OUT = 8;
    /** A FriendOp (not FRIEND_LIST, which the sync readers answer). */
    public static final byte FRIEND_OP = 9;

    public static final byte RESULT_OK = 0;
    public static final byte RESULT_DUPLICATE = 1;
    public static final byte RESULT_FAILED = 2;
    /** Refused by a group or channel rule; {@link AudienceWork#refusal()} says why. */
    public static final byte RESULT_REFUSED = 3;
    /**
     * Not stored: the sender's shard moved out (cluster mode) after its login, and its device is being sent away
     * ({@code Kicked{moved}}); it resends on the node that serves it now. Nothing answers it.
     */
    public static final byte RESULT_MOVED = 4;

    /**
     * A slot's first array for the client message id: most ids fit; a longer one (up to
     * {@link ProtocolLimits#MAX_ID_LENGTH_BYTES}, which the session enforces) grows it once to that limit.
     */
    static final int INITIAL_CLIENT_MSG_ID_BYTES = 32;

    public static final EventTranslatorTwoArg<SwitchEvent, Session, Long> LOGIN_TRANSLATOR =
        (event, sequence, session, requestId) -> event.reset(LOGIN, session).requestId = requestId;

    public static final EventTranslatorTwoArg<SwitchEvent, Session, Send> SEND_TRANSLATOR =
        (event, sequence, session, send) ->
        {
            event.reset(SEND, session);
            event.requestId = send.getRequestId();
            event.toUserId = send.getToUserId();
            event.clientMsgId = send.getClientMsgId();
            final ByteString clientMsgId = send.getClientMsgIdBytes();
            clientMsgId.copyTo(event.clientMsgIdArray(clientMsgId.size()), 0);
            event.content = send.getContent();
            event.groupId = send.getGroupId();
        };

    /** A plain 1:1 send read in place: the id and the body are copied once each, into the slot's own arrays. */
    public static final EventTranslatorTwoArg<SwitchEvent, Session, SendView> SEND_VIEW_TRANSLATOR =
        (event, sequence, session, send) ->
        {
            event.reset(SEND, session);
            event.requestId = send.requestId();
            event.toUserId = send.toUserId();
            send.copyClientMsgIdTo(event.clientMsgIdArray(send.clientMsgIdLength()));
            event.contentType = send.contentType();
            final int bodyLength = send.bodyLength();
            if (event.body == null || event.body.length < bodyLength)
            {
                event.body = new byte[Math.max(bodyLength, StoredMessage.INITIAL_BYTES)];
            }
            send.copyBodyTo(event.body);
            event.bodyLength = bodyLength;
        };

    public static final EventTranslatorTwoArg<SwitchEvent, Session, GroupOp> GROUP_OP_TRANSLATOR =
        (event, sequence, session, op) ->
        {
            event.reset(GROUP_OP, session);
            event.requestId = op.getRequestId();
            event.request = op;
        };

    public static final EventTranslatorTwoArg<SwitchEvent, Session, ChannelOp> CHANNEL_OP_TRANSLATOR =
        (event, sequence, session, op) ->
        {
            event.reset(CHANNEL_OP, session);
            event.requestId = op.getRequestId();
            event.request = op;
        };

    public static final EventTranslatorTwoArg<SwitchEvent, Session, FriendOp> FRIEND_OP_TRANSLATOR =
        (event, sequence, session, op) ->
        {
            event.reset(FRIEND_OP, session);
            event.requestId = op.getRequestId();
            event.request = op;
        };

    public static final EventTranslatorTwoArg<SwitchEvent, Session, Long> ACK_TRANSLATOR =
        (event, sequence, session, upToSeq) -> event.reset(ACK, session).upToSeq = upToSeq;

    public static final EventTranslatorOneArg<SwitchEvent, Session> CLOSE_TRANSLATOR =
        (event, sequence, session) -> event.reset(CLOSE, session);

    public static final EventTranslator<SwitchEvent> NUDGE_TRANSLATOR = (event, sequence) -> event.reset(NUDGE, null);

    public static final EventTranslatorOneArg<SwitchEvent, Placement> MOVE_OUT_TRANSLATOR =
        (event, sequence, placement) -> event.reset(MOVE_OUT, null).request = placement;

    byte type;
    Session session;
    long requestId;
    long toUserId;
    /** Set by a send decoded by protobuf-java; null for one read in place ({@link #clientMsgId()} makes it then). */
    String clientMsgId;
    /**
     * The client message id's bytes at {@code [0, clientMsgIdLength)}: the slot's own array, reused by its next send
     * (its stale tail is not part of the id), so whatever must outlive the event copies them.
     */
    byte[] clientMsgIdBytes;
    int clientMsgIdLength;
    /** The decoded content, or null when the send was read in place: then {@link #contentType} and {@link #body}. */
    Content content;
    int contentType;
    /** The body of a send read in place, at {@code [0, bodyLength)}: the slot's own array, reused like {@link #stored}. */
    byte[] body;
    int bodyLength;
    long upToSeq;
    /** Send.group_id; 0 for a 1:1 send. */
    long groupId;
    /** The GroupOp, ChannelOp or FriendOp of those events. */
    Object request;
    /** What the journal made of a group or channel event, or of a login's follows; null otherwise. */
    AudienceWork audience;

    byte result;
    long msgId;
    long senderSeq;
    long recipientSeq;
    long serverTimeMs;
    long headSeq;
    long cursorSeq;
    Message message;
    /**
     * The stored message's bytes (a {@code Message} without seq) at {@code [0, storedLength)}, for the dispatcher's
     * Deliver: the slot's own array, written by the journal ({@link StoredMessage}) and reused by the slot's next send.
     */
    byte[] stored;
    int storedLength;
    /** The same sender's previous new send in the journal's current batch; journal thread only. */
    SwitchEvent earlierOfSender;
    /**
     * Set on the last event of a journal batch that appended hand-offs from other shards: what the
     * dispatcher pushes to their recipients. Null otherwise.
     */
    List<Handoff> handoffs;

    private SwitchEvent reset(final byte type, final Session session)
    {
        this.type = type;
        this.session = session;
        requestId = 0;
        toUserId = 0;
        clientMsgId = null;
        clientMsgIdLength = 0;
        content = null;
        contentType = 0;
        bodyLength = 0;
        upToSeq = 0;
        groupId = 0;
        request = null;
        audience = null;
        result = RESULT_OK;
        msgId = 0;
        senderSeq = 0;
        recipientSeq = 0;
        serverTimeMs = 0;
        headSeq = 0;
        cursorSeq = 0;
        message = null;
        storedLength = 0;
        earlierOfSender = null;
        handoffs = null;
        return this;
    }

    /**
     * The slot's array for a client message id of {@code length} bytes, grown if too small, to be filled at
     * {@code [0, length)}; sets {@link #clientMsgIdLength}. The publishing thread, or the journal for an id
     * it reads from a request.
     */
    byte[] clientMsgIdArray(final int length)
    {
        if (clientMsgIdBytes == null || clientMsgIdBytes.length < length)
        {
            clientMsgIdBytes = new byte[length <= INITIAL_CLIENT_MSG_ID_BYTES ?
                INITIAL_CLIENT_MSG_ID_BYTES : Math.max(length, ProtocolLimits.MAX_ID_LENGTH_BYTES)];
        }
        clientMsgIdLength = length;
        return clientMsgIdBytes;
    }

    public byte type()
    {
        return type;
    }

    public Session session()
    {
        return session;
    }

    public long requestId()
    {
        return requestId;
    }

    public long toUserId()
    {
        return toUserId;
    }

    /** The client message id; made from its bytes for a send read in place (error frames, not the hot path). */
    public String clientMsgId()
    {
        if (clientMsgId == null && clientMsgIdLength > 0)
        {
            return new String(clientMsgIdBytes, 0, clientMsgIdLength, StandardCharsets.UTF_8);
        }
        return clientMsgId;
    }

    public byte result()
    {
        return result;
    }

    public long msgId()
    {
        return msgId;
    }

    public long senderSeq()
    {
        return senderSeq;
    }

    public long recipientSeq()
    {
        return recipientSeq;
    }

    public long serverTimeMs()
    {
        return serverTimeMs;
    }

    public long headSeq()
    {
        return headSeq;
    }

    public long cursorSeq()
    {
        return cursorSeq;
    }

    /** The stored message, without seq (each inbox copy has its own). */
    public Message message()
    {
        return message;
    }

    /** The stored message's bytes, without seq, in {@code [0, storedLength())}; set for a new 1:1 send. */
    public byte[] stored()
    {
        return stored;
    }

    public int storedLength()
    {
        return storedLength;
    }

    /**
     * Holds the client message id's UTF-8 bytes at {@code [0, clientMsgIdLength())}: the slot's own array, valid
     * until the event is released; copy what must outlive it.
     */
    public byte[] clientMsgIdBytes()
    {
        return clientMsgIdBytes;
    }

    /** Bytes of the client message id in {@link #clientMsgIdBytes()}. */
    public int clientMsgIdLength()
    {
        return clientMsgIdLength;
    }

    /** Messages from other shards written with this event's batch, for the dispatcher; null if none. */
    public List<Handoff> handoffs()
    {
        return handoffs;
    }

    public long groupId()
    {
        return groupId;
    }

    /** A {@link #MOVE_OUT}'s placement, which names where each user went; null for other events, or none set. */
    public Placement placement()
    {
        return type == MOVE_OUT ? (Placement)request : null;
    }

    /** Group or channel results for the dispatcher; null when the event had none. */
    public AudienceWork audience()
    {
        return audience;
    }

    /** Drops references once the dispatcher is done, so the ring does not keep payloads alive. */
    public void release()
    {
        request = null;
        audience = null;
        session = null;
        content = null;
        message = null;
        if (stored != null && stored.length > StoredMessage.KEPT_MAX_BYTES)
        {
            stored = null;
        }
        if (body != null && body.length > StoredMessage.KEPT_MAX_BYTES)
        {
            body = null;
        }
        clientMsgId = null;
        // The id's array is kept for the slot's next send: the session caps ids at MAX_ID_LENGTH_BYTES.
        clientMsgIdLength = 0;
        earlierOfSender = null;
        handoffs = null;
    }

    @Override
    public String toString()
    {
        return "SwitchEvent{type=" + type + ", session=" + session + ", requestId=" + requestId + ", to=" + toUserId +
            ", clientMsgId=" + clientMsgId() + ", result=" + result + '}';
    }
}
