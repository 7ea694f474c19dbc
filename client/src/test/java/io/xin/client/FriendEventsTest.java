package io.xin.client;

import com.google.protobuf.ByteString;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.FriendEvent;
import io.xin.protocol.pb.FriendOpType;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Presence;
import io.xin.protocol.pb.PresenceUpdate;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which inbox messages reach the listener as friend events: the switch's FRIEND_EVENTs (no client_msg_id), parsed;
 * not a client's message of that type, a group message or anything else; and a listener that throws harms nothing.
 */
class FriendEventsTest
{
    private final List<FriendEvent> events = new ArrayList<>();
    private final List<PresenceUpdate> updates = new ArrayList<>();
    private final XinClient.Listener listener = new XinClient.Listener()
    {
        @Override
        public void onFriendEvent(final FriendEvent event, final Message message)
        {
            events.add(event);
        }

        @Override
        public void onPresence(final PresenceUpdate update)
        {
            updates.add(update);
        }
    };

    private static Message friendEvent(final FriendEvent event)
    {
        return Message.newBuilder().setSeq(7).setMsgId(70).setFromUserId(1).setToUserId(2)
            .setContent(Content.newBuilder().setType(ContentType.FRIEND_EVENT).setBody(event.toByteString()))
            .build();
    }

    @Test
    void shouldHandOnlyTheSwitchsFriendEventsParsed()
    {
        final FriendEvent request = FriendEvent.newBuilder().setOp(FriendOpType.FRIEND_REQUEST).setActorUserId(1)
            .setUserId(2).setGreeting("hi").build();
        FriendEvents.ifFriendEvent(listener, friendEvent(request), "phone");
        assertEquals(List.of(request), events);

        final Message forged = friendEvent(request).toBuilder().setClientMsgId("forged").build();
        FriendEvents.ifFriendEvent(listener, forged, "phone");
        FriendEvents.ifFriendEvent(listener, friendEvent(request).toBuilder().setGroupId(5).build(), "phone");
        FriendEvents.ifFriendEvent(listener, Message.newBuilder().setSeq(8).setContent(Content.newBuilder()
            .setType(ContentType.TEXT).setBody(ByteString.copyFromUtf8("hello"))).build(), "phone");
        FriendEvents.ifFriendEvent(listener, Message.newBuilder().setSeq(9).setContent(Content.newBuilder()
            .setType(ContentType.FRIEND_EVENT).setBody(ByteString.copyFrom(new byte[]{ (byte)0xFF }))).build(),
            "phone");
        assertEquals(1, events.size(), "a client's FRIEND_EVENT, a group message, text and garbage are not events");
    }

    @Test
    void shouldHandPresenceOnAndSurviveAThrowingListener()
    {
        final PresenceUpdate update = PresenceUpdate.newBuilder()
            .addEntries(Presence.newBuilder().setUserId(2).setOnline(true)).build();
        FriendEvents.presence(listener, update, "phone");
        assertEquals(List.of(update), updates);

        final XinClient.Listener throwing = new XinClient.Listener()
        {
            @Override
            public void onFriendEvent(final FriendEvent event, final Message message)
            {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onPresence(final PresenceUpdate presence)
            {
                throw new IllegalStateException("listener bug");
            }
        };
        // Logged, not thrown into the client's frame handling.
        FriendEvents.ifFriendEvent(throwing, friendEvent(FriendEvent.getDefaultInstance()), "phone");
        FriendEvents.presence(throwing, update, "phone");
    }
}
