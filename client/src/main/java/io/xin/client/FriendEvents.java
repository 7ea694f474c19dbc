package io.xin.client;

import com.google.protobuf.InvalidProtocolBufferException;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.FriendEvent;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.PresenceUpdate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands friend events and presence to the listener: a FRIEND_EVENT message of the inbox (after
 * {@link XinClient.Listener#onMessage}, in inbox order) parsed, and each PresenceUpdate. On the client's event loop.
 */
final class FriendEvents
{
    private static final Logger LOG = LoggerFactory.getLogger(FriendEvents.class);

    private FriendEvents()
    {
    }

    /** Calls {@link XinClient.Listener#onFriendEvent} when the message is a FRIEND_EVENT the switch wrote. */
    static void ifFriendEvent(final XinClient.Listener listener, final Message message, final String deviceId)
    {
        if (!message.hasContent() || message.getContent().getType() != ContentType.FRIEND_EVENT ||
            message.getGroupId() != 0 || message.getClientMsgId().length() != 0)
        {
            // A client's Send always has a client_msg_id: a FRIEND_EVENT with one is not the switch's.
            return;
        }
        final FriendEvent event;
        try
        {
            event = FriendEvent.parseFrom(message.getContent().getBody());
        }
        catch (final InvalidProtocolBufferException ex)
        {
            LOG.warn("xin client {}: FRIEND_EVENT at seq {} does not parse", deviceId, message.getSeq(), ex);
            return;
        }
        try
        {
            listener.onFriendEvent(event, message);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onFriendEvent threw at seq {}", deviceId, message.getSeq(), ex);
        }
    }

    static void presence(final XinClient.Listener listener, final PresenceUpdate update, final String deviceId)
    {
        try
        {
            listener.onPresence(update);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onPresence threw", deviceId, ex);
        }
    }
}
