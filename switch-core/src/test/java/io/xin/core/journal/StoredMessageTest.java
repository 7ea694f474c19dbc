package io.xin.core.journal;

import com.google.protobuf.ByteString;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.Message;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

class StoredMessageTest
{
    private static byte[] written(final SwitchEvent event)
    {
        return Arrays.copyOf(event.stored, event.storedLength);
    }

    private static byte[] builderBytes(
        final long msgId, final long from, final long to, final String device, final String clientMsgId,
        final long timeMs, final Content content)
    {
        return Message.newBuilder()
            .setMsgId(msgId)
            .setFromUserId(from)
            .setToUserId(to)
            .setFromDeviceId(device)
            .setClientMsgId(clientMsgId)
            .setServerTimeMs(timeMs)
            .setContent(content)
            .build()
            .toByteArray();
    }

    @Test
    void shouldWriteTheBytesTheProtobufBuilderWrites()
    {
        final Content[] contents = {
            Content.getDefaultInstance(),
            Content.newBuilder().setType(ContentType.TEXT).build(),
            Content.newBuilder().setBody(ByteString.copyFromUtf8("no type")).build(),
            Content.newBuilder().setTypeValue(-3).setBody(ByteString.copyFromUtf8("negative enum value")).build(),
            Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(body(127))).build(),
            Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(body(128))).build(),
            Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(body(20_000))).build(),
            Content.newBuilder().setType(ContentType.IMAGE).setBody(ByteString.copyFromUtf8("with media"))
                .setMedia(MediaRef.newBuilder().setUrl("https://example.invalid/a.jpg").setSizeBytes(1234)).build(),
        };
        final String[] devices = { "", "phone", "\u624b\u673a-" + "d".repeat(80) };
        final long[] ids = { 0, 1, 300, 1L << 50, Long.MAX_VALUE };
        final SwitchEvent event = new SwitchEvent();
        for (final Content content : contents)
        {
            for (final String device : devices)
            {
                for (final long id : ids)
                {
                    final String clientMsgId = "c-" + id;
                    // One slot for every id: a shorter id follows a longer one in its array.
                    RingSlots.clientMsgId(event, clientMsgId);
                    event.content = content;
                    final long timeMs = id == 0 ? -5 : id;
                    StoredMessage.writeInto(event, id, id + 1, id == 0 ? 0 : 7, device.getBytes(StandardCharsets.UTF_8),
                        timeMs);
                    assertArrayEquals(builderBytes(id, id + 1, id == 0 ? 0 : 7, device, clientMsgId, timeMs, content),
                        written(event), content + " " + device + " " + id);
                }
            }
        }
    }

    @Test
    void shouldWriteTheSameBytesForASendReadInPlace()
    {
        for (final int bodyBytes : new int[]{ 0, 1, 127, 128, 20_000 })
        {
            final Content content = Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFrom(body(bodyBytes)))
                .build();
            final SwitchEvent event = new SwitchEvent();
            RingSlots.clientMsgId(event, "c-7");
            event.contentType = ContentType.TEXT.getNumber();
            event.body = content.getBody().toByteArray();
            event.bodyLength = bodyBytes;
            StoredMessage.writeInto(event, 9, 1, 2, "phone".getBytes(StandardCharsets.UTF_8), 1_000);
            assertArrayEquals(builderBytes(9, 1, 2, "phone", "c-7", 1_000, content), written(event), "body " + bodyBytes);
        }
    }

    @Test
    void shouldReuseTheSlotsArrayAndDropOneGrownPastTheKeptMaximum()
    {
        final SwitchEvent event = new SwitchEvent();
        final Content small = Content.newBuilder().setBody(ByteString.copyFrom(body(32))).build();
        send(event, small, 1);
        final byte[] first = event.stored;
        event.release();
        send(event, small, 2);
        assertSame(first, event.stored);

        send(event, Content.newBuilder().setBody(ByteString.copyFrom(body(StoredMessage.KEPT_MAX_BYTES))).build(), 3);
        final byte[] large = event.stored;
        assertNotSame(first, large);
        event.release();
        send(event, small, 4);
        assertNotSame(large, event.stored);
    }

    private static void send(final SwitchEvent event, final Content content, final long msgId)
    {
        RingSlots.clientMsgId(event, "c-1");
        event.content = content;
        StoredMessage.writeInto(event, msgId, 2, 3, new byte[]{ 'p' }, 4);
    }

    private static byte[] body(final int length)
    {
        final byte[] body = new byte[length];
        new Random(length).nextBytes(body);
        return body;
    }
}
