package io.xin.core;

import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.storage.StorageException;
import io.xin.storage.XinStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A failed journal write is fatal for acknowledging: the sender gets STORAGE_FAILURE, never an
 * ack, and nothing more is accepted.
 */
@Timeout(60)
class StorageFailureIT
{
    @Test
    void shouldNeverAckMessageWhoseWriteFailed(@TempDir final Path dataDir) throws IOException
    {
        final AtomicBoolean failWrites = new AtomicBoolean();
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.journalWriter(store -> batch ->
        {
            if (failWrites.get())
            {
                batch.clear();
                throw new StorageException("journal write", new IOException("injected: disk gone"));
            }
            store.append(batch);
        })))
        {
            try (RawClient alice = RawClient.loggedIn(server.port(), server.token(1), "phone");
                RawClient bob = RawClient.loggedIn(server.port(), server.token(2), "phone"))
            {

                alice.send(RawClient.text(1, 2, "before", "stored"));
                assertEquals("before", alice.readUntil(Frame.BodyCase.SEND_ACK, 5_000).getSendAck().getClientMsgId());
                assertEquals(1, bob.readUntil(Frame.BodyCase.DELIVER, 5_000).getDeliver().getMessage().getSeq());

                failWrites.set(true);
                alice.send(RawClient.text(2, 2, "lost-write", "not stored"));
                final Frame failed = alice.read();
                assertEquals(Frame.BodyCase.ERROR, failed.getBodyCase(), failed.toString());
                assertEquals(ErrorCode.STORAGE_FAILURE, failed.getError().getCode());
                assertEquals("lost-write", failed.getError().getClientMsgId());
                assertTrue(server.xin().status().isStorageFailed());

                // Even when storage would work again, a failed switch accepts nothing more.
                failWrites.set(false);
                alice.send(RawClient.text(3, 2, "after", "refused"));
                final Frame refused = alice.read();
                assertEquals(ErrorCode.STORAGE_FAILURE, refused.getError().getCode());
                assertFalse(bob.closedWithin(300), "bob gets no push for unstored messages and stays connected");
            }
        }

        try (XinStore store = XinStore.open(new io.xin.storage.StoreConfig().dataDir(dataDir)))
        {
            assertEquals(1, store.readHeadSeq(2), "only the acknowledged message is in bob's inbox");
            assertEquals(1, store.readInbox(2, 0, 10, 1 << 20).entries().size());
        }
    }
}
